#!/bin/sh
# test_hostile.sh — the orchestrator against a hostile user: symlinks in watched folders (one
# rule on every way in: live, moved in, rescan, restart, by hand, retry), inputs outside the
# workspace never moved, names with terminal escapes in status and daemon.log, a YAML bomb by
# depth, reader errors placed, odd retry/timeout values, `stop` without its socket, and an
# interrupted run's exit in status.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/common.sh"

mkdir -p "$T/ws/inbox" "$T/outside"
printf 'secret outside the workspace\n' > "$T/outside/secret.txt"
printf 'inside ok\n' > "$T/ws/inside.txt"
cat > "$T/p.yaml" <<YAML
workspace: ws
defaults:
  retry: {max_attempts: 1, delay: 100ms}
stages:
  - name: copy
    watch: inbox
    match: ["*.txt"]
    run: [$HERE/stage_copy.sh, out, "{input}"]
  - name: picky
    watch: picky-in
    match: ["*.txt"]
    run: [$HERE/stage_exit.sh, "65", picky-out, "{input}"]
YAML
pid=$(start_daemon "$T/p.yaml"); DAEMONS="$DAEMONS $pid" # for the cleanup at exit, even if a check fails
check "daemon started" test -n "$pid"

# symlinks: out of the workspace never followed, made live or moved in; inside it, taken
ln -s "$T/outside/secret.txt" "$T/ws/inbox/live.txt"
ln -s "$T/outside/secret.txt" "$T/link-moved.txt"
mv "$T/link-moved.txt" "$T/ws/inbox/moved.txt"
ln -s ../inside.txt "$T/ws/inbox/inner.txt"
check "a symlink inside the workspace, made live, is taken" wait_for 20 test -f "$T/ws/out/inner.txt.out"
printf 'plain ok\n' > "$T/ws/inbox/plain.txt"
check "a plain file is taken" wait_for 20 test -f "$T/ws/out/plain.txt.out"
expect_eq "no symlink out of the workspace was followed (live, moved in)" \
    "$(cat "$T/ws/out/"*.out | grep -c secret)" 0
expect_match "the refusal is in daemon.log" "$(cat "$T/ws/.orchestrator/daemon.log")" \
    "not taking inbox/(live|moved).txt: a symbolic link to .*secret.txt, outside the workspace"
kill -HUP "$pid"
sleep 1
printf 'after ok\n' > "$T/ws/inbox/after.txt"
check "after a rescan (SIGHUP) the daemon still runs files" wait_for 20 test -f "$T/ws/out/after.txt.out"
expect_eq "a rescan does not follow them either" "$(cat "$T/ws/out/"*.out | grep -c secret)" 0
"$ORCH" -c "$T/p.yaml" stop >/dev/null 2>&1
pid=$(start_daemon "$T/p.yaml"); DAEMONS="$DAEMONS $pid" # for the cleanup at exit, even if a check fails
printf 'again ok\n' > "$T/ws/inbox/again.txt"
check "after a restart the daemon runs files" wait_for 20 test -f "$T/ws/out/again.txt.out"
expect_eq "a restart does not follow them either" "$(cat "$T/ws/out/"*.out | grep -c secret)" 0
out=$("$ORCH" -c "$T/p.yaml" run copy "$T/ws/inbox/live.txt" 2>&1)
expect_eq "run STAGE on such a symlink: exit 65" "$?" 65
expect_match "and it says why" "$out" "live.txt: a symbolic link to .*outside the workspace: not followed"
# a symlinked watch folder that leads out of the workspace is the same escape
mkdir -p "$T/outside/dir"
printf 'dir secret\n' > "$T/outside/dir/x.txt"
check_exit "run STAGE on a file under a symlinked folder out of the workspace: exit 65" 65 \
    sh -c "ln -s '$T/outside/dir' '$T/ws/linkdir' && '$ORCH' -c '$T/p.yaml' run copy '$T/ws/linkdir/x.txt'"
expect_eq "still nothing from outside in the output" "$(cat "$T/ws/out/"*.out | grep -c secret)" 0

# a file of the user's outside the workspace, named by hand, that the stage refuses (65): the
# .error says why, the file stays where it is
printf 'no good\n' > "$T/outside/mine.txt"
check_exit "run STAGE on an outside file with bad data: exit 65" 65 "$ORCH" -c "$T/p.yaml" run picky "$T/outside/mine.txt"
check "the user's file is still where it was" test -f "$T/outside/mine.txt"
expect_match "the .error says it was left in place" "$(cat "$T/ws/failed/picky/mine.txt.error" 2>&1)" \
    "outside the workspace: it is left where it is"

