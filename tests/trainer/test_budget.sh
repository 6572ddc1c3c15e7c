# test_budget.sh — `trainer train --time` and the schedules: a budgeted run is the same bits as
# a --steps run of the step count it printed (on 1 and 2 threads), an interrupted budgeted run
# resumes to that same result, a resumed budget past the warmup measures with probes that
# change nothing, and warmup-stable-decay holds, re-warms and decays as docs/trainer.md says.
. "$(dirname "$0")/../tap.sh"
TR="$CR_BIN/trainer"
MK="tests/trainer/mkshard.py"
TINY="--layers 2 --channels 32 --heads 4 --seq-len 16 --batch 12 --val-every 0 --quiet"

mkdir -p "$T/data"
$PY "$MK" "$T/data/shard_000.bin" 6000 128 1
$PY "$MK" "$T/data/shard_001.bin" 3000 128 2

json_int() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
# The AdamW moments of two state files (the header records how the run was planned).
same_moments() {
    tail -c +537 "$1" | head -c -32 >"$T/moments.a"
    tail -c +537 "$2" | head -c -32 >"$T/moments.b"
    cmp -s "$T/moments.a" "$T/moments.b" && test -s "$T/moments.a"
}
ckpt() { printf '%s/model_%08d' "$1" "$2"; }

check_exit "--time with --steps is a usage error" 2 "$TR" train --data "$T/data" --out "$T/u" --time 1s --steps 5
check_exit "--time 0 is a usage error" 2 "$TR" train --data "$T/data" --out "$T/u" --time 0
check_exit "--time with a bad duration is a usage error" 2 "$TR" train --data "$T/data" --out "$T/u" --time 5parsecs
check_exit "--schedule must be cosine or wsd" 2 "$TR" train --data "$T/data" --out "$T/u" --schedule linear
expect_match "--help documents --time and --schedule" "$("$TR" --help)" "--time DURATION.*budget"

for kind in cosine wsd; do
    out=$("$TR" train --data "$T/data" --out "$T/time-$kind" $TINY --schedule $kind --time 1500ms \
        --threads 1 --json 2>&1)
    steps=$(json_int "$out" target_steps)
    expect_match "$kind: --time prints the step count it fixed" "$out" "\"step\":$steps,\"steps_run\":$steps,\"target_steps\":$steps"
    check "$kind: the budget fixed a step count ($steps)" test "${steps:-0}" -ge 1
    "$TR" train --data "$T/data" --out "$T/steps-$kind" $TINY --schedule $kind --steps "$steps" --threads 2
    check "$kind: --time (1 thread) == --steps $steps (2 threads): model bit for bit" \
        cmp "$(ckpt "$T/time-$kind" "$steps").bin" "$(ckpt "$T/steps-$kind" "$steps").bin"
    check "$kind: --time (1 thread) == --steps $steps (2 threads): AdamW moments bit for bit" \
        same_moments "$(ckpt "$T/time-$kind" "$steps").state" "$(ckpt "$T/steps-$kind" "$steps").state"
done
expect_match "the budget line says the speed and the count" \
    "$("$TR" train --data "$T/data" --out "$T/loud" ${TINY% --quiet} --time 300ms 2>&1)" \
    "budget 300ms: [0-9.]+ ms a step over [0-9]+ measured steps; [0-9]+ steps in all"

# interrupted once its count is fixed, then resumed with --time: the schedule of the first run
"$TR" train --data "$T/data" --out "$T/int" ${TINY% --quiet} --time 3s --schedule wsd --checkpoint-every 0 \
    --log-every 0 2>"$T/int.log" &
pid=$!
wait_for 30 grep -q "steps in all" "$T/int.log"
kill -INT $pid
wait $pid
expect_eq "interrupted budgeted run: exit 0" "$?" 0
fixed=$(sed -n 's/.* \([0-9]*\) steps in all.*/\1/p' "$T/int.log")
out=$("$TR" train --data "$T/data" --out "$T/int" ${TINY% --quiet} --time 3s --resume --json 2>&1)
expect_match "the resumed run says it continues the fixed count" "$out" "continuing the budgeted run: its $fixed steps"
expect_match "and ends at the step count the first run fixed ($fixed)" "$out" "\"step\":$fixed,"
"$TR" train --data "$T/data" --out "$T/int-ref" $TINY --schedule wsd --steps "$fixed"
check "interrupted + resumed budget == --steps $fixed straight: model bit for bit" \
    cmp "$(ckpt "$T/int" "$fixed").bin" "$(ckpt "$T/int-ref" "$fixed").bin"

