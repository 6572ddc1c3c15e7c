#!/bin/sh
# test_dashboard.sh — the daemon's dashboard against a real daemon: the config's checks, the
# URL, the JSON endpoints, the event stream's delay after a stage finishes, Host / Origin /
# token refusals, hostile file names escaped, the run log, stop; then the page in headless
# Chromium while a tiny real trainer runs: loss chart and twelve spheres drawn, no console
# error, a screenshot kept in the build folder (tests/orchestrator/dashboard.png).
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/common.sh"

TR="$CR_BIN/trainer"
mkdir -p "$T/ws/inbox" "$T/ws/tokens"
write_config() { # $1: the dashboard entry
    cat > "$T/p.yaml" <<YAML
workspace: ws
$1
defaults:
  retry: {max_attempts: 1}
stages:
  - name: copy
    watch: inbox
    match: ["*.txt"]
    run: [$HERE/stage_copy.sh, out, "{input}"]
  - name: bad
    watch: inbox
    match: ["*.bad"]
    run: [$HERE/stage_exit.sh, "65", out, "{input}"]
  - name: flaky
    watch: inbox
    match: ["*.flaky"]
    retry: {max_attempts: 2, delay: 60s, jitter: 0}
    run: [$HERE/stage_flaky.sh, flaky-state, "1", out, "{input}"]
  - name: crawl
    watch: inbox
    match: ["*.urls"]
    run: [crawler, --seeds, "{input}", --out, raw, --delay, "0", --no-sitemaps, --retries, "0", --quiet]
  - name: train
    watch: tokens
    match: ["*.bin"]
    run: [trainer, train, --data, tokens, --out, models, --layers, "2", --channels, "32", --heads, "4",
          --seq-len, "16", --batch, "12", --val-every, "25", --checkpoint-every, "2000",
          --steps, "20000", --threads, "${TRAIN_THREADS:-1}", --quiet]
YAML
}

# ---- the config ----
write_config 'dashboard: {listen: "0.0.0.0:8080"}'
out=$("$ORCH" -c "$T/p.yaml" validate 2>&1); code=$?
expect_eq "a non-loopback address without allow_remote is refused (exit 65)" "$code" 65
expect_match "... with the position and what it would expose" "$out" "p.yaml:2:12: dashboard.listen: 0.0.0.0 is not a loopback address.*allow_remote: true"
write_config 'dashboard: {listen: "0.0.0.0:8080", allow_remote: true, hosts: [box.lan]}'
check "with allow_remote: true it is accepted" "$ORCH" -c "$T/p.yaml" validate
write_config 'dashboard: {listen: "localhost"}'
out=$("$ORCH" -c "$T/p.yaml" validate 2>&1)
expect_match "listen without a port is refused" "$out" "dashboard.listen: 'localhost' is not ADDRESS:PORT"
write_config 'dashboard: {listen: "127.0.0.1:0", color: blue}'
out=$("$ORCH" -c "$T/p.yaml" validate 2>&1)
expect_match "an unknown dashboard key is refused" "$out" "unknown key 'color' in dashboard"
write_config ''
out=$("$ORCH" -c "$T/p.yaml" dashboard 2>&1); code=$?
expect_eq "dashboard without a dashboard entry: exit 66" "$code" 66
expect_match "... says it is off" "$out" "dashboard: off"

