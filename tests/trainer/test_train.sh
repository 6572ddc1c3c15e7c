# test_train.sh — `trainer train` end to end on a tiny model: new and resumed runs, --steps +N,
# bit-identical parameters for 1, 2, 3 and 12 threads, 2N steps == N + resume + N, fallback
# from a corrupted or truncated checkpoint, SIGINT/SIGTERM, bad data, constant memory.
. "$(dirname "$0")/../tap.sh"
TR="$CR_BIN/trainer"
MK="tests/trainer/mkshard.py"
LOUD="--layers 2 --channels 32 --heads 4 --seq-len 16 --batch 12 --val-every 0"
TINY="$LOUD --quiet"

mkdir -p "$T/data"
$PY "$MK" "$T/data/shard_000.bin" 6000 128 1
$PY "$MK" "$T/data/shard_001.bin" 3000 128 2

check "--version" "$TR" --version
expect_match "--help lists every train option" "$("$TR" --help)" "--checkpoint-every.*"
check_exit "no command is a usage error" 2 "$TR"
check_exit "unknown option is a usage error" 2 "$TR" train --data "$T/data" --out "$T/m" --bogus
expect_eq "a bad option value is named in one line" \
    "$("$TR" train --data "$T/data" --out "$T/m" --batch 0 2>&1)" "trainer: --batch: 0 is out of range (1..65536)"

# --resume with nothing to resume starts a new model
out=$("$TR" train --data "$T/data" --out "$T/run" $TINY --resume --steps 8 2>&1)
expect_eq "--resume without a checkpoint starts new, exit 0" "$?" 0
check "checkpoint of step 8 written" test -s "$T/run/model_00000008.bin"
check "state of step 8 written" test -s "$T/run/model_00000008.state"
expect_eq "one metrics line per step" "$(wc -l <"$T/run/metrics.jsonl")" 8
expect_match "metrics carry loss, lr, grad_norm and spheres" "$(tail -1 "$T/run/metrics.jsonl")" \
    '"step":8,"loss":[0-9.]+,.*"lr":.*"grad_norm":.*"tokens_per_s":.*"spheres":\[\{"sphere":0,"tokens":16'
out=$("$TR" train --data "$T/data" --out "$T/run" $TINY --resume --steps +4 --json 2>&1)
expect_match "--steps +4 continues from step 8 to 12" "$out" '"step":12,"steps_run":4'
check "checkpoint of step 12" test -s "$T/run/model_00000012.bin"

# the same run on 1, 2, 3 and 12 threads: the same bits
for threads in 1 2 3 12; do
    "$TR" train --data "$T/data" --out "$T/threads$threads" $TINY --steps 6 --threads $threads
done
for threads in 2 3 12; do
    check "parameters after 6 steps: --threads $threads == --threads 1" \
        cmp "$T/threads1/model_00000006.bin" "$T/threads$threads/model_00000006.bin"
    check "optimizer state: --threads $threads == --threads 1" \
        cmp "$T/threads1/model_00000006.state" "$T/threads$threads/model_00000006.state"
done

# the same at each kernel level (each level is its own instance of the layers)
for level in scalar avx2; do
    "$TR" train --data "$T/data" --out "$T/$level-1" $TINY --steps 4 --threads 1 --simd $level
    "$TR" train --data "$T/data" --out "$T/$level-3" $TINY --steps 4 --threads 3 --simd $level
    check "--simd $level: parameters after 4 steps, --threads 3 == --threads 1" \
        cmp "$T/$level-1/model_00000004.bin" "$T/$level-3/model_00000004.bin"
done

