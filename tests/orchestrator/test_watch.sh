#!/bin/sh
# test_watch.sh — what the watcher takes and when: 1,000 files dropped at once (each
# processed once, one run per file and in batches), files renamed into place, files written
# slowly (taken only once closed), temporary and dot files ignored, settle waiting for quiet,
# the kernel's event queue overflowing, and a run by hand beside the daemon.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/common.sh"

mkdir -p "$T/ws"
cat > "$T/p.yaml" <<YAML
workspace: ws
defaults:
  retry: {max_attempts: 2, delay: 100ms}
stages:
  - name: each
    watch: one
    match: ["*.txt"]
    run: [$HERE/stage_copy.sh, out-one, "{input}"]
  - name: batched
    watch: many
    match: ["*.txt"]
    batch: {max_files: 100, settle: 200ms}
    run: [$HERE/stage_copy.sh, out-many, "{inputs}"]
  - name: whole
    watch: settle
    settle: 1500ms
    concurrency: 1
    run: [$HERE/stage_slow.sh, "0", out-settle]
YAML
pid=$(start_daemon "$T/p.yaml")
check "daemon started" test -n "$pid"

# 1,000 files at once, written by one process as fast as it can.
drop() { # folder count
    $PY - "$1" "$2" <<'PYEOF'
import os, sys
folder, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    with open(os.path.join(folder, "f%04d.txt" % i), "w") as f:
        f.write("file %d\n" % i)
PYEOF
}
drop "$T/ws/one" 1000
drop "$T/ws/many" 1000
check "1,000 files, one run each: all processed" wait_for 90 has_lines "$T/ws/out-one/done.log" 1000
check "1,000 files in batches: all processed" wait_for 30 has_lines "$T/ws/out-many/done.log" 1000
sleep 0.5
expect_eq "one run each: 1,000 lines, no name twice" "$(sort -u "$T/ws/out-one/done.log" | wc -l | tr -d ' ')/$(lines "$T/ws/out-one/done.log")" "1000/1000"
expect_eq "batches: 1,000 lines, no name twice" "$(sort -u "$T/ws/out-many/done.log" | wc -l | tr -d ' ')/$(lines "$T/ws/out-many/done.log")" "1000/1000"
expect_eq "one run each: 1,000 runs" "$(sql "$T/ws" "SELECT COUNT(*) FROM runs WHERE stage='each'")" 1000
runs=$(sql "$T/ws" "SELECT COUNT(*), MAX(item_count) FROM runs WHERE stage='batched'")
check "batches: at most 100 files per run, at least 10 runs ($runs)" test "${runs#*|}" -le 100 -a "${runs%|*}" -ge 10

# Renamed into place: written under a temporary name (even inside the watched folder), then
# renamed; the temporary name is never taken.
printf 'renamed\n' > "$T/ws/one/r1.txt.tmp.123"
mv "$T/ws/one/r1.txt.tmp.123" "$T/ws/one/r1.txt"
printf 'from elsewhere\n' > "$T/r2.txt"
mv "$T/r2.txt" "$T/ws/one/r2.txt"
printf 'hidden\n' > "$T/ws/one/.r3.txt"
printf 'other\n' > "$T/ws/one/r4.md"
check "renamed into place: processed" wait_for 10 has_lines "$T/ws/out-one/done.log" 1002
expect_eq "renamed into place: the content is whole" "$(cat "$T/ws/out-one/r1.txt.out")" "renamed"
sleep 0.5
check "temporary, dot and unmatched names are ignored" sh -c "! grep -Eq 'tmp|\\.r3|r4' '$T/ws/out-one/done.log'"

# Written slowly: nothing runs before the writer closes the file.
$PY - "$T/ws/one/slow.txt" "$T/writer.state" <<'PYEOF' &
import sys, time
with open(sys.argv[1], "w") as f:
    for i in range(5):
        f.write("part %d\n" % i)
        f.flush()
        time.sleep(0.2)
    open(sys.argv[2], "w").write("closing\n")
PYEOF
writer=$!
check "written slowly: the writer is writing" wait_for 5 test -f "$T/ws/one/slow.txt"
check "written slowly: not taken while still open" sh -c "! grep -q slow.txt '$T/ws/out-one/done.log'"
wait $writer
check "written slowly: taken once closed" wait_for 10 grep -q "done slow.txt" "$T/ws/out-one/done.log"
expect_eq "written slowly: the stage saw the whole file" "$(wc -l < "$T/ws/out-one/slow.txt.out" | tr -d ' ')" 5

