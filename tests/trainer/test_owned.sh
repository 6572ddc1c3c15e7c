#!/bin/sh
# test_owned.sh — a training run touches only the checkpoints it owns: a resume that refuses
# newer pairs (no state, an altered state) or finds none usable never writes over them nor
# prunes them, and a new model never writes over another run's; options that a resumed model
# cannot obey are named; metrics.jsonl holds each step once after a kill and a resume; an
# impossible checkpoint shape is reported once, with its reason.
. "$(dirname "$0")/../tap.sh"
TR="$CR_BIN/trainer"
MK="tests/trainer/mkshard.py"
TINY="--layers 2 --channels 32 --heads 4 --seq-len 16 --batch 12 --val-every 0 --quiet"

mkdir -p "$T/data"
$PY "$MK" "$T/data/shard_000.bin" 6000 128 1
"$TR" train --data "$T/data" --out "$T/base" $TINY --steps 6 --checkpoint-every 2 --keep 0
check "base run: pairs of steps 2, 4 and 6" test -s "$T/base/model_00000002.state" -a -s "$T/base/model_00000006.state"

# sums FOLDER: a checksum of every checkpoint file in it, to prove none changed
sums() { (cd "$1" && sha256sum model_* 2>/dev/null | sort); }

# no usable state at all: --resume refuses, every model file stays as it was
cp -r "$T/base" "$T/nostate"
rm "$T/nostate"/*.state
before=$(sums "$T/nostate")
out=$("$TR" train --data "$T/data" --out "$T/nostate" $TINY --resume --steps 6 --keep 1 2>&1)
expect_eq "no usable state: exit 65" "$?" 65
expect_match "the error names the checkpoint and what to do" "$out" \
    "^trainer: .*model_0000000[246].bin cannot be resumed from .* move it away, or train into another --out"
expect_eq "no usable state: no model file written over or removed" "$(sums "$T/nostate")" "$before"

# the newest state refused (altered): the run resumes from step 4 and writes step 5, but the
# refused pair of step 6 is neither pruned (--keep 1) nor counted as one of the kept
cp -r "$T/base" "$T/badstate"
printf 'X' | dd of="$T/badstate/model_00000006.state" bs=1 seek=3000 conv=notrunc 2>/dev/null
before=$(cd "$T/badstate" && sha256sum model_00000006.*)
"$TR" train --data "$T/data" --out "$T/badstate" $TINY --resume --steps +1 --keep 1 2>"$T/bs.err"
expect_eq "skipped state: the run from step 4 succeeds" "$?" 0
expect_eq "the refused pair of step 6 is untouched" "$(cd "$T/badstate" && sha256sum model_00000006.*)" "$before"
check "this run's step 5 is kept" test -s "$T/badstate/model_00000005.bin" -a -s "$T/badstate/model_00000005.state"
check "the older pairs of its own line are pruned (--keep 1)" test ! -e "$T/badstate/model_00000004.bin" -a ! -e "$T/badstate/model_00000002.bin"
# going on would write step 6 over the refused pair: refused, nothing changed
before=$(sums "$T/badstate")
check_exit "a run that would write over the refused step 6: exit 65" 65 \
    "$TR" train --data "$T/data" --out "$T/badstate" $TINY --resume --steps +3
expect_eq "and no checkpoint changed" "$(sums "$T/badstate")" "$before"

# a new model (no --resume) into a folder holding another run's checkpoints of the same steps
before=$(sums "$T/base")
check_exit "a new model over another run's step numbers: exit 2" 2 \
    "$TR" train --data "$T/data" --out "$T/base" $TINY --steps 4 --seed 7
expect_eq "the other run's checkpoints are untouched" "$(sums "$T/base")" "$before"

# a resumed model keeps its shape, and says so when asked for another one
cp -r "$T/base" "$T/shape"
out=$("$TR" train --data "$T/data" --out "$T/shape" --layers 3 --channels 64 --heads 4 --seq-len 16 --batch 12 --val-every 0 --resume --steps +1 2>&1)
expect_match "--layers on a resume is named as ignored" "$out" "--layers 3 ignored: the resumed model .*model_00000006.bin has 2"
expect_match "--channels on a resume is named as ignored" "$out" "--channels 64 ignored: .* has 32"
out=$("$TR" train --data "$T/data" --out "$T/shape" $TINY --resume --steps +1 2>&1)
expect_eq "the same shape given again: no warning" "$(printf '%s' "$out" | grep -c ignored)" 0

# killed (SIGKILL) after its last checkpoint: the resumed run logs each step once
"$TR" train --data "$T/data" --out "$T/kill" $TINY --steps 100000 --checkpoint-every 4 &
pid=$!
wait_for 60 sh -c "test \$(wc -l <'$T/kill/metrics.jsonl' 2>/dev/null || echo 0) -ge 10"
kill -KILL $pid
wait $pid 2>/dev/null
"$TR" train --data "$T/data" --out "$T/kill" $TINY --resume --steps +3
steps=$(sed 's/^{"step":\([0-9]*\),.*/\1/' "$T/kill/metrics.jsonl" | tr '\n' ' ')
last=$(ls "$T/kill" | sed -n 's/^model_0*\([0-9]*\)\.bin$/\1/p' | sort -n | tail -1)
expect_eq "metrics.jsonl after kill + resume: steps 1..$last, each once" "$steps" "$(seq 1 "$last" | tr '\n' ' ')"
expect_eq "no temporary file left" "$(ls "$T/kill" | grep -c '\.tmp\.')" 0