# 2N steps == N steps, checkpoint, --resume, N more steps (bit for bit); batch 14 so that two
# spheres hold two sequences
SCHED="--warmup 2 --decay-steps 10 --batch 14"
# in both data orders: shuffled (the default) and in order (llm.c's loader, whose resume finds
# its place by shard name)
for order in shuffle sequential; do
    dir=$([ $order = shuffle ] || echo seq-)
    "$TR" train --data "$T/data" --out "$T/${dir}straight" $TINY $SCHED --data-order $order --steps 10 --threads 2
    "$TR" train --data "$T/data" --out "$T/${dir}split" $TINY $SCHED --data-order $order --steps 5 --threads 1
    "$TR" train --data "$T/data" --out "$T/${dir}split" $TINY $SCHED --data-order $order --steps 10 --threads 3 --resume
    check "--data-order $order: 10 steps == 5 + resume + 5: model bit for bit" \
        cmp "$T/${dir}straight/model_00000010.bin" "$T/${dir}split/model_00000010.bin"
    check "--data-order $order: 10 steps == 5 + resume + 5: AdamW state bit for bit" \
        cmp "$T/${dir}straight/model_00000010.state" "$T/${dir}split/model_00000010.state"
done
check_exit "the shuffled (default) and sequential orders train different models" 1 \
    cmp -s "$T/straight/model_00000010.bin" "$T/seq-straight/model_00000010.bin"
check_exit "--data-order random: usage error" 2 "$TR" train --data "$T/data" --out "$T/o9" $TINY \
    --data-order random --steps 1

# --optimizer muon: the same bits on 1 and 2 threads, 10 steps == 5 + resume + 5 (its momentum is
# AdamW's m in the same state file), a different model from AdamW's, and a bad name refused
"$TR" train --data "$T/data" --out "$T/muon1" $TINY $SCHED --optimizer muon --steps 10 --threads 1
"$TR" train --data "$T/data" --out "$T/muon2" $TINY $SCHED --optimizer muon --steps 10 --threads 2
"$TR" train --data "$T/data" --out "$T/muonr" $TINY $SCHED --optimizer muon --steps 5 --threads 2
"$TR" train --data "$T/data" --out "$T/muonr" $TINY $SCHED --optimizer muon --steps 10 --threads 1 --resume
check "--optimizer muon: --threads 2 == --threads 1, model bit for bit" \
    cmp "$T/muon1/model_00000010.bin" "$T/muon2/model_00000010.bin"
check "--optimizer muon: --threads 2 == --threads 1, state bit for bit" \
    cmp "$T/muon1/model_00000010.state" "$T/muon2/model_00000010.state"
check "--optimizer muon: 10 steps == 5 + resume + 5: model bit for bit" \
    cmp "$T/muon1/model_00000010.bin" "$T/muonr/model_00000010.bin"
check "--optimizer muon: 10 steps == 5 + resume + 5: state bit for bit" \
    cmp "$T/muon1/model_00000010.state" "$T/muonr/model_00000010.state"
check_exit "--optimizer muon and adamw train different models" 1 \
    cmp -s "$T/muon1/model_00000010.bin" "$T/straight/model_00000010.bin"
check "--optimizer muon: step 10's loss below step 1's" $PY -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if rows[-1]["loss"] < rows[0]["loss"] - 0.05 else 1)' "$T/muon1/metrics.jsonl"
# Muon's products at the scalar level (the twin of the SIMD ones): thread-independent too, and
# within float rounding of the AVX2 level's model
for level in scalar avx2; do
    for threads in 1 2; do
        "$TR" train --data "$T/data" --out "$T/muon-$level-$threads" $TINY --optimizer muon \
            --steps 4 --threads $threads --simd $level
    done
done
check "--optimizer muon --simd scalar: --threads 2 == --threads 1" \
    cmp "$T/muon-scalar-1/model_00000004.bin" "$T/muon-scalar-2/model_00000004.bin"
check "--optimizer muon: the scalar and AVX2 levels' models agree within 1e-4" $PY -c '
import sys, numpy as np
a, b = (np.fromfile(p, dtype=np.float32, offset=1024) for p in sys.argv[1:])
sys.exit(0 if a.shape == b.shape and np.abs(a - b).max() < 1e-4 else 1)' \
    "$T/muon-scalar-1/model_00000004.bin" "$T/muon-avx2-1/model_00000004.bin"
check_exit "--optimizer sgd: usage error" 2 "$TR" train --data "$T/data" --out "$T/o10" $TINY \
    --optimizer sgd --steps 1
