#!/bin/sh
# test_notify.sh — notifications: a webhook (JSON POST) to a server on 127.0.0.1 that holds
# the first request and then fails it: the scheduler keeps running meanwhile, the POST is
# retried and delivered; notify commands run with their placeholders filled in.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/common.sh"

port=$(free_port)
start_bg $PY "$HERE/webhook_server.py" "$port" "$T/hooks.log" "$T/release"
mkdir -p "$T/ws"
cat > "$T/p.yaml" <<YAML
workspace: ws
defaults:
  retry: {max_attempts: 2, delay: 100ms}
stages:
  - name: bad
    watch: inbox
    match: ["*.bad"]
    notify:
      webhook: "http://127.0.0.1:$port/hook"
      on_failure: [$HERE/stage_note.sh, "$T/notes", "{event}", "{stage}", "{input}", "{exit}"]
    run: [$HERE/stage_exit.sh, "65", out, "{input}"]
  - name: good
    watch: inbox
    match: ["*.txt"]
    notify: {on_success: [$HERE/stage_note.sh, "$T/notes", "{event}", "{stage}", "{inputs}"]}
    run: [$HERE/stage_copy.sh, out, "{input}"]
YAML
check "the webhook server listens" wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.1', $port))"
pid=$(start_daemon "$T/p.yaml")
echo "nope" > "$T/ws/inbox/x.bad"
check "failure: the webhook is called" wait_for 10 has_lines "$T/hooks.log" 1
check "failure: the notify command ran" wait_for 10 grep -q "^failure bad inbox/x.bad 65$" "$T/notes"
# The server holds the first POST: the scheduler must keep going meanwhile.
echo "fine" > "$T/ws/inbox/y.txt"
check "a run completes while the webhook hangs (the scheduler does not wait)" wait_for 10 grep -q "done y.txt" "$T/ws/out/done.log"
check "success: the notify command ran with {inputs}" wait_for 10 grep -q "^success good inbox/y.txt$" "$T/notes"
expect_eq "the held webhook is still the only one" "$(lines "$T/hooks.log")" 1
touch "$T/release" # the server now answers 500: the POST must be retried
check "the failed POST is retried and delivered" wait_for 15 has_lines "$T/hooks.log" 2
sleep 0.5
expect_eq "delivered once after the retry (no third POST)" "$(lines "$T/hooks.log")" 2
body=$(sed -n 2p "$T/hooks.log")
expect_eq "the JSON body says what failed" "$(printf '%s' "$body" | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(d["event"], d["stage"], d["inputs"], d["exit"], d["attempts"], d["moved_to"])')" \
    "failure bad ['inbox/x.bad'] 65 1 failed/bad/x.bad"
expect_eq "both POSTs carry the same notification" "$(sed -n 1p "$T/hooks.log" | cut -c1-60)" "$(printf '%s' "$body" | cut -c1-60)"
"$ORCH" -c "$T/p.yaml" stop >/dev/null
check_daemon_logs
finish