# a name with terminal escapes: escaped in status and in daemon.log
esc=$(printf '\033]0;pwned\007\033[2J')
printf 'no good\n' > "$T/ws/picky-in/x${esc}y.txt"
check "the escaped name is quarantined" wait_for 20 sh -c "ls '$T/ws/failed/picky' | grep -q 'y.txt.error'"
status=$("$ORCH" -c "$T/p.yaml" status 2>&1)
expect_eq "status prints no escape character" "$(printf '%s' "$status" | tr -d -c '\033\007' | wc -c | tr -d ' ')" 0
expect_match "status shows the name escaped" "$status" 'x\\x1B\]0;pwned\\x07\\x1B\[2Jy.txt'
expect_eq "daemon.log holds no escape character" "$(tr -d -c '\033\007' < "$T/ws/.orchestrator/daemon.log" | wc -c | tr -d ' ')" 0
expect_eq "the .error holds no escape character" "$(cat "$T/ws/failed/picky/"*.error | tr -d -c '\033\007' | wc -c | tr -d ' ')" 0

# a name as long as the file system allows: quarantined under a shortened name, and its .error
# (which names the input in full) is written beside it
long=$($PY -c "print('x' * 246 + '.txt')")
printf 'no good\n' > "$T/ws/picky-in/$long"
check "a 250-byte name is quarantined" wait_for 20 sh -c "ls '$T/ws/failed/picky' | grep -q '^xxxxxxxxxx.*~[0-9a-f]*\.error\$'"
expect_match "its .error names the input in full" "$(cat "$T/ws/failed/picky/"xxxxxxxxxx*.error 2>&1)" "^input: picky-in/$long\$"

# stop with the control socket gone: falls back to the pidfile's daemon
rm -f "$T/ws/.orchestrator/control.sock"
out=$("$ORCH" -c "$T/p.yaml" stop 2>&1)
expect_eq "stop without the socket: exit 0" "$?" 0
expect_match "it says it used the pidfile" "$out" "control socket does not answer.*SIGTERM to pid $pid"
check "and the daemon is gone" wait_for 10 sh -c "! kill -0 $pid"

# a daemon stopped with SIGSTOP: its socket does not answer, SIGTERM cannot act; `stop` says
# so with exit 75 after --timeout instead of waiting minutes
pid=$(start_daemon "$T/p.yaml"); DAEMONS="$DAEMONS $pid" # for the cleanup at exit, even if a check fails
kill -STOP "$pid"
out=$(timeout 30 "$ORCH" -c "$T/p.yaml" stop --timeout 1s 2>&1)
expect_eq "stop of a SIGSTOPped daemon: exit 75" "$?" 75
expect_match "it names the pid and what to do" "$out" "pid $pid is still running 1s after SIGTERM .*kill -CONT or kill -KILL"
kill -CONT "$pid"
check "once continued, the pending SIGTERM ends it" wait_for 10 sh -c "! kill -0 $pid"

# an interrupted run shows no exit status in status
mkdir -p "$T/int/ws"
cat > "$T/int/p.yaml" <<YAML
workspace: ws
stages:
  - name: slow
    watch: in
    run: [$HERE/stage_slow.sh, "30", out, "{input}"]
YAML
T_SAVE=$T
pid=$(start_daemon "$T/int/p.yaml"); DAEMONS="$DAEMONS $pid" # for the cleanup at exit, even if a check fails
printf 'x\n' > "$T/int/ws/in/a.txt"
check "a slow run starts" wait_for 20 test -f "$T/int/ws/out/start.log"
kill -KILL "$pid"
sleep 0.5
pid=$(start_daemon "$T/int/p.yaml"); DAEMONS="$DAEMONS $pid" # for the cleanup at exit, even if a check fails
status=$("$ORCH" -c "$T/int/p.yaml" status 2>&1)
expect_match "status: the killed run is interrupted, with no exit status" "$status" "run 1 +slow +interrupted +exit - "
expect_match "status --json: its exit is null" "$("$ORCH" -c "$T/int/p.yaml" status --json 2>&1)" '"run":1,"stage":"slow","exit":null'
# a run by hand killed (SIGKILL) beside the daemon: its child dies with it, and the daemon
# finds the run without its process, ends it as interrupted and runs its item again
"$ORCH" -c "$T/int/p.yaml" stop --timeout 1s >/dev/null 2>&1
cat > "$T/int/q.yaml" <<YAML
workspace: ws
stages:
  - name: slow
    watch: in
    run: [$HERE/stage_slow.sh, "2", out, "{input}"]