# the state keeps its optimizer: a resume with the other one is refused and writes nothing
cp -r "$T/muon1" "$T/muon-as-adamw" && cp -r "$T/straight" "$T/adamw-as-muon"
check_exit "--resume of a Muon state without --optimizer muon: usage error" 2 \
    "$TR" train --data "$T/data" --out "$T/muon-as-adamw" $TINY $SCHED --steps 12 --resume
check_exit "--resume of an AdamW state with --optimizer muon: usage error" 2 \
    "$TR" train --data "$T/data" --out "$T/adamw-as-muon" $TINY $SCHED --optimizer muon --steps 12 --resume
check "a refused resume writes no checkpoint" \
    test ! -e "$T/muon-as-adamw/model_00000012.bin" -a ! -e "$T/adamw-as-muon/model_00000012.bin"

# a corrupted newest checkpoint is refused; --resume falls back to the previous good one
cp -r "$T/split" "$T/corrupt"
printf 'AB' | dd of="$T/corrupt/model_00000010.bin" bs=1 seek=5000 conv=notrunc 2>/dev/null
out=$("$TR" train --data "$T/data" --out "$T/corrupt" $LOUD $SCHED --resume --steps +1 2>&1 | tr '\n' ' ')
expect_match "corrupted checkpoint refused by name" "$out" "not resuming from .*model_00000010.bin: .*belongs to another model"
check "resumed from step 5 instead: step 6 written" test -s "$T/corrupt/model_00000006.bin"
cp -r "$T/split" "$T/truncated"
truncate -s 4000 "$T/truncated/model_00000010.bin"
check_exit "info on a truncated checkpoint: exit 65" 65 "$TR" info "$T/truncated/model_00000010.bin"
expect_match "the message says truncated" "$("$TR" info "$T/truncated/model_00000010.bin" 2>&1)" \
    "^trainer: checkpoint .*model_00000010.bin: truncated"
out=$("$TR" train --data "$T/data" --out "$T/truncated" $LOUD $SCHED --resume --steps +1 2>&1 | tr '\n' ' ')
expect_match "truncated checkpoint skipped on resume" "$out" "not resuming from .*model_00000010.bin: .*truncated"
check "and step 6 trained from step 5" test -s "$T/truncated/model_00000006.bin"
cp -r "$T/split" "$T/badstate"
printf 'X' | dd of="$T/badstate/model_00000010.state" bs=1 seek=3000 conv=notrunc 2>/dev/null
out=$("$TR" train --data "$T/data" --out "$T/badstate" $LOUD $SCHED --resume --steps +1 2>&1 | tr '\n' ' ')
expect_match "altered state file refused (checksum)" "$out" "model_00000010.state: checksum mismatch"

# SIGINT and SIGTERM: finish the step, checkpoint, exit 0
for sig in INT TERM; do
    rm -rf "$T/sig"
    "$TR" train --data "$T/data" --out "$T/sig" $TINY --steps 1000000 --checkpoint-every 0 &
    pid=$!
    wait_for 60 sh -c "test \$(wc -l <'$T/sig/metrics.jsonl' 2>/dev/null || echo 0) -ge 3"
    kill -$sig $pid
    wait $pid
    expect_eq "SIG$sig: exit 0" "$?" 0
    steps=$(wc -l <"$T/sig/metrics.jsonl" | tr -d ' ')
    check "SIG$sig: checkpoint of the last finished step ($steps)" \
        test -s "$T/sig/model_$(printf %08d "$steps").bin"
done

# bad data: exit 65 with a clear message, never a crash
mkdir -p "$T/badmagic" "$T/toofew" "$T/empty" "$T/badtoken" "$T/trunc"
printf 'not a shard, just some bytes that are long enough? no.' >"$T/badmagic/a.bin"
dd if=/dev/zero bs=1024 count=2 2>/dev/null >>"$T/badmagic/a.bin"
check_exit "bad shard header: exit 65" 65 "$TR" train --data "$T/badmagic" --out "$T/o1" $TINY --steps 1
expect_match "bad header message names the shard" \
    "$("$TR" train --data "$T/badmagic" --out "$T/o1" $TINY --steps 1 2>&1)" "^trainer: shard .*a.bin: bad magic"
