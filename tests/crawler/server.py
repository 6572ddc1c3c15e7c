#!/usr/bin/python3
"""server.py — a small threaded HTTP server on 127.0.0.1 for the crawler's tests and benches.

Usage (run with Debian's /usr/bin/python3; prints nothing; ready when the port accepts):

  server.py --port N [--log FILE] [mode] [options]

Modes (one of):
  (default)         the fixture site below, for the crawler's end-to-end tests
  --site DIR        static files from DIR ("/" serves DIR/index.html), with ETag,
                    Last-Modified and 304s; DIR/robots.txt when present
  --pages N         a generated site of N linked pages /p/0.html .. /p/N-1.html
                    (each ~3 KB of text, links to the next pages), for benches

Options:
  --bind ADDR             listen on ADDR instead of 127.0.0.1 (another loopback address, such
                          as 127.0.0.2, is "another host" for redirect tests)
  --log FILE              append one line per request: "<epoch s> <method> <path> <status> <host>"
                          (the time is taken when the request arrives; host: the Host header)
  --latency MS            sleep before every response (a slow, far-away site)
  --robots FILE           serve FILE as /robots.txt ("{port}" is replaced by the port)
  --robots-status CODE    answer /robots.txt with this status instead (404, 503, ...)
  --robots-redirect URL   answer /robots.txt with a 301 to URL
  --drop-first N          close the first N connections without an answer (a site that is
                          down for the first attempts; the crawler sees a network error)
  --fail-first N          answer the first N requests with 503 and Retry-After: 1
  --start-after S         sleep S seconds before listening (connections are refused meanwhile)
  --tls CERT KEY          serve HTTPS with this certificate and key (PEM files)

The fixture site (default mode), by path:
  /                    index linking to most of what follows, with several spellings of /a.html
  /a.html /b.html /c.html /e.html   plain pages; /b.html links to /deep/1.html
  /deep/N.html         a chain: N links to N+1 (depth tests), up to 9
  /private/secret.html, /private/public.html, /page.php, /page.php?x=1, /wildcard/x.html
                       targets of robots.txt rules (Disallow, Allow override, '$', '*')
  /redirect/1          301 -> /redirect/2 -> 302 /target.html (a chain)
  /loop/1              redirects forever (/loop/N -> /loop/N+1)
  /offsite             302 to http://localhost:{port}/elsewhere.html (another host: out of scope)
  /to-ftp              302 to ftp://127.0.0.1/file (not http)
  /go?to=URL           302 to URL (percent-decoded), for redirect tests that pick the target
  /http09              a body with no status line (HTTP/0.9), then the connection closed
  /status-999          status 999 (outside every class), a small HTML body
  /endless             HTML chunks forever, until the client hangs up
  /missing             404
  /flaky               500 on the first request, then 200
  /busy                429 with Retry-After: 1 on the first request, then 200
  /slow                answers after 3 s (logged when it arrives, the answer may never be read)
  /huge                5 MB of HTML (Content-Length given)
  /huge-chunked        5 MB of HTML, chunked (no Content-Length)
  /image.png           image/png
  /text.txt            text/plain
  /broken.html         unclosed tags and stray quotes around its links
  /base/index.html     <base href="/based/"> and a relative link "page.html"
  /based/page.html     its target
  /noindex.html        meta robots noindex (links to /from-noindex.html)
  /nofollow.html       meta robots nofollow (links to /never-1.html)
  /xrobots.html        X-Robots-Tag: noindex (links to /from-xrobots.html)
  /relnofollow.html    a rel="nofollow" link to /never-2.html and a plain link to /c.html
  /gzip.html           sent with Content-Encoding: gzip
  /etag.html           ETag "v1": 304 when If-None-Match matches
  /lastmod.html        Last-Modified: 304 when If-Modified-Since is not older
  /latin1.html         charset=iso-8859-1 in the header
  /sitemap-index.xml   a sitemap index naming /sitemap-1.xml and /sitemap-2.xml.gz
  /sitemap-1.xml       lists /from-sitemap.html (linked from nowhere else)
  /sitemap-2.xml.gz    a gzip file listing /from-sitemap-gz.html
"""
import argparse
import email.utils
import gzip
import hashlib
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
HITS = {}
CONNECTIONS = [0]
REQUESTS = [0]
STARTED = time.time()
LAST_MODIFIED = email.utils.formatdate(STARTED - 3600, usegmt=True)


