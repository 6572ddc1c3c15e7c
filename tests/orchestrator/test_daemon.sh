#!/bin/sh
# test_daemon.sh — the daemon's life: one per workspace, a 0600 socket, files that arrived
# while it was down, the same content never twice, SIGKILL during runs and restart (none lost,
# none done twice), `stop` waiting for a run, SIGHUP with a broken config and a good one, logs
# that do not grow without end.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/common.sh"

mkdir -p "$T/ws/inbox"
write_config() { # $1: match pattern of the slow stage
    cat > "$T/p.yaml" <<YAML
workspace: ws
concurrency: 2
defaults:
  retry: {max_attempts: 3, delay: 100ms, jitter: 0}
stages:
  - name: slow
    watch: inbox
    match: ["$1"]
    run: [$HERE/stage_slow.sh, "1.5", out, "{input}"]
  - name: hold
    watch: inbox
    match: ["*.hold"]
    run: [$HERE/stage_hold.sh, release, out, "{input}"]
YAML
}
write_config "*.txt"

# Files that were there before the first start are taken too.
echo early > "$T/ws/inbox/early.txt"
pid=$(start_daemon "$T/p.yaml")
check "start: the daemon runs" kill -0 "$pid"
expect_eq "start: the pidfile names it" "$(cat "$T/ws/.orchestrator/pid")" "$pid"
expect_eq "start: the control socket is mode 0600" "$(stat -c %a "$T/ws/.orchestrator/control.sock")" 600
out=$("$ORCH" -c "$T/p.yaml" start 2>&1); code=$?
expect_eq "second start: refused with exit 75" "$code" 75
expect_match "second start: names the pid that holds the workspace" "$out" "already running \\(pid $pid\\)"
check "a file there before start is processed" wait_for 10 is_state "$T/ws" inbox/early.txt done
check "failed/ and the state folder exist" test -d "$T/ws/failed" -a -d "$T/ws/.orchestrator/logs"

# SIGKILL during runs, then start again: nothing lost, nothing done twice.
for i in 1 2 3 4 5 6; do echo "file $i" > "$T/ws/inbox/k$i.txt"; done
check "runs are in flight" wait_for 10 has_lines "$T/ws/out/start.log" 3
kill -9 "$pid"
check "the daemon is gone" wait_for 5 sh -c "! kill -0 $pid"
sleep 2 # a run that outlived the daemon would finish in this time
done_before=$(lines "$T/ws/out/done.log")
expect_eq "its runs died with it (no stage finished after the SIGKILL)" "$done_before" 1
echo late > "$T/ws/inbox/late.txt" # arrives while the daemon is down
pid=$(start_daemon "$T/p.yaml")
check "restart after SIGKILL" kill -0 "$pid"
check "after restart every file is processed" wait_for 20 has_lines "$T/ws/out/done.log" 8
sleep 0.5
expect_eq "each input reached the end exactly once" "$(sort "$T/ws/out/done.log" | uniq -d)" ""
expect_eq "the record: 8 items done" "$(sql "$T/ws" "SELECT COUNT(*) FROM items WHERE state='done'")" 8
expect_eq "the record: no item has two successful runs" \
    "$(sql "$T/ws" "SELECT item_id FROM run_items JOIN runs ON runs.id=run_id WHERE outcome='ok' GROUP BY item_id HAVING COUNT(*) > 1")" ""
check "the interrupted runs are recorded as such" test "$(sql "$T/ws" "SELECT COUNT(*) FROM runs WHERE outcome='interrupted'")" -ge 1
check "inputs are never deleted" test -f "$T/ws/inbox/k1.txt" -a -f "$T/ws/inbox/late.txt"

# The same content is not processed again; changed content is.
touch "$T/ws/inbox/k1.txt"                       # same content, new mtime
cp "$T/ws/inbox/k2.txt" "$T/ws/inbox/k2.tmp" && mv "$T/ws/inbox/k2.tmp" "$T/ws/inbox/k2.txt"
echo "changed" > "$T/ws/inbox/k3.txt"
check "changed content is processed again" wait_for 10 has_lines "$T/ws/out/done.log" 9
sleep 1
expect_eq "same content is not processed again" "$(grep -c 'k[12].txt' "$T/ws/out/done.log")" 2

