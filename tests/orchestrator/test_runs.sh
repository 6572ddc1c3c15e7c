#!/bin/sh
# test_runs.sh — what happens to a run: retried with the policy's delays, bad data quarantined
# at once, a hung stage killed at its timeout and retried, a missing program, a run by hand,
# and `retry` bringing a failed input back. Real daemon, real inotify, real processes.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/common.sh"

mkdir -p "$T/ws/inbox"
cat > "$T/p.yaml" <<YAML
workspace: ws
defaults:
  retry: {max_attempts: 4, delay: 300ms, backoff: 2, max_delay: 5s, jitter: 0.5}
  timeout: 20s
  grace: 300ms
stages:
  - name: flaky
    watch: inbox
    match: ["*.flaky"]
    run: [$HERE/stage_flaky.sh, state, "2", out, "{input}"]
  - name: bad
    watch: inbox
    match: ["*.bad"]
    run: [$HERE/stage_exit.sh, "65", out, "{input}"]
  - name: hang
    watch: inbox
    match: ["*.hang"]
    timeout: 700ms
    retry: {delay: 100ms}
    run: [$HERE/stage_hang.sh, state, out, "{input}"]
  - name: later
    watch: inbox
    match: ["*.later"]
    retry: {max_attempts: 2, delay: 30s}
    run: [$HERE/stage_exit.sh, "1", out, "{input}"]
  - name: batch
    watch: batchin
    batch: {max_files: 10, settle: 400ms}
    run: [$HERE/stage_exit.sh, "65", batchout, "{inputs}"]
  - name: missing
    watch: inbox
    match: ["*.missing"]
    retry: {max_attempts: 2, delay: 100ms}
    run: [no-such-program-for-crystalline, "{input}"]
YAML

expect_eq "--version" "$("$ORCH" --version)" "orchestrator $(sed -n 's/#define CR_VERSION "\(.*\)"/\1/p' "$HERE/../../lib/status.h")"
for option in --config --foreground --timeout --json --follow --runs --all-failed --verbose --quiet; do
    expect_match "--help documents $option" "$("$ORCH" --help)" "  $option|, $option"
done
check_exit "no command: usage error" 2 "$ORCH"
check_exit "unknown command: usage error" 2 "$ORCH" frobnicate

# A malformed config: refused by validate and start with file:line:column, exit 65.
printf 'workspace: ws\nstages:\n  - name: x\n    watch: in\n    run: [a, "{input}"]\n    retry: {delay: soon}\n' > "$T/broken.yaml"
out=$("$ORCH" -c "$T/broken.yaml" validate 2>&1); code=$?
expect_eq "malformed config: validate exits 65" "$code" 65
expect_match "malformed config: one line naming file:line:column" "$out" "^orchestrator: $T/broken.yaml:6:20: retry.delay: 'soon' is not a duration"
check_exit "malformed config: start refuses it (65)" 65 "$ORCH" -c "$T/broken.yaml" start
check "malformed config: no daemon was left behind" test ! -e "$T/ws/.orchestrator/control.sock"
check_exit "missing config: exit 66" 66 "$ORCH" -c "$T/none.yaml" validate

check_exit "validate names the missing program (exit 66)" 66 "$ORCH" -c "$T/p.yaml" validate
out=$("$ORCH" -c "$T/p.yaml" validate 2>&1)
expect_match "validate: the message names file, line and program" "$out" "p\.yaml:[0-9]+: stage 'missing'.*no-such-program-for-crystalline' not found"

pid=$(start_daemon "$T/p.yaml")
check "start exits 0 even with a missing program" test -n "$pid"
expect_match "start warns about the missing program" "$(cat "$T/start.err")" "warning: .*no-such-program-for-crystalline"

echo "content one" > "$T/ws/inbox/a.flaky"
echo "not good" > "$T/ws/inbox/b.bad"
echo "hang here" > "$T/ws/inbox/c.hang"
echo "nobody" > "$T/ws/inbox/d.missing"
echo "not yet" > "$T/ws/inbox/f.later"