# a finished run resumed with a new budget past its warmup: cosine's learning rate depends on
# the end from the first step, so the speed is measured on probes that must change nothing
cp -r "$T/steps-cosine" "$T/probe"
cp -r "$T/steps-cosine" "$T/probe-ref"
start=$(json_int "$out" step)
out=$("$TR" train --data "$T/data" --out "$T/probe" $TINY --schedule cosine --time 1s --resume --json 2>&1)
end=$(json_int "$out" target_steps)
"$TR" train --data "$T/data" --out "$T/probe-ref" $TINY --schedule cosine --steps "$end" --resume
check "resumed budget measured on probes == --resume --steps $end: model bit for bit" \
    cmp "$(ckpt "$T/probe" "$end").bin" "$(ckpt "$T/probe-ref" "$end").bin"

# warmup-stable-decay: 4 warmup steps, the peak held, the last quarter decayed to --min-lr;
# a second run of +20 re-warms from --min-lr (never from 0, never a jump to the peak)
WSD="--schedule wsd --warmup 4 --decay-fraction 0.25 --lr 0.001 --min-lr 0.0001"
"$TR" train --data "$T/data" --out "$T/wsd" $TINY $WSD --steps 20
lr_at() { sed -n "s/^{\"step\":$1,.*\"lr\":\([0-9.e+-]*\),.*/\1/p" "$T/wsd/metrics.jsonl"; }
expect_eq "wsd: warmup from 0 (step 1)" "$(lr_at 1)" "0.00025"
expect_eq "wsd: the peak is held (step 15)" "$(lr_at 15)" "0.001"
expect_eq "wsd: the decay reaches --min-lr at the last step" "$(lr_at 20)" "0.0001"
"$TR" train --data "$T/data" --out "$T/wsd" $TINY $WSD --steps +20 --resume
expect_eq "wsd +20: re-warm starts above --min-lr (step 21)" "$(lr_at 21)" "0.000325"
expect_eq "wsd +20: back at the peak after the re-warm (step 24)" "$(lr_at 24)" "0.001"
expect_eq "wsd +20: decayed again at its end (step 40)" "$(lr_at 40)" "0.0001"
# a run stopped inside its second segment and resumed to the same target keeps that segment
"$TR" train --data "$T/data" --out "$T/wsd-ref" $TINY $WSD --steps 20
"$TR" train --data "$T/data" --out "$T/wsd-ref" $TINY $WSD --steps 40 --resume --checkpoint-every 10
rm "$T/wsd-ref/model_00000040.bin" "$T/wsd-ref/model_00000040.state"
"$TR" train --data "$T/data" --out "$T/wsd-ref" $TINY $WSD --steps 40 --resume
check "wsd: 20, then 40 stopped at 30 and resumed == 20, then 40: model bit for bit" \
    cmp "$T/wsd-ref/model_00000040.bin" "$T/wsd/model_00000040.bin"

# a version 1 state file (before the plan was recorded: a 496-byte header) still resumes
cp -r "$T/wsd" "$T/v1"
last=$(ls "$T/v1"/model_*.state | tail -1)
$PY - "$last" <<'PYEOF'
import hashlib, struct, sys
path = sys.argv[1]
data = open(path, "rb").read()
header, body = bytearray(data[:496]), data[536:-32]
struct.pack_into("<II", header, 8, 1, 496)  # version 1, header size 496
out = bytes(header) + body
open(path, "wb").write(out + hashlib.sha256(out).digest())
PYEOF
out=$("$TR" train --data "$T/data" --out "$T/v1" ${TINY% --quiet} --resume --steps +2 2>&1 | tr '\n' ' ')
expect_match "a version 1 state file resumes" "$out" "resuming from .*$(basename "$last" .state).bin"
finish