# status while a run is in flight shows its pid and elapsed time.
echo "status me" > "$T/ws/inbox/s.hold"
check "a run starts" wait_for 10 grep -q "start s.hold" "$T/ws/out/start.log"
status=$("$ORCH" -c "$T/p.yaml" status)
expect_match "status: the run in flight with pid and elapsed" "$status" "hold +run [0-9]+ +pid [0-9]+ +elapsed [0-9.]+m?s +inbox/s.hold"
expect_match "status: says the daemon runs" "$status" "running, pid $pid"

# stop waits for the running stage to finish (it is not interrupted).
(sleep 1; touch "$T/ws/release") &
out=$("$ORCH" -c "$T/p.yaml" stop)
expect_match "stop: reports the stopped pid" "$out" "stopped \\(pid $pid\\)"
check "stop: the run finished first" grep -q "done s.hold" "$T/ws/out/done.log"
expect_eq "stop: its item is done" "$(item_state "$T/ws" inbox/s.hold)" done
check "stop: the daemon is gone" wait_for 5 sh -c "! kill -0 $pid"
expect_match "status after stop: not running" "$("$ORCH" -c "$T/p.yaml" status)" "not running"
expect_match "stop when stopped: says so" "$("$ORCH" -c "$T/p.yaml" stop)" "not running"

# SIGHUP: a broken config is refused and the old one kept; a good one is taken.
pid=$(start_daemon "$T/p.yaml")
printf 'workspace: ws\nstages:\n  - name: slow\n    watch: inbox\n    run: [x, "{input}"\n' > "$T/p.yaml"
kill -HUP "$pid"
check "SIGHUP with a broken config: the refusal is logged with file:line:column" \
    wait_for 5 grep -Eq "reload refused.*p\\.yaml:[0-9]+:[0-9]+:" "$T/ws/.orchestrator/daemon.log"
check "SIGHUP with a broken config: the daemon keeps running" kill -0 "$pid"
echo "after bad reload" > "$T/ws/inbox/h1.txt"
check "SIGHUP with a broken config: the old config still works" wait_for 10 grep -q "done h1.txt" "$T/ws/out/done.log"
write_config "*.md"
kill -HUP "$pid"
check "SIGHUP with a good config: reloaded" wait_for 5 grep -q "reloaded" "$T/ws/.orchestrator/daemon.log"
echo "markdown" > "$T/ws/inbox/h2.md"
echo "text" > "$T/ws/inbox/h3.txt"
check "SIGHUP with a good config: the new pattern is used" wait_for 10 grep -q "done h2.md" "$T/ws/out/done.log"
sleep 1
check "SIGHUP with a good config: the old pattern is not" sh -c "! grep -q 'h3.txt' '$T/ws/out/done.log'"
# A record that cannot be written (a file size limit, as on a full disk): the daemon stops by
# itself and says why; started again with room, it loses nothing. A corrupt record is refused.
mkdir -p "$T/full/ws/in"
printf 'workspace: ws\nstages:\n  - {name: copy, watch: in, run: [%s/stage_copy.sh, out, "{input}"]}\n' "$HERE" > "$T/full/p.yaml"
(ulimit -f 200; "$ORCH" -c "$T/full/p.yaml" start >/dev/null 2>&1)
fullpid=$(cat "$T/full/ws/.orchestrator/pid")
check "record unwritable: the daemon started" test -n "$fullpid"
DAEMONS="$DAEMONS $fullpid"
$PY -c "
for i in range(200): open('$T/full/ws/in/f%03d' % i, 'w').write('file %d' % i)"
check "record unwritable: the daemon stops by itself" wait_for 20 sh -c "! kill -0 $fullpid"
check "record unwritable: its log says why" grep -q "the record cannot be written" "$T/full/ws/.orchestrator/daemon.log"
fullpid=$(start_daemon "$T/full/p.yaml")
check "record writable again: every file is processed" wait_for 30 sh -c "[ \$(sort -u '$T/full/ws/out/done.log' | wc -l) -ge 200 ]"
expect_eq "record writable again: 200 items done" "$(sql "$T/full/ws" "SELECT COUNT(*) FROM items WHERE state='done'")" 200
"$ORCH" -c "$T/full/p.yaml" stop >/dev/null
mkdir -p "$T/corrupt/ws/.orchestrator"
head -c 8192 /dev/urandom > "$T/corrupt/ws/.orchestrator/record.sqlite"
cp "$T/full/p.yaml" "$T/corrupt/p.yaml"
out=$("$ORCH" -c "$T/corrupt/p.yaml" start 2>&1); code=$?
expect_eq "corrupt record: start fails with exit 74" "$code" 74
expect_match "corrupt record: says which file" "$out" "record.sqlite: file is not a database"