# 1. Fails twice, then succeeds: three attempts, delays no shorter than the policy.
check "flaky: done after its failures" wait_for 20 is_state "$T/ws" inbox/a.flaky done
expect_eq "flaky: three attempts" "$(lines "$T/ws/state/a.flaky.times")" 3
gaps=$($PY - "$T/ws/state/a.flaky.times" <<'PYEOF'
import sys
t = [int(x) for x in open(sys.argv[1])]
print(" ".join(str((b - a) // 1000000) for a, b in zip(t, t[1:])))
PYEOF
)
first_gap=${gaps% *}; second_gap=${gaps#* }
check "flaky: first retry waited >= 300ms (got ${first_gap}ms)" test "$first_gap" -ge 300
check "flaky: second retry waited >= 600ms (backoff 2; got ${second_gap}ms)" test "$second_gap" -ge 600
expect_eq "flaky: the record keeps the exit codes" "$(sql "$T/ws" "SELECT attempts, exit_codes FROM items WHERE path='inbox/a.flaky'")" "3|1,1,0"
check "flaky: the input stays where it was" test -f "$T/ws/inbox/a.flaky"
expect_eq "flaky: the output is the input" "$(cat "$T/ws/out/a.flaky.out")" "content one"

# 2. Exit 65: quarantined at once, with a .error file.
check "bad data: moved to failed/bad/" wait_for 10 test -f "$T/ws/failed/bad/b.bad.error"
check "bad data: the input is in failed/bad/" test -f "$T/ws/failed/bad/b.bad"
check "bad data: gone from inbox (moved, not copied)" test ! -e "$T/ws/inbox/b.bad"
error=$(cat "$T/ws/failed/bad/b.bad.error")
expect_match "bad data: .error names the stage" "$error" "^stage: bad$"
expect_match "bad data: .error says one attempt" "$error" "^attempts: 1$"
expect_match "bad data: .error has the exit code" "$error" "^exit codes: 65$"
expect_match "bad data: .error has the stage's last stderr line" "$error" "stage_exit: b.bad: no 'ok' in it"
expect_eq "bad data: one run only" "$(sql "$T/ws" "SELECT COUNT(*) FROM runs WHERE stage='bad'")" 1

# 3. A hung stage: killed at the timeout (SIGTERM ignored: SIGKILL), its child too, retried.
check "hang: done on the second attempt" wait_for 20 is_state "$T/ws" inbox/c.hang done
expect_eq "hang: two attempts" "$(lines "$T/ws/state/c.hang.attempts")" 2
sleeper=$(cat "$T/ws/state/c.hang.sleeper")
check "hang: the stage's child was killed with it" wait_for 5 sh -c "! kill -0 $sleeper"
expect_eq "hang: the first run is recorded as a timeout" "$(sql "$T/ws" "SELECT outcome FROM runs WHERE stage='hang' ORDER BY id")" "timeout
ok"

# 4. A missing program: retried per policy, then quarantined with the reason.
check "missing program: the input lands in failed/" wait_for 10 test -f "$T/ws/failed/missing/d.missing.error"
expect_match "missing program: .error says why" "$(cat "$T/ws/failed/missing/d.missing.error")" "no-such-program-for-crystalline' not found"
expect_match "missing program: two attempts (its policy)" "$(cat "$T/ws/failed/missing/d.missing.error")" "^attempts: 2$"

# A batch with one bad file: the batch fails with 65, each file then runs alone, and only the
# bad one is quarantined.
mkdir -p "$T/ws/batchin"
echo "ok 1" > "$T/ws/batchin/g1.txt"; echo "rotten" > "$T/ws/batchin/g2.txt"; echo "ok 3" > "$T/ws/batchin/g3.txt"
check "bad file in a batch: quarantined alone" wait_for 15 test -f "$T/ws/failed/batch/g2.txt.error"
check "bad file in a batch: the good ones are done" wait_for 10 has_lines "$T/ws/batchout/done.log" 2
expect_eq "bad file in a batch: the good ones went through alone" "$(sort "$T/ws/batchout/done.log" | tr '\n' ' ')" "done g1.txt done g3.txt "
expect_eq "bad file in a batch: one batch run, then one run per file" "$(sql "$T/ws" "SELECT item_count, outcome FROM runs WHERE stage='batch' ORDER BY id" | tr '\n' ' ')" "3|bad-data 1|ok 1|bad-data 1|ok "

# status shows the story.
check "a failing stage with a long delay waits to retry" wait_for 10 is_state "$T/ws" inbox/f.later retrying
status=$("$ORCH" -c "$T/p.yaml" status)
expect_match "status: retrying, with the next attempt's time" "$status" "later +inbox/f.later: attempt 1 of 2 failed \\(exit 1\\); next attempt in [0-9.]+s"
expect_match "status: flaky done 1" "$status" "^flaky +0 +0 +0 +1 +0$"
expect_match "status: bad failed 1" "$status" "^bad +0 +0 +0 +0 +1$"
expect_match "status: the failure is listed with its item" "$status" "item [0-9]+ +bad +inbox/b.bad -> failed/bad/b.bad after 1 attempt: exit 65"
json=$("$ORCH" -c "$T/p.yaml" status --json)
expect_eq "status --json: valid JSON with the counts" "$(printf '%s' "$json" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["running"], [ (s["name"], s["done"], s["failed"]) for s in d["stages"]])')" \
    "True [('flaky', 1, 0), ('bad', 0, 1), ('hang', 1, 0), ('later', 0, 0), ('batch', 2, 1), ('missing', 0, 1)]"

# logs: the output of a stage's runs.
logs=$("$ORCH" -c "$T/p.yaml" logs flaky)
expect_match "logs STAGE: the failed attempts' stderr" "$logs" "flaky: attempt 2 of a.flaky fails on purpose"
expect_match "logs STAGE: a header per run" "$logs" "== run [0-9]+ flaky: ok, exit 0"

# 5. retry: the quarantined input, fixed, goes back and through.
echo "ok now" > "$T/ws/failed/bad/b.bad"
out=$("$ORCH" -c "$T/p.yaml" retry failed/bad/b.bad)
expect_match "retry: says what it queued" "$out" "inbox/b.bad queued again"
check "retry: the input is back in inbox" test -f "$T/ws/inbox/b.bad"
check "retry: the .error file is gone with it" test ! -e "$T/ws/failed/bad/b.bad.error"
check "retry: processed this time" wait_for 10 has_lines "$T/ws/out/done.log" 3
check_exit "retry of an unknown item: exit 66" 66 "$ORCH" -c "$T/p.yaml" retry 99999

"$ORCH" -c "$T/p.yaml" stop >/dev/null

# 6. run STAGE FILE by hand: same policy, without the daemon.
echo "by hand" > "$T/by-hand.flaky"
out=$("$ORCH" -c "$T/p.yaml" run flaky "$T/by-hand.flaky" 2>"$T/run.err"); code=$?
expect_eq "run by hand: exit 0 after its retries" "$code" 0
expect_eq "run by hand: three attempts" "$(lines "$T/ws/state/by-hand.flaky.times")" 3
expect_match "run by hand: prints a summary" "$out" "run flaky: 1 done, 0 failed"
echo "bad by hand" > "$T/ws/inbox/e.bad"
check_exit "run by hand: bad data exits 65" 65 "$ORCH" -c "$T/p.yaml" run bad "$T/ws/inbox/e.bad"
check "run by hand: bad data quarantined" test -f "$T/ws/failed/bad/e.bad.error"
check_exit "run by hand: unknown stage is a usage error" 2 "$ORCH" -c "$T/p.yaml" run nosuch "$T/by-hand.flaky"
check_exit "run by hand: missing file exits 66" 66 "$ORCH" -c "$T/p.yaml" run flaky "$T/nope.flaky"
check_daemon_logs
finish
