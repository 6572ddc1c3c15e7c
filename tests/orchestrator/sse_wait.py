"""sse_wait.py URL INPUT LIMIT_S — reads the dashboard's event stream (/api/events): prints
"connected" once the first status event is in, then waits for the first status event whose
last runs include a finished run of INPUT, and prints "delay_ms N": the event's arrival time
minus the run's end time (both wall clock, ms). Exits 1 after LIMIT_S without one."""
import json
import sys
import time
import urllib.request

url, wanted, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.time() + limit
stream = urllib.request.urlopen(url, timeout=limit)
event, connected = None, False
while time.time() < deadline:
    line = stream.readline().decode("utf-8")
    if not line:
        break
    arrived_ms = time.time() * 1000
    line = line.rstrip("\n")
    if line.startswith("event: "):
        event = line[7:]
    elif line.startswith("data: ") and event == "status":
        status = json.loads(line[6:])
        if not connected:
            connected = True
            print("connected", flush=True)
        for run in status["last_runs"]:
            if run.get("first_input") == wanted and "end_ms" in run:
                print("delay_ms %d" % (arrived_ms - run["end_ms"]), flush=True)
                sys.exit(0)
sys.exit(1)
