# common.sh — helpers for the orchestrator's shell tests (sourced after tests/tap.sh).
# Each test writes its config into $T, whose workspace is $T/ws; the stage programs are the
# small scripts beside this file, run by absolute path (execvp, no shell in between).
ORCH="$CR_BIN/orchestrator"
HERE=$(cd "$(dirname "$0")" && pwd)
DAEMONS=""

# start_daemon CONFIG: starts the daemon in the background and registers its pid for cleanup.
start_daemon() {
    "$ORCH" -c "$1" start >/dev/null 2>"$T/start.err" || return 1
    ws=$(dirname "$1")/ws
    pid=$(cat "$ws/.orchestrator/pid")
    DAEMONS="$DAEMONS $pid"
    echo "$pid"
}

stop_all_daemons() {
    for pid in $DAEMONS; do kill "$pid" 2>/dev/null; done
    for pid in $DAEMONS; do
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    done
    tap_cleanup
}
trap stop_all_daemons EXIT

# lines FILE: its line count, 0 when it does not exist.
lines() { if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi; }

# has_lines FILE N: true when FILE has at least N lines.
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }

# sql WORKSPACE QUERY: one query on the record, rows as "a|b|c".
sql() {
    $PY - "$1/.orchestrator/record.sqlite" "$2" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PYEOF
}

# item_state WORKSPACE PATH: the state of the newest item for PATH.
item_state() { sql "$1" "SELECT state FROM items WHERE path='$2' ORDER BY id DESC LIMIT 1"; }
is_state() { [ "$(item_state "$1" "$2")" = "$3" ]; }

# The daemons' logs hold no sanitizer report (make test SANITIZE=1) and no crash.
check_daemon_logs() {
    bad=$(cat "$T"/ws/.orchestrator/daemon.log 2>/dev/null | grep -E "Sanitizer|runtime error" | head -3)
    expect_eq "the daemon's log has no sanitizer report" "$bad" ""
}