$PY "$MK" "$T/toofew/a.bin" 100 128 1
check_exit "too few tokens for one batch: exit 65" 65 "$TR" train --data "$T/toofew" --out "$T/o2" $TINY --steps 1
expect_match "too-few message" "$("$TR" train --data "$T/toofew" --out "$T/o2" $TINY --steps 1 2>&1)" "too few tokens for one batch"
$PY "$MK" "$T/badtoken/a.bin" 6000 128 1
check_exit "token outside --vocab 64: exit 65" 65 "$TR" train --data "$T/badtoken" --out "$T/o3" $TINY --vocab 64 --steps 1
expect_match "out-of-vocabulary message" "$("$TR" train --data "$T/badtoken" --out "$T/o3" $TINY --vocab 64 --steps 1 2>&1)" "outside the vocabulary of 64"
$PY "$MK" "$T/trunc/a.bin" 6000 128 1
truncate -s 5000 "$T/trunc/a.bin"
check_exit "truncated shard: exit 65" 65 "$TR" train --data "$T/trunc" --out "$T/o4" $TINY --steps 1
check_exit "no shards at all: exit 66" 66 "$TR" train --data "$T/empty" --out "$T/o5" $TINY --steps 1
check_exit "missing data folder: exit 66" 66 "$TR" train --data "$T/nowhere" --out "$T/o6" $TINY --steps 1

# the tokenizer beside the shards: a sub-folder is ignored, a tokenizer file sets the vocabulary
mkdir -p "$T/withtok/tokenizer"
cp "$T/data/shard_000.bin" "$T/withtok/"
printf 'garbage' >"$T/withtok/tokenizer/junk.bin"
check "a sub-folder of the data folder is not read" "$TR" train --data "$T/withtok" --out "$T/o7" $TINY --steps 1
rm -rf "$T/withtok/tokenizer"
$PY tests/trainer/mktokenizer.py "$T/withtok/tokenizer" 300
"$TR" train --data "$T/withtok" --out "$T/o8" $TINY --steps 1
expect_match "vocabulary from the tokenizer file" "$("$TR" info "$T/o8")" "vocabulary  300 \\(padded to 384\\)"

# a full disk (RLIMIT_FSIZE) while checkpointing: exit 74, no partial file, the old pair intact
"$TR" train --data "$T/data" --out "$T/full" $TINY --steps 4
cp "$T/full/model_00000004.bin" "$T/before.bin"
(trap '' XFSZ; ulimit -f 64; exec "$TR" train --data "$T/data" --out "$T/full" $TINY --resume --steps +2) \
    >"$T/full.log" 2>&1
expect_eq "checkpoint write fails on a full disk: exit 74" "$?" 74
expect_match "the error names the file" "$(cat "$T/full.log")" "^trainer: writing .*model_00000006.bin"
check "no checkpoint of step 6 under its final name" test ! -e "$T/full/model_00000006.bin"
expect_eq "no temporary file left behind" "$(ls "$T/full" | grep -c tmp)" 0
check "the step-4 checkpoint is untouched" cmp "$T/before.bin" "$T/full/model_00000004.bin"
check "and still resumable" "$TR" train --data "$T/data" --out "$T/full" $TINY --resume --steps +2

# resident memory does not grow over steps
"$TR" train --data "$T/data" --out "$T/rss" $TINY --steps 60 --val-every 20 --checkpoint-every 20
first=$(sed -n 3p "$T/rss/metrics.jsonl" | sed 's/.*"rss_kib":\([0-9]*\).*/\1/')
last=$(tail -1 "$T/rss/metrics.jsonl" | sed 's/.*"rss_kib":\([0-9]*\).*/\1/')
expect_match "anonymous resident memory at step 3 ($first KiB) and step 60 ($last KiB) within 1%" \
    "$(( (last - first) * 100 / first ))" '^(-[0-9]+|0)$'

# --precision: fp32 and bf16 each bit-identical for 1, 2, 3 and 12 threads and across a resume
# (the runs above use auto: bf16 on a CPU with AVX512-BF16 or AMX-BF16, fp32 elsewhere)
check_exit "--precision half: usage error" 2 "$TR" train --data "$T/data" --out "$T/p0" $TINY --precision half
if "$TR" train --data "$T/data" --out "$T/bf16probe" $TINY --steps 0 --precision bf16 2>/dev/null; then
    has_bf16=1