YAML
pid=$(start_daemon "$T/int/q.yaml"); DAEMONS="$DAEMONS $pid" # for the cleanup at exit, even if a check fails
printf 'hand\n' > "$T/int/hand.txt"
"$ORCH" -c "$T/int/q.yaml" run slow "$T/int/hand.txt" >/dev/null 2>&1 &
hand=$!
check "the run by hand starts" wait_for 20 sh -c "grep -q 'start hand.txt' '$T/int/ws/out/start.log'"
kill -KILL "$hand"
wait "$hand" 2>/dev/null
check "the daemon runs its item again" wait_for 40 sh -c "grep -q 'done hand.txt' '$T/int/ws/out/done.log'"
expect_match "and says why" "$(cat "$T/int/ws/.orchestrator/daemon.log")" "lost its process .*interrupted, its items queued again"
check "the user's file outside the workspace is still there" test -f "$T/int/hand.txt"
"$ORCH" -c "$T/int/q.yaml" stop --timeout 5s >/dev/null 2>&1

# pipeline.yaml: a YAML bomb by depth is refused fast, with its position
$PY -c "print('workspace: ws\nstages: ' + '[' * 100000 + ']' * 100000)" > "$T/deep.yaml"
out=$(timeout 5 "$ORCH" -c "$T/deep.yaml" validate 2>&1)
expect_eq "100,000 nested lists: exit 65 within 5 s" "$?" 65
expect_match "the error says where and why" "$out" "deep.yaml:2:[0-9]+: nested deeper than 32 levels"
$PY -c "print('stages:\n  ' + '- ' * 100000 + 'x')" > "$T/deep2.yaml"
check_exit "100,000 nested block lists: exit 65 within 5 s" 65 timeout 5 "$ORCH" -c "$T/deep2.yaml" validate
head -c 2000000 /dev/zero | tr '\0' '#' > "$T/big.yaml"
check_exit "a 2 MB pipeline.yaml: exit 65" 65 "$ORCH" -c "$T/big.yaml" validate
# reader errors placed at their line:column
printf 'workspace: ws\nstages:\n  - name: a\377\n' > "$T/utf.yaml"
expect_match "invalid UTF-8: its position" "$("$ORCH" -c "$T/utf.yaml" validate 2>&1)" "utf.yaml:3:12: invalid leading UTF-8 octet"
printf 'workspace: ws\nsta\000ges:\n' > "$T/nul.yaml"
expect_match "a NUL byte: its position" "$("$ORCH" -c "$T/nul.yaml" validate 2>&1)" "nul.yaml:2:4: a NUL byte"
# retry and timeout values
cat > "$T/delay.yaml" <<YAML
workspace: ws
stages:
  - name: a
    watch: in
    retry: {delay: 10s, max_delay: 2s}
    run: [$HERE/stage_copy.sh, out, "{input}"]
YAML
expect_match "max_delay below delay: refused with its position" "$("$ORCH" -c "$T/delay.yaml" validate 2>&1)" \
    "delay.yaml:5:12: retry: max_delay 2s is below delay 10s"
check_exit "and exit 65" 65 "$ORCH" -c "$T/delay.yaml" validate
cat > "$T/delay2.yaml" <<YAML
workspace: ws
defaults:
  retry: {delay: 100ms, max_delay: 2s}
stages:
  - name: a
    watch: in
    retry: {delay: 10s}
    run: [$HERE/stage_copy.sh, out, "{input}"]
YAML
check "a stage's longer delay over the defaults' max_delay is valid" "$ORCH" -c "$T/delay2.yaml" validate
cat > "$T/up.yaml" <<YAML
workspace: ws
stages:
  - name: a
    watch: [in, ../../outside]
    run: [$HERE/stage_copy.sh, out, "{input}"]
YAML
expect_match "a watch folder out of the workspace is refused with its position" \
    "$("$ORCH" -c "$T/up.yaml" validate 2>&1)" "up.yaml:4:12: watch: '../../outside' is not inside the workspace"
for folder in .orchestrator failed/picky ./failed; do
    cat > "$T/own.yaml" <<YAML
workspace: ws
stages:
  - name: a
    watch: $folder
    run: [$HERE/stage_copy.sh, out, "{input}"]
YAML
    expect_match "watch: $folder (the orchestrator's own) is refused" \
        "$("$ORCH" -c "$T/own.yaml" validate 2>&1)" "own.yaml:4:12: watch: '$folder' is the orchestrator's own"
done
cat "$T/t0.yaml" 2>/dev/null; cat > "$T/two.yaml" <<YAML
workspace: ws
stages:
  - name: a
    watch: in
    run: [$HERE/stage_copy.sh, out, "{input}"]
---
workspace: /
YAML
expect_match "a second YAML document is refused, not ignored" "$("$ORCH" -c "$T/two.yaml" validate 2>&1)" \
    "two.yaml:6:1: a second YAML document"
cat > "$T/t0.yaml" <<YAML
workspace: ws
defaults: {timeout: 0s}
stages:
  - name: a
    watch: in
    run: [$HERE/stage_copy.sh, out, "{input}"]
YAML
expect_match "timeout 0s is shown as none" "$("$ORCH" -c "$T/t0.yaml" validate 2>&1)" "timeout none,"
check_daemon_logs
finish
