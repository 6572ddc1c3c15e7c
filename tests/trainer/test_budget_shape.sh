# test_budget_shape.sh — the shape `trainer train --time` chooses (budget.c, train.c): without a
# shape option a new model takes a rung of the ladder and the start-up lines say which and why;
# a corpus that the budget would see many more times than the rung's epoch ceiling stops at
# that ceiling, and that run is bit for bit `--steps N` at the rung's shape; a resumed model
# keeps its rung and its ceiling; any explicit shape option wins (no choice, no ceiling). The
# rule itself: test_budget_rule.c. The budget's step count: test_budget.sh.
. "$(dirname "$0")/../tap.sh"
TR="$CR_BIN/trainer"
MK="tests/trainer/mkshard.py"
QUIET="--val-every 0 --log-every 0 --checkpoint-every 0"

# 1,000 tokens: room for one batch of the smallest rung (12 x 64 + 1), not of the next one
mkdir -p "$T/data" "$T/val"
$PY "$MK" "$T/data/shard_000.bin" 1000 128 1
$PY "$MK" "$T/val/shard_000.bin" 300 128 2
DATA="--data $T/data --val-data $T/val"
json_int() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

# 60 s would buy hundreds of epochs of these 1,000 tokens: the run stops at the ceiling
out=$("$TR" train $DATA --out "$T/cap" --time 60s $QUIET --threads 2 --json 2>&1)
expect_match "the start-up lines say the budget's shape and why" "$out" \
    "shape for the budget 1m00s: rung 1 of [0-9]+, 4 layers x 192 channels, 6 heads, seq 64, batch 12; about [0-9.]+ epochs of 1000 tokens .*the next rung needs 1537 tokens for one batch"
cap=$(printf '%s\n' "$out" | sed -n 's/.*more than its \([0-9.]*\) epochs: the run stops after \([0-9]*\) steps.*/\2/p')
epochs=$(printf '%s\n' "$out" | sed -n 's/.*more than its \([0-9.]*\) epochs: the run stops after.*/\1/p')
expect_eq "the ceiling is the rung's epochs over 1,000 tokens, 768 a step" "$cap" \
    "$($PY -c "import math; print(math.ceil($epochs * 1000 / 768))")"
expect_match "and the count it fixes stops there, saying why" "$out" \
    "stopping at step $cap, $epochs epochs of the data at this shape, not the [0-9]+ steps the budget buys: more would memorise"
expect_eq "the run ends at the ceiling" "$(json_int "$out" step)" "$cap"
"$TR" train $DATA --out "$T/ref" $QUIET --layers 4 --channels 192 --heads 6 --seq-len 64 --batch 12 \
    --steps "$cap" --threads 1 --quiet
check "the capped budget (2 threads) == --steps $cap at the rung's shape (1 thread): model bit for bit" \
    cmp "$(printf '%s/model_%08d.bin' "$T/cap" "$cap")" "$(printf '%s/model_%08d.bin' "$T/ref" "$cap")"

# resumed: the model's rung, its ceiling again for the new segment
out=$("$TR" train $DATA --out "$T/cap" --time 60s --resume $QUIET --json 2>&1)
expect_match "a resumed budget keeps the model's rung and says so" "$out" \
    "shape: the resumed model's, rung 1 of [0-9]+ of the budget's ladder \(seq 64, batch 12; at most $epochs epochs a budget\)"
expect_eq "and stops its new segment at the ceiling too" "$(json_int "$out" step)" "$((cap * 2))"

# explicit shape options win: no choice, no ceiling
out=$("$TR" train $DATA --out "$T/tiny" --time 2s --layers 2 --channels 32 --heads 4 --seq-len 16 \
    $QUIET --json 2>&1)
expect_eq "explicit options: no budget shape line" "$(printf '%s\n' "$out" | grep -c 'shape for the budget')" 0
expect_eq "explicit options: no epoch ceiling" "$(printf '%s\n' "$out" | grep -c 'stopping at step')" 0
expect_match "explicit options: the model has the given shape" "$("$TR" info "$T/tiny")" \
    "2 layers, 32 channels, 4 heads, max sequence 16"
out=$("$TR" train $DATA --out "$T/batch" --time 2s --batch 6 $QUIET 2>&1)
expect_eq "--batch alone: no budget shape line either" "$(printf '%s\n' "$out" | grep -c 'shape for the budget')" 0
expect_match "--batch alone: the default shape at that batch" "$out" "batch 6 x 64 tokens"
finish