# logs -f: prints each run of the stage as it ends.
"$ORCH" -c "$T/p.yaml" logs -f -n 1 slow > "$T/follow.out" 2>&1 &
follower=$!
TAP_PIDS="$TAP_PIDS $follower"
check "logs -f: prints the last run first" wait_for 5 grep -q "^== run [0-9]* slow: ok" "$T/follow.out"
echo "follow me" > "$T/ws/inbox/f1.md"
check "logs -f: a new run appears as it ends" wait_for 10 grep -q "^== run [0-9]* slow: ok, exit 0, .*inbox/f1.md" "$T/follow.out"
kill "$follower" 2>/dev/null
"$ORCH" -c "$T/p.yaml" stop >/dev/null
check_daemon_logs

# The logs do not grow without end: at run 10,500 the logs of runs 500 and older go, newer
# ones stay, and a daemon.log over 16 MiB becomes daemon.log.1. (The record is given a run
# 10,499 first, and the log a 17 MiB head start.)
mkdir -p "$T/tidy/ws/inbox" "$T/tidy/ws/.orchestrator/logs/each" "$T/tidy/ws/.orchestrator/logs/other"
printf 'workspace: ws\nstages:\n  - name: each\n    watch: inbox\n    run: [%s/stage_copy.sh, out, "{input}"]\n' \
    "$HERE" >"$T/tidy/p.yaml"
start_daemon "$T/tidy/p.yaml" >/dev/null # creates the record
"$ORCH" -c "$T/tidy/p.yaml" stop >/dev/null
$PY - "$T/tidy/ws/.orchestrator/record.sqlite" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO runs(id, stage, start_ms, end_ms, exit, outcome) VALUES (10499, 'each', 0, 1, 0, 'ok')")
db.commit()
PYEOF
for old in each/3.log other/500.log; do echo old >"$T/tidy/ws/.orchestrator/logs/$old"; done
echo newer >"$T/tidy/ws/.orchestrator/logs/other/501.log"
echo notes >"$T/tidy/ws/.orchestrator/logs/notify.log"
head -c 17825792 /dev/zero | tr '\0' 'x' >"$T/tidy/ws/.orchestrator/daemon.log"
echo >>"$T/tidy/ws/.orchestrator/daemon.log"
tidy_pid=$(start_daemon "$T/tidy/p.yaml")
check "tidy: daemon started" test -n "$tidy_pid"
echo one >"$T/tidy/ws/inbox/one.txt"
check "tidy: run 10,500 done" wait_for 10 test -f "$T/tidy/ws/.orchestrator/logs/each/10500.log"
sleep 0.3
logs_left=$(cd "$T/tidy/ws/.orchestrator/logs" && ls each/*.log other/*.log notify.log 2>/dev/null | tr '\n' ' ')
expect_eq "tidy: logs of runs 500 and older removed, newer and other files kept" "$logs_left" "each/10500.log notify.log other/501.log "
check "tidy: daemon.log became daemon.log.1" test "$(stat -c %s "$T/tidy/ws/.orchestrator/daemon.log.1" 2>/dev/null || echo 0)" -ge 17825792
check "tidy: the new daemon.log is small" test "$(stat -c %s "$T/tidy/ws/.orchestrator/daemon.log")" -lt 100000
check "tidy: the new daemon.log says where it came from" grep -q "log continued from" "$T/tidy/ws/.orchestrator/daemon.log"
"$ORCH" -c "$T/tidy/p.yaml" stop >/dev/null
check "tidy: the daemon logs on in the new file" grep -q "stopped, pid" "$T/tidy/ws/.orchestrator/daemon.log"
finish