# settle: files arriving close together wait for quiet, then one run takes them all (the run
# names no {input}: it works on the folder).
for i in 1 2 3 4; do echo "s$i" > "$T/ws/settle/s$i.dat"; sleep 0.1; done
settling=$("$ORCH" -c "$T/p.yaml" status --json | $PY -c '
import json, sys
print([(x["queued"], x["settling"]) for x in json.load(sys.stdin)["stages"] if x["name"] == "whole"][0])')
expect_eq "settle: status counts the files waiting for quiet as queued" "$settling" "(4, 4)"
check "settle: the files are processed" wait_for 10 is_state "$T/ws" settle/s4.dat done
expect_eq "settle: one run for the four files" "$(sql "$T/ws" "SELECT COUNT(*), MAX(item_count) FROM runs WHERE stage='whole'")" "1|4"
"$ORCH" -c "$T/p.yaml" stop >/dev/null
check_daemon_logs

# The kernel's event queue overflows (a daemon stopped with SIGSTOP while 300 files arrive, its
# queue cut to 16 events): the daemon says so, rescans, and every file is processed once.
limit=/proc/sys/fs/inotify/max_queued_events
mkdir -p "$T/ov/ws"
printf 'workspace: ws\nstages:\n  - name: each\n    watch: in\n    run: [%s/stage_copy.sh, out, "{input}"]\n' \
    "$HERE" >"$T/ov/p.yaml"
if old_limit=$(cat "$limit" 2>/dev/null) && echo 16 2>/dev/null >"$limit"; then
    ov_pid=$(start_daemon "$T/ov/p.yaml") # its inotify queue is sized now
    echo "$old_limit" >"$limit"
    check "overflow: daemon started" test -n "$ov_pid"
    kill -STOP "$ov_pid"
    drop "$T/ov/ws/in" 300
    kill -CONT "$ov_pid"
    check "overflow: every file processed" wait_for 60 has_lines "$T/ov/ws/out/done.log" 300
    sleep 0.5
    expect_eq "overflow: no file twice" "$(sort -u "$T/ov/ws/out/done.log" | wc -l | tr -d ' ')/$(lines "$T/ov/ws/out/done.log")" "300/300"
    expect_match "overflow: the log says so" "$(cat "$T/ov/ws/.orchestrator/daemon.log")" "inotify queue overflowed: rescanning"
    "$ORCH" -c "$T/ov/p.yaml" stop >/dev/null
else
    not_ok "overflow: needs root to lower $limit"
fi

# A run by hand beside the daemon (run STAGE: what waits in its folder): the two share the
# queue, a slow stage two at a time; each file is run once, by one or the other.
mkdir -p "$T/hand/ws/in"
printf 'workspace: ws\nstages:\n  - name: each\n    watch: in\n    concurrency: 2\n    run: [%s/stage_slow.sh, "0.1", out, "{input}"]\n' \
    "$HERE" >"$T/hand/p.yaml"
hand_pid=$(start_daemon "$T/hand/p.yaml")
check "beside the daemon: daemon started" test -n "$hand_pid"
drop "$T/hand/ws/in" 40
all_recorded() { [ "$(sql "$T/hand/ws" "SELECT COUNT(*) FROM items")" = 40 ]; }
wait_for 10 all_recorded
"$ORCH" -c "$T/hand/p.yaml" run each >"$T/hand.out" 2>&1
expect_eq "beside the daemon: the run by hand exits 0" "$?" 0
expect_match "beside the daemon: the run by hand took its share" "$(cat "$T/hand.out")" "run each: [1-9][0-9]* done, 0 failed"
check "beside the daemon: every file processed" wait_for 30 has_lines "$T/hand/ws/out/done.log" 40
sleep 0.5
expect_eq "beside the daemon: no file twice" "$(sort -u "$T/hand/ws/out/done.log" | wc -l | tr -d ' ')/$(lines "$T/hand/ws/out/done.log")" "40/40"
"$ORCH" -c "$T/hand/p.yaml" stop >/dev/null
finish