# an impossible shape: the prefix once, and the reason
cp "$T/base/model_00000002.bin" "$T/shape999.bin"
$PY - "$T/shape999.bin" <<'PYEOF'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(4 * 4)
    f.write(struct.pack("<i", 999))
PYEOF
out=$("$TR" info "$T/shape999.bin" 2>&1)
expect_eq "info on an impossible shape: the reason, once" "$out" \
    "trainer: checkpoint $T/shape999.bin: impossible shape: layer count 999 is outside 1..256"

# a state whose checksum verifies but whose step is not its file's (renamed, or crafted: a
# negative step made the run diverge, a huge one wrote model_4611686018427387906.bin)
cp -r "$T/base" "$T/crafted"
$PY - "$T/crafted/model_00000006.state" <<'PYEOF'
import hashlib, struct, sys
with open(sys.argv[1], "r+b") as f:
    b = bytearray(f.read())
    b[16:24] = struct.pack("<q", -5)  # the step, after magic, version and header size
    b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()
    f.seek(0)
    f.write(b)
PYEOF
out=$("$TR" train --data "$T/data" --out "$T/crafted" $TINY --resume --steps +1 2>&1)
expect_eq "a state of another step: the run from step 4 goes on" "$?" 0
expect_match "and says why it skipped step 6" "$("$TR" train --data "$T/data" --out "$T/crafted" --layers 2 --channels 32 --heads 4 --seq-len 16 --batch 12 --val-every 0 --resume --steps 5 2>&1)" \
    "not resuming from .*model_00000006.bin: state .*model_00000006.state is of step -5, not 6"

# a FIFO under a checkpoint's name never hangs a reader: info refuses it, a resume skips it
# (and, since the run may not write over it, refuses to run into its step)
mkfifo "$T/fifo.bin"
check_exit "info on a FIFO: exit 65, at once" 65 timeout 10 "$TR" info "$T/fifo.bin"
cp -r "$T/base" "$T/fifo"
rm "$T/fifo/model_00000006.state"
mkfifo "$T/fifo/model_00000006.state"
out=$(timeout 20 "$TR" train --data "$T/data" --out "$T/fifo" $TINY --resume --steps +1 2>&1)
expect_eq "a FIFO as the newest state: the run from step 4 goes on (exit 0, no hang)" "$?" 0
check "step 5 written" test -s "$T/fifo/model_00000005.bin"
check "the FIFO is left as it was" test -p "$T/fifo/model_00000006.state"
# a FIFO as metrics.jsonl would block every step's append: refused before training
mkdir -p "$T/fifometrics"
mkfifo "$T/fifometrics/metrics.jsonl"
check_exit "metrics.jsonl is a FIFO: exit 65, at once" 65 timeout -s KILL 20 "$TR" train --data "$T/data" --out "$T/fifometrics" $TINY --steps 1
finish
