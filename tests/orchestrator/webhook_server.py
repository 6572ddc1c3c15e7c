#!/usr/bin/python3
# webhook_server.py PORT LOG RELEASE — a test webhook receiver on 127.0.0.1:PORT. Every POST
# body is appended to LOG as one line. The first request is held until the file RELEASE
# exists, then answered 500 (a failing server); later ones get 200.
import http.server, os, sys, time

port, log, release = int(sys.argv[1]), sys.argv[2], sys.argv[3]
seen = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen += 1
        with open(log, "a") as f:
            f.write(body.decode("utf-8").replace("\n", " ") + "\n")
        if seen == 1:
            deadline = time.time() + 30
            while not os.path.exists(release) and time.time() < deadline:
                time.sleep(0.05)
            self.send_response(500)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