# Port 0: any free port; the daemon says which.
write_config 'dashboard: {listen: "127.0.0.1:0"}'
out=$("$ORCH" -c "$T/p.yaml" dashboard 2>&1); code=$?
expect_eq "dashboard with no daemon running: exit 75" "$code" 75
pid=$(start_daemon "$T/p.yaml")
check "start with a dashboard" kill -0 "$pid"
url=$("$ORCH" -c "$T/p.yaml" dashboard)
expect_match "orchestrator dashboard prints the URL" "$url" '^http://127\.0\.0\.1:[0-9]+/$'
base=${url%/}
hostport=${base#http://}
port=${hostport#*:}

# ---- the page and the JSON endpoints ----
curl -s -D "$T/h" -o "$T/page" "$base/"
token=$(sed -n 's/.*name="dashboard-token" content="\([0-9a-f]*\)".*/\1/p' "$T/page")
expect_match "the page carries a 32-hex-digit token" "$token" '^[0-9a-f]{32}$'
expect_match "the page is sent with a Content-Security-Policy" "$(cat "$T/h")" "Content-Security-Policy: default-src 'none'; script-src 'self'"
code=$(curl -s -o "$T/uplot.js" -w '%{http_code}' "$base/uPlot.iife.min.js")
expect_eq "uPlot is served from the binary (no CDN)" "$code:$(head -c 40 "$T/uplot.js" | grep -c uPlot)" "200:1"

echo ok > "$T/ws/inbox/one.txt"
check "a stage runs" wait_for 10 is_state "$T/ws" inbox/one.txt done
json_of() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$T/json"; }
wait_status() { # $1: a Python expression over d (the status) that must hold
    curl -s -o "$T/json" "$base/api/status" && [ "$(json_of "$1")" = True ]
}
check "/api/status is JSON and counts the done item" wait_for 5 wait_status "[s['done'] for s in d['stages'] if s['name']=='copy']==[1]"
expect_eq "/api/status names the stages in config order" "$(json_of "[s['name'] for s in d['stages']]")" "['copy', 'bad', 'flaky', 'crawl', 'train']"
expect_eq "/api/status lists the run with its input" "$(json_of "d['last_runs'][0]['first_input'], d['last_runs'][0]['outcome']")" "inbox/one.txt ok"

# ---- the event stream: a new event within 1 s of a stage finishing ----
$PY "$HERE/sse_wait.py" "$base/api/events" inbox/two.txt 20 > "$T/sse" 2>&1 &
sse_pid=$!
TAP_PIDS="$TAP_PIDS $sse_pid"
wait_for 10 grep -q connected "$T/sse"
echo ok > "$T/ws/inbox/two.txt"
wait "$sse_pid"
delay=$(sed -n 's/^delay_ms //p' "$T/sse")
if [ -n "$delay" ] && [ "$delay" -lt 1000 ]; then ok "the event stream has the finished run ${delay} ms after its end"
else not_ok "the event stream has the finished run within 1 s" "$(cat "$T/sse")"; fi

# A failed first attempt: retrying, with the time of the next one.
echo x > "$T/ws/inbox/later.flaky"
check "a failed attempt shows as retrying" wait_for 10 wait_status "len(d['retrying'])==1"
expect_eq "... with its attempts, policy, error and next attempt time (60 s after the failure)" \
    "$(json_of "d['retrying'][0]['path'], d['retrying'][0]['attempts'], d['retrying'][0]['max_attempts'], d['retrying'][0]['last_error'], 55000 < d['retrying'][0]['next_attempt_ms'] - d['now_ms'] <= 60000")" \
    "inbox/later.flaky 1 2 exit 1 True"

# ---- refusals: Host (DNS rebinding), Origin, token ----
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect_eq "a foreign Host is refused (page, status, events)" \
    "$(status_of -H "Host: evil.example:$port" "$base/") $(status_of -H "Host: evil.example:$port" "$base/api/status") $(status_of -m 3 -H "Host: evil.example" "$base/api/events")" "403 403 403"
expect_eq "Host localhost:PORT is accepted" "$(status_of -H "Host: localhost:$port" "$base/api/status")" 200
expect_eq "a GET from a foreign Origin is refused" "$(status_of -H "Origin: http://evil.example" "$base/api/status")" 403

# A hostile name: markup, quotes, an ampersand and control characters.
hostile=$(printf 'h<img src=x onerror=alert(1)>"q\047&\001\t.bad')
printf 'not good\n' > "$T/ws/inbox/$hostile"
check "the hostile file fails into failed/" wait_for 10 test -f "$T/ws/failed/bad/$hostile.error"
check "the failure reaches /api/status" wait_for 5 wait_status "len(d['failed'])==1"
item=$(json_of "d['failed'][0]['item']")
$PY - "$T/json" "$hostile" > "$T/hostile.out" <<'PYEOF'
import json, sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw)
f = d["failed"][0]
print("path", f["path"] == "inbox/" + sys.argv[2])
# (how the .error file writes a name's control characters is quarantine.c's business)
print("error", "h<img src=x onerror=alert(1)>" in f["error"] and "stage: bad" in f["error"])
print("raw-controls", any(b < 0x20 for b in raw))
print("escaped", b"\\u0001" in raw and b"\\t" in raw)
PYEOF
expect_eq "/api/status holds the hostile name exactly, its .error text, and no raw control byte" \
    "$(tr '\n' ' ' < "$T/hostile.out")" "path True error True raw-controls False escaped True "
run=$(json_of "d['failed'][0]['run']")
curl -s -D "$T/h" -o "$T/log" "$base/log/$run"
expect_match "the run log is a click away, as plain text" "$(grep -i '^content-type' "$T/h")" "text/plain; charset=utf-8"
expect_match "... holding the stage's output" "$(cat "$T/log")" "no 'ok' in it"
expect_eq "unknown runs and odd log paths: 404" "$(status_of "$base/log/99999") $(status_of "$base/log/..%2f..%2fetc%2fpasswd")" "404 404"

retry_url="$base/api/retry?item=$item"
expect_eq "retry by GET: 405" "$(status_of "$retry_url")" 405
expect_eq "retry without a token: 403" "$(status_of -X POST -H "Origin: http://$hostport" "$retry_url")" 403
expect_eq "retry with a wrong token: 403" "$(status_of -X POST -H "Origin: http://$hostport" -H "X-Dashboard-Token: 0123456789abcdef0123456789abcdef" "$retry_url")" 403
expect_eq "retry with the token but no Origin: 403" "$(status_of -X POST -H "X-Dashboard-Token: $token" "$retry_url")" 403
expect_eq "retry with the token from a foreign Origin: 403" "$(status_of -X POST -H "Origin: http://evil.example" -H "X-Dashboard-Token: $token" "$retry_url")" 403
expect_eq "retry with a foreign Host: 403" "$(status_of -X POST -H "Host: evil.example:$port" -H "Origin: http://evil.example:$port" -H "X-Dashboard-Token: $token" "$retry_url")" 403
expect_eq "the refused retries left the input in failed/" "$(sql "$T/ws" "SELECT state FROM items WHERE id=$item")" failed
runs_before=$(sql "$T/ws" "SELECT COUNT(*) FROM run_items WHERE item_id=$item")
answer=$(curl -s -X POST -H "Origin: http://$hostport" -H "X-Dashboard-Token: $token" "$retry_url")
expect_eq "retry with token, Origin and Host: queued again" "$answer" "{\"ok\":true,\"item\":$item}"
runs_again() { [ "$(sql "$T/ws" "SELECT COUNT(*) FROM run_items WHERE item_id=$item")" -gt "$runs_before" ]; }
check "... and it runs again (as orchestrator retry does)" wait_for 10 runs_again

# ---- the crawl: a small site on 127.0.0.1, one page missing ----
mkdir -p "$T/site"
printf '<html><body><a href="a.html">a</a> <a href="b.html">b</a> <a href="gone.html">gone</a></body></html>\n' > "$T/site/index.html"
printf '<html><body><p>page a</p></body></html>\n' > "$T/site/a.html"
printf '<html><body><p>page b</p></body></html>\n' > "$T/site/b.html"
site_port=$(free_port)
start_bg $PY -m http.server --bind 127.0.0.1 --directory "$T/site" "$site_port" > "$T/site.log" 2>&1
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$site_port/index.html"
echo "http://127.0.0.1:$site_port/index.html" > "$T/ws/inbox/site.urls"
check "the crawl stage runs" wait_for 20 is_state "$T/ws" inbox/site.urls done
check "/api/status has the crawl: 3 fetched, 1 failed, 0 queued, 3 pages in raw/" wait_for 10 wait_status \
    "(d['crawl']['stage'], d['crawl'].get('fetched'), d['crawl'].get('failed'), d['crawl'].get('queued'), d['crawl']['pages_in_folder'])==('crawl', 3, 1, 0, 3)"

# ---- the browser, while the trainer trains ----
$PY "$HERE/../trainer/mkshard.py" "$T/ws/tokens/.a.tmp" 40000 256 1
mv "$T/ws/tokens/.a.tmp" "$T/ws/tokens/a.bin"
metrics_rows() { [ "$(lines "$T/ws/models/metrics.jsonl")" -ge 30 ]; }
check "the trainer writes metrics.jsonl" wait_for 30 metrics_rows
metrics_served() { curl -s -o "$T/json" "$base/api/metrics" && [ "$(json_of "d['rows']>=30")" = True ]; }
check "/api/metrics serves them" wait_for 5 metrics_served
expect_eq "/api/metrics: columns of equal length and twelve spheres in the latest step" \
    "$(json_of "len(d['step'])==len(d['loss'])==len(d['lr'])==d['rows']>=30, len(d['latest']['spheres']), sorted(d['latest'].keys())[:3]")" \
    "True 12 ['epoch', 'grad_norm', 'loss']"
shot_dir=${CR_BUILD:-$T}/tests/orchestrator
mkdir -p "$shot_dir" "$T/profile"
shot="$shot_dir/dashboard.png"
rm -f "$shot"
if [ -x /usr/bin/chromium ] && command -v node >/dev/null; then
    node --experimental-websocket "$HERE/browser.js" "$url" "$shot" "$T/profile" > "$T/browser.out" 2>"$T/browser.err"
    code=$?
    result=$(tail -n 1 "$T/browser.out")
    expect_eq "the page loads with no console error" "$code $(printf '%s' "$result" | $PY -c 'import json,sys; print(json.load(sys.stdin)["errors"])' 2>&1)" "0 []"
    expect_eq "the loss chart and the twelve spheres around Node Zero are drawn" \
        "$(printf '%s' "$result" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["points"]>=2, d["canvases"], d["spheresWithData"], d["nodeZero"], d["live"])' 2>&1)" "True 1 12 1 live"
    expect_eq "the hostile name is shown as text (escaped control characters, no element made)" \
        "$(printf '%s' "$result" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["injected"], "h<img src=x onerror=alert(1)>\"q'"'"'&\\x01\\t.bad" in d["failedText"])' 2>&1)" "0 True"
    expect_eq "the page's retry button queues the input again (token and Origin from the page)" \
        "$(printf '%s' "$result" | $PY -c 'import json,sys; print(json.load(sys.stdin)["retryButton"])' 2>&1)" "queued"
    check "a screenshot is saved ($shot)" test -s "$shot"
    echo "# screenshot: $shot"
    [ "$code" = 0 ] || sed 's/^/# /' "$T/browser.out" "$T/browser.err" | tail -20
else
    not_ok "the browser test needs /usr/bin/chromium and node (make deps installs them)"
fi

# ---- stop ----
"$ORCH" -c "$T/p.yaml" stop --timeout 1s >/dev/null 2>&1
check "stop removes .orchestrator/dashboard" test ! -e "$T/ws/.orchestrator/dashboard"
expect_eq "stop closes the port" "$(status_of -m 2 "$base/api/status")" 000

# dashboard.hosts: more names accepted in Host (and Origin), the others still refused.
write_config 'dashboard: {listen: "127.0.0.1:0", hosts: [box.lan]}'
start_daemon "$T/p.yaml" >/dev/null
base=$("$ORCH" -c "$T/p.yaml" dashboard); base=${base%/}; port=${base##*:}
expect_eq "dashboard.hosts: Host box.lan:PORT accepted, its Origin too, another name refused" \
    "$(status_of -H "Host: box.lan:$port" "$base/api/status") $(status_of -H "Host: box.lan:$port" -H "Origin: http://box.lan:$port" "$base/api/status") $(status_of -H "Host: other.lan:$port" "$base/api/status")" "200 200 403"
"$ORCH" -c "$T/p.yaml" stop --timeout 1s >/dev/null 2>&1

# A port that is taken: the pipeline runs without its dashboard, and says why.
$PY -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$T/busy" &
busy_pid=$!
TAP_PIDS="$TAP_PIDS $busy_pid"
wait_for 5 test -s "$T/busy"
write_config "dashboard: {listen: \"127.0.0.1:$(cat "$T/busy")\"}"
out=$("$ORCH" -c "$T/p.yaml" start 2>&1); code=$?
DAEMONS="$DAEMONS $(cat "$T/ws/.orchestrator/pid" 2>/dev/null)"
expect_eq "a dashboard port in use: the daemon starts anyway" "$code" 0
expect_match "... and start says why there is no dashboard" "$out" "no dashboard: dashboard: listening on 127.0.0.1:[0-9]+: Address already in use"
out=$("$ORCH" -c "$T/p.yaml" dashboard 2>&1); code=$?
expect_eq "... orchestrator dashboard: exit 75" "$code" 75
expect_match "... naming the address" "$out" "serves none: it could not listen on 127.0.0.1:[0-9]+"
"$ORCH" -c "$T/p.yaml" stop --timeout 1s >/dev/null 2>&1
kill "$busy_pid" 2>/dev/null
check_daemon_logs
finish
