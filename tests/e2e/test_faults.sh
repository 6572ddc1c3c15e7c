# test_faults.sh — the chain under faults:
#  1. SIGKILL of the orchestrator while the trainer runs, then a restart: the trainer dies
#     with it, the run is started again and resumes from the last checkpoint; no document is
#     tokenized twice and the shards hold exactly the documents' tokens.
#  2. A full disk (a 1 MiB tmpfs) under clean/: preprocess fails with an I/O error, is
#     retried, and succeeds once space is freed; nothing is lost or left half-written.
# Every input is accounted for after each.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/lib.sh"

$PY "$E2E/make_corpus.py" "$T" 1
inputs="note0.txt note1.txt note2.txt readme.md program.c"

# --- 1. SIGKILL during training -------------------------------------------------------------
write_config "$T/pipeline.yaml" 600
sed -i 's/--layers, "1", --channels, "32"/--layers, "2", --channels, "64"/; s/--seq-len, "16"/--seq-len, "32"/; s/--checkpoint-every, "5"/--checkpoint-every, "50"/' "$T/pipeline.yaml"
mkdir -p "$T/ws/inbox"
start_daemon "$T/pipeline.yaml" && ok "orchestrator starts" || not_ok "orchestrator starts"
for f in $inputs; do cp "$T/inbox/$f" "$T/ws/inbox/$f"; done

trainer_running() { pgrep -f '[t]rainer train --data tokens --out models' >/dev/null; }
check "training starts and writes a first checkpoint" wait_for 60 sh -c "ls '$T'/ws/models/model_*.bin"
check "the trainer is still running" trainer_running
first_pid=$DAEMON_PID
kill -9 "$first_pid"
wait "$first_pid" 2>/dev/null
check "the trainer dies with the orchestrator" wait_for 10 sh -c "! pgrep -f '[t]rainer train --data tokens --out models'"
killed_at=$(ls "$T"/ws/models/model_*.bin | sed 's/.*model_0*\([0-9]*\)\.bin/\1/' | sort -n | tail -1)

start_daemon "$T/pipeline.yaml" && ok "orchestrator restarts" || not_ok "orchestrator restarts"
check "the interrupted training run is run again to its end" wait_for 120 idle "$T/pipeline.yaml"
last_step=$(ls "$T"/ws/models/model_*.bin | sed 's/.*model_0*\([0-9]*\)\.bin/\1/' | sort -n | tail -1)
expect_eq "it resumed from the checkpoint of step $killed_at (+600 steps)" "$last_step" $((killed_at + 600))
expect_match "the trainer's log says it resumed" "$(cat "$T"/ws/.orchestrator/logs/train/* 2>/dev/null)" "resum"
expect_eq "train runs: one killed, one complete" \
    "$(sqlite3 "$T/ws/.orchestrator/record.sqlite" "select count(*) from runs where stage = 'train' and exit = 0")" 1
counts=$(manifest_check "$T/ws")
expect_match "no document tokenized twice; shards hold the sum of the documents' tokens" "$counts" '^5 [0-9]+$'
expect_eq "every input accounted for" "$(unaccounted "$T/ws" $inputs)" ""
"$ORCH" -c "$T/pipeline.yaml" stop --timeout 30s >/dev/null 2>&1
wait "$DAEMON_PID" 2>/dev/null

# --- 2. A full disk under clean/ ------------------------------------------------------------
write_config "$T/full.yaml" 5
sed -i 's|workspace: ./ws|workspace: ./full|' "$T/full.yaml"
mkdir -p "$T/full/inbox" "$T/full/clean"
if mount -t tmpfs -o size=1m crtest-full "$T/full/clean" 2>"$T/mount.err"; then
    TAP_MOUNT="$T/full/clean"
    trap 'umount "$TAP_MOUNT" 2>/dev/null; tap_cleanup' EXIT
    head -c 2000000 /dev/zero >"$T/full/clean/.filler" 2>/dev/null # fills it
    start_daemon "$T/full.yaml" && ok "orchestrator starts on the full disk" || not_ok "orchestrator starts on the full disk"
    cp "$T/inbox/note0.txt" "$T/full/inbox/note0.txt"
    check "preprocess fails with an I/O error and is retried" wait_for 20 sh -c \
        "sqlite3 '$T/full/.orchestrator/record.sqlite' \"select count(*) from runs where stage = 'preprocess' and exit = 74\" | grep -qv '^0$'"
    expect_eq "nothing half-written in clean/" "$(ls "$T/full/clean" | grep -c '')" 0
    rm -f "$T/full/clean/.filler"
    check "once space is freed, the retry succeeds" wait_for 30 sh -c "ls '$T'/full/clean/*.txt"
    wait_for 60 idle "$T/full.yaml"
    expect_eq "the clean document is whole" \
        "$(grep -c . "$T"/full/clean/*.txt)" "$(grep -c . "$T/inbox/note0.txt")"
    expect_eq "the input is still in inbox/" "$(cmp -s "$T/inbox/note0.txt" "$T/full/inbox/note0.txt" && echo same)" same
    expect_eq "no temporary file left" "$(ls -a "$T/full/clean" | grep -c '\.tmp\.')" 0
    "$ORCH" -c "$T/full.yaml" stop --timeout 30s >/dev/null 2>&1
    wait "$DAEMON_PID" 2>/dev/null
    umount "$T/full/clean"
else
    not_ok "a 1 MiB tmpfs for the full-disk test (needs root)" "$(cat "$T/mount.err")"
fi
finish