def page(title, body):
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
            "<body><h1>%s</h1>\n%s\n<p>%s is a page of the crawler's test site.</p></body></html>\n"
            % (title, title, body, title)).encode()


def links(*targets):
    return "\n".join('<p><a href="%s">%s</a></p>' % (t, t) for t in targets)


def fixture(path, port):
    """Returns (status, headers, body) for a path of the fixture site, or None."""
    html = [("Content-Type", "text/html; charset=utf-8")]
    if path == "/":
        return 200, html, page("index", links(
            "/a.html", "b.html", "./c.html", "/x/../e.html",
            "HTTP://127.0.0.1:%d/a.html#section" % port, "/%61.html", "/./a.html",
            "/private/secret.html", "/private/public.html", "/page.php", "/page.php?x=1",
            "/wildcard/x.html", "/redirect/1", "/loop/1", "/offsite", "/to-ftp", "/missing",
            "/flaky", "/busy", "/image.png", "/text.txt", "/broken.html", "/base/index.html",
            "/noindex.html", "/nofollow.html", "/relnofollow.html", "/xrobots.html", "/gzip.html", "/etag.html",
            "/lastmod.html", "/latin1.html", "mailto:someone@example.org",
            "javascript:void(0)", "http://other.invalid/outside.html"))
    simple = {"/a.html": "a", "/c.html": "c", "/e.html": "e", "/target.html": "target",
              "/private/secret.html": "secret", "/private/public.html": "public",
              "/page.php": "php", "/wildcard/x.html": "wildcard",
              "/based/page.html": "based", "/from-noindex.html": "from-noindex",
              "/never-1.html": "never-1", "/never-2.html": "never-2",
              "/from-sitemap.html": "from-sitemap", "/from-xrobots.html": "from-xrobots", "/from-sitemap-gz.html": "from-sitemap-gz",
              "/slow-target.html": "slow-target"}
    if path in simple:
        return 200, html, page(simple[path], "")
    if path == "/page.php?x=1":
        return 200, html, page("php-query", "")
    if path == "/b.html":
        return 200, html, page("b", links("/deep/1.html"))
    if path.startswith("/deep/") and path.endswith(".html"):
        n = int(path[6:-5])
        return 200, html, page("deep-%d" % n, links("/deep/%d.html" % (n + 1)) if n < 9 else "")
    if path == "/redirect/1":
        return 301, [("Location", "/redirect/2")], b""
    if path == "/redirect/2":
        return 302, [("Location", "http://127.0.0.1:%d/target.html" % port)], b""
    if path.startswith("/loop/"):
        return 302, [("Location", "/loop/%d" % (int(path[6:]) + 1))], b""
    if path == "/offsite":
        return 302, [("Location", "http://localhost:%d/elsewhere.html" % port)], b""
    if path == "/elsewhere.html":
        return 200, html, page("elsewhere", "")
    if path == "/status-999":
        return 999, html, page("status 999", "")
    if path == "/to-ftp":
        return 302, [("Location", "ftp://127.0.0.1/file")], b""
    if path.startswith("/go?to="):
        return 302, [("Location", urllib.parse.unquote(path[7:]))], b""
    if path == "/flaky":
        if hits(path) == 1:
            return 500, html, page("error", "")
        return 200, html, page("flaky", "")
    if path == "/busy":
        if hits(path) == 1:
            return 429, html + [("Retry-After", "1")], page("busy", "")
        return 200, html, page("busy-ok", "")
    if path == "/slow":
        log_line(time.time(), "GET", path, 200)
        time.sleep(3)
        return 200, html, page("slow", "")
    if path in ("/huge", "/huge-chunked"):
        return 200, html, b"<html><body>" + b"<p>big</p>\n" * (5 * 1024 * 1024 // 11) + b"</body></html>"
    if path == "/image.png":
        return 200, [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    if path == "/text.txt":
        return 200, [("Content-Type", "text/plain; charset=utf-8")], b"plain text file\n"
    if path == "/broken.html":
        body = (b"<html><head><title>broken</head><body><div><p>unclosed <b>bold"
                b"<a href=\"/c.html\">c<a href='/e.html'>e</a><table><tr><td>"
                b"<a href=/a.html>a</a><p <a href=\"/target.html\">x</a>")
        return 200, html, body
    if path == "/base/index.html":
        return 200, html, page("base", '<base href="/based/">' + links("page.html"))
    if path == "/noindex.html":
        return 200, html, page("noindex", '<meta name="robots" content="noindex">' +
                               links("/from-noindex.html"))
    if path == "/nofollow.html":
        return 200, html, page("nofollow", '<meta name="robots" content="nofollow">' +
                               links("/never-1.html"))
    if path == "/xrobots.html":
        return 200, html + [("X-Robots-Tag", "noindex")], page("xrobots", links("/from-xrobots.html"))
    if path == "/relnofollow.html":
        return 200, html, page("relnofollow", '<a rel="nofollow" href="/never-2.html">n</a>' +
                               links("/c.html"))
    if path == "/gzip.html":
        return 200, html + [("Content-Encoding", "gzip")], gzip.compress(page("gzip", ""))
    if path == "/etag.html":
        return 200, html + [("ETag", '"v1"')], page("etag", "")
    if path == "/lastmod.html":
        return 200, html + [("Last-Modified", LAST_MODIFIED)], page("lastmod", "")
    if path == "/latin1.html":
        return 200, [("Content-Type", "text/html; charset=ISO-8859-1")], \
            b"<html><body><p>caf\xe9</p></body></html>"
    if path == "/sitemap-index.xml":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                '<sitemap><loc>http://127.0.0.1:%d/sitemap-1.xml</loc></sitemap>\n'
                '<sitemap><loc>http://127.0.0.1:%d/sitemap-2.xml.gz</loc></sitemap>\n'
                '</sitemapindex>\n' % (port, port)).encode()
        return 200, [("Content-Type", "application/xml")], body
    if path == "/sitemap-1.xml":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                '<url><loc> http://127.0.0.1:%d/from-sitemap.html </loc></url>\n'
                '<url><loc>http://127.0.0.1:%d/a.html</loc></url>\n'
                '</urlset>\n' % (port, port)).encode()
        return 200, [("Content-Type", "application/xml")], body
    if path == "/sitemap-2.xml.gz":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                '<url><loc>http://127.0.0.1:%d/from-sitemap-gz.html</loc></url>\n'
                '</urlset>\n' % port).encode()
        return 200, [("Content-Type", "application/gzip")], gzip.compress(body)
    return None


