# test_commands.sh — `trainer generate`, `eval` and `info` on a checkpoint trained here, and on
# files that are not checkpoints.
. "$(dirname "$0")/../tap.sh"
TR="$CR_BIN/trainer"
TINY="--layers 2 --channels 32 --heads 4 --seq-len 16 --batch 12 --val-every 0 --quiet"
mkdir -p "$T/data"
$PY tests/trainer/mkshard.py "$T/data/a.bin" 8000 128 1
"$TR" train --data "$T/data" --out "$T/m" $TINY --steps 200 --lr 3e-3 --warmup 5

# info
out=$("$TR" info "$T/m")
expect_match "info names the newest checkpoint" "$out" "checkpoint  .*model_00000200.bin"
expect_match "info gives the shape" "$out" "2 layers, 32 channels, 4 heads, max sequence 16"
expect_match "info gives the parameter count" "$out" "parameters  30080"
expect_match "info --json" "$("$TR" info --json "$T/m/model_00000200.bin")" '"parameters":30080,"step":200'
printf 'hello' >"$T/notamodel.bin"
check_exit "info on a non-checkpoint: exit 65" 65 "$TR" info "$T/notamodel.bin"
check_exit "info on a missing file: exit 66" 66 "$TR" info "$T/missing.bin"

# eval: llm.c-order windows; the loss of the trained model beats the untrained one
"$TR" train --data "$T/data" --out "$T/untrained" $TINY --steps 0
trained=$("$TR" eval --model "$T/m" --data "$T/data" --batch 4 --json)
untrained=$("$TR" eval --model "$T/untrained" --data "$T/data" --batch 4 --json)
expect_match "eval --json reports loss, perplexity, windows" "$trained" \
    '"loss":[0-9.]+,"perplexity":[0-9.]+,"windows":124,"tokens":7936'
tl=$(printf '%s' "$trained" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
ul=$(printf '%s' "$untrained" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
expect_eq "trained loss ($tl) below untrained ($ul)" "$($PY -c "print($tl < $ul - 0.5)")" True
expect_eq "untrained loss near ln(128)" "$($PY -c "print(abs($ul - 4.852) < 0.1)")" True
check_exit "eval with a too long --seq-len: usage error" 2 "$TR" eval --model "$T/m" --data "$T/data" --seq-len 64

# generate: greedy decoding is deterministic and continues the counting pattern it learned
g1=$("$TR" generate --model "$T/m" --prompt-ids 0,40,41,42 --max-tokens 6 --temperature 0 2>/dev/null)
g2=$("$TR" generate --model "$T/m" --prompt-ids 0,40,41,42 --max-tokens 6 --temperature 0 2>/dev/null)
expect_eq "greedy generation is deterministic" "$g1" "$g2"
expect_match "prompt echoed, then 6 ids" "$g1" '^0 40 41 42( [0-9]+){6}$'
expect_match "the model continues 40 41 42 with 43" "$g1" '^0 40 41 42 43'
s1=$("$TR" generate --model "$T/m" --max-tokens 12 --seed 7 2>/dev/null)
s2=$("$TR" generate --model "$T/m" --max-tokens 12 --seed 7 2>/dev/null)
expect_eq "sampling with a seed is reproducible" "$s1" "$s2"
err=$("$TR" generate --model "$T/m" --max-tokens 100 --prompt-ids 0 2>&1 >/dev/null)
expect_match "tokens/s on stderr, stopped at the model's 16 positions" "$err" "generated 16 tokens .* tokens/s"
err=$("$TR" generate --model "$T/m" --max-tokens 40 --prompt-ids 0 --slide 2>&1 >/dev/null)
expect_match "--slide goes on past the model's 16 positions" "$err" "generated 40 tokens"
expect_match "--slide refills a window of the last 8, 3 times" "$err" "slid the window 3 times \(the last 8 tokens"
check_exit "prompt id outside the vocabulary: usage error" 2 "$TR" generate --model "$T/m" --prompt-ids 500
check_exit "--prompt TEXT without a tokenizer: usage error" 2 "$TR" generate --model "$T/m" --prompt hi

# generate with a tokenizer file (byte tokens: id = byte value): ids printed as their bytes;
# the training data counts upwards, so after H I J (72 73 74) comes K (75)
$PY tests/trainer/mktokenizer.py "$T/tokenizer" 300
text=$("$TR" generate --model "$T/m" --tokenizer "$T/tokenizer" --prompt-ids 72,73,74 --max-tokens 3 --temperature 0 2>/dev/null)
expect_match "text through the tokenizer file: HIJK..." "$text" '^HIJK'
text=$("$TR" generate --model "$T/m" --tokenizer "$T/tokenizer" --prompt "HIJ" --max-tokens 1 --temperature 0 2>/dev/null)
expect_eq "a text prompt is encoded with the tokenizer's bytes" "$text" "HIJK"

finish