else
    has_bf16=0
    expect_match "--precision bf16 without a bf16 CPU says why" \
        "$("$TR" train --data "$T/data" --out "$T/bf16probe" $TINY --steps 0 --precision bf16 2>&1)" \
        "^trainer: --precision bf16: bf16 is not available: this CPU has neither"
fi
expect_match "the start-up line says which precision and why" \
    "$("$TR" train --data "$T/data" --out "$T/p1" $LOUD --steps 0 2>&1)" \
    "precision (bf16 mixed precision \(auto: the CPU has (AVX512|AMX)-BF16\)|fp32 \(auto\): this CPU has neither)"
for precision in fp32 bf16; do
    if [ "$precision" = bf16 ] && [ "$has_bf16" = 0 ]; then
        echo "ok - --precision bf16: threads and resume bit-identity # SKIP the CPU has neither AVX512-BF16 nor AMX-BF16"
        continue
    fi
    P="--precision $precision"
    for threads in 1 2 3 12; do
        "$TR" train --data "$T/data" --out "$T/$precision-t$threads" $TINY $P --steps 6 --threads $threads
    done
    for threads in 2 3 12; do
        check "--precision $precision: parameters, --threads $threads == --threads 1" \
            cmp "$T/$precision-t1/model_00000006.bin" "$T/$precision-t$threads/model_00000006.bin"
        check "--precision $precision: AdamW state, --threads $threads == --threads 1" \
            cmp "$T/$precision-t1/model_00000006.state" "$T/$precision-t$threads/model_00000006.state"
    done
    "$TR" train --data "$T/data" --out "$T/$precision-straight" $TINY $P $SCHED --steps 10 --threads 2
    "$TR" train --data "$T/data" --out "$T/$precision-split" $TINY $P $SCHED --steps 5 --threads 1
    "$TR" train --data "$T/data" --out "$T/$precision-split" $TINY $P $SCHED --steps 10 --threads 3 --resume
    check "--precision $precision: 10 steps == 5 + resume + 5, model bit for bit" \
        cmp "$T/$precision-straight/model_00000010.bin" "$T/$precision-split/model_00000010.bin"
    check "--precision $precision: 10 steps == 5 + resume + 5, AdamW state bit for bit" \
        cmp "$T/$precision-straight/model_00000010.state" "$T/$precision-split/model_00000010.state"
done
if [ "$has_bf16" = 1 ]; then
    check "bf16 and fp32 runs differ (bf16 really rounds)" \
        sh -c "! cmp -s '$T/fp32-t1/model_00000006.bin' '$T/bf16-t1/model_00000006.bin'"
    check "a bf16 checkpoint is an llm.c fp32 model file of the same size" \
        test "$(wc -c <"$T/bf16-t1/model_00000006.bin")" = "$(wc -c <"$T/fp32-t1/model_00000006.bin")"
    l32=$(tail -1 "$T/fp32-straight/metrics.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
    l16=$(tail -1 "$T/bf16-straight/metrics.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
    expect_eq "bf16 loss after 10 steps ($l16) within 1% of fp32 ($l32)" \
        "$($PY -c "print(abs($l16 - $l32) <= 0.01 * $l32)")" True
    # a model past its warmup (10 steps, warmup 2): after 6 steps of the default warmup 20 the
    # logits are so near zero that bf16 may round none of them away from fp32's loss
    e16=$("$TR" eval --model "$T/fp32-straight" --data "$T/data" --batch 4 --precision bf16 --json --quiet)
    e32=$("$TR" eval --model "$T/fp32-straight" --data "$T/data" --batch 4 --precision fp32 --json --quiet)
    e16=$(printf '%s' "$e16" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
    e32=$(printf '%s' "$e32" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
    expect_eq "eval --precision bf16 ($e16) within 0.5% of fp32 ($e32), not equal" \
        "$($PY -c "print(abs($e16 - $e32) <= 0.005 * $e32 and $e16 != $e32)")" True
fi

finish