WORDS = ("the crawler fetches pages politely and saves them for the model to read while the "
         "frontier keeps every address it has seen so that nothing is fetched twice").split()


def generated(path, count):
    if not (path.startswith("/p/") and path.endswith(".html")) and path != "/":
        return None
    n = 0 if path == "/" else int(path[3:-5])
    if n < 0 or n >= count:
        return None
    targets = ["/p/%d.html" % ((n * 7 + k * 13 + 1) % count) for k in range(3)]
    targets += ["/p/%d.html" % (n + 1)] if n + 1 < count else []
    text = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(400))
    return 200, [("Content-Type", "text/html; charset=utf-8")], \
        page("page %d" % n, "<p>%s</p>\n%s" % (text, links(*targets)))


def static(path):
    root = os.path.realpath(ARGS.site)
    rel = path.split("?", 1)[0].lstrip("/")
    full = os.path.realpath(os.path.join(root, rel))
    if not full.startswith(root):
        return None
    if os.path.isdir(full):
        full = os.path.join(full, "index.html")
    if not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        body = f.read()
    kind = "text/html; charset=utf-8" if full.endswith((".html", ".htm")) else \
        "text/plain; charset=utf-8" if full.endswith((".txt", ".md")) else \
        "application/xml" if full.endswith(".xml") else "application/octet-stream"
    st = os.stat(full)
    return 200, [("Content-Type", kind),
                 ("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))], body


def log_line(arrived, method, path, status, host="-"):
    if ARGS.log:
        with LOCK:
            with open(ARGS.log, "a") as f:
                f.write("%.6f %s %s %d %s\n" % (arrived, method, path, status, host or "-"))


def hits(path):
    with LOCK:
        return HITS.get(path, 0)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "crtest/1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and the client's
    # delayed ACK add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def log_request_line(self, arrived, status):
        if self.path != "/slow":
            log_line(arrived, self.command, self.path, status, self.headers.get("Host"))

    def do_GET(self):
        arrived = time.time()
        with LOCK:
            HITS[self.path] = HITS.get(self.path, 0) + 1
            REQUESTS[0] += 1
            request_number = REQUESTS[0]
        if ARGS.latency:
            time.sleep(ARGS.latency / 1000.0)
        port = self.server.server_address[1]
        if ARGS.fail_first and request_number <= ARGS.fail_first:
            return self.answer(arrived, 503, [("Content-Type", "text/plain"),
                                              ("Retry-After", "1")], b"down\n")
        if self.path == "/robots.txt" and ARGS.robots_redirect:
            return self.answer(arrived, 301, [("Location", ARGS.robots_redirect)], b"")
        if self.path == "/robots.txt" and (ARGS.robots or ARGS.robots_status):
            if ARGS.robots_status:
                return self.answer(arrived, ARGS.robots_status, [("Content-Type", "text/plain")],
                                   b"robots status\n")
            with open(ARGS.robots) as f:
                text = f.read().replace("{port}", str(port))
            return self.answer(arrived, 200, [("Content-Type", "text/plain")], text.encode())
        if self.path == "/http09" and not (ARGS.site or ARGS.pages):
            self.log_request_line(arrived, 0)
            self.close_connection = True
            self.wfile.write(b"<html><body>no status line</body></html>\n")
            return
        if self.path == "/endless" and not (ARGS.site or ARGS.pages):
            self.log_request_line(arrived, 200)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"<p>more</p>\n" * 5000
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                return
        if ARGS.site:
            result = static(self.path)
        elif ARGS.pages:
            result = generated(self.path, ARGS.pages)
        else:
            result = fixture(self.path, port)
        if result is None:
            return self.answer(arrived, 404, [("Content-Type", "text/html")], page("not found", ""))
        status, headers, body = result
        # Conditional requests: ETag first (RFC 9110 13.2.2), then Last-Modified.
        names = {k.lower(): v for k, v in headers}
        etag = names.get("etag")
        if status == 200 and etag is None and ARGS.site:
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            headers = headers + [("ETag", etag)]
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if status == 200 and inm is not None and etag is not None:
            if etag in [t.strip() for t in inm.split(",")]:
                return self.answer(arrived, 304, [("ETag", etag)], b"")
        elif status == 200 and ims and names.get("last-modified"):
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
                modified = email.utils.parsedate_to_datetime(names["last-modified"]).timestamp()
                if modified <= since:
                    return self.answer(arrived, 304, [], b"")
            except (TypeError, ValueError):
                pass
        chunked = self.path == "/huge-chunked"
        return self.answer(arrived, status, headers, body, chunked)

    def answer(self, arrived, status, headers, body, chunked=False):
        self.log_request_line(arrived, status)
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            elif status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status == 304:
                return
            if chunked:
                for i in range(0, len(body), 65536):
                    part = body[i:i + 65536]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that hangs up (a crawler killed, a transfer aborted) is not news.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def verify_request(self, request, client_address):
        with LOCK:
            CONNECTIONS[0] += 1
            n = CONNECTIONS[0]
        if ARGS.drop_first and n <= ARGS.drop_first:
            if ARGS.log:
                with LOCK:
                    with open(ARGS.log, "a") as f:
                        f.write("%.6f DROP - 0\n" % time.time())
            return False  # closed without an answer
        return True


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--log")
    p.add_argument("--site")
    p.add_argument("--pages", type=int, default=0)
    p.add_argument("--latency", type=float, default=0)
    p.add_argument("--robots")
    p.add_argument("--robots-status", type=int, default=0)
    p.add_argument("--robots-redirect")
    p.add_argument("--drop-first", type=int, default=0)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--start-after", type=float, default=0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ARGS = p.parse_args()
    if ARGS.start_after:
        time.sleep(ARGS.start_after)
    server = Server((ARGS.bind, ARGS.port), Handler)
    if ARGS.tls:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ARGS.tls[0], ARGS.tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
