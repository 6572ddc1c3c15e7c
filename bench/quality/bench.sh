#!/bin/sh
# bench.sh — `make bench BENCH=quality`: what a user gets from a wall-clock budget. The C code
# base is curl's examples as Debian ships them (libcurl4-doc: /usr/share/doc/libcurl4/examples,
# 111 files, 438 KB; no deb-src here, so no `apt-get source`), split by file: every 8th file
# (sorted by name, from the 4th) is held out and never trained on, the tokenizer included.
# Ours (`trainer train --time`, its defaults: the shape the budget chooses, docs/trainer.md)
# against PyTorch with nanoGPT's recipe at the old default shape (4 x 192, seq 64, batch 12;
# torch_train.py), for the same wall clock, one after the other. Both models are llm.c files,
# so one `trainer eval` gives both held-out losses (each over windows of its own context; ours
# also over 64-token windows, PyTorch's context) and one `trainer generate` both sets of
# samples: QUALITY_SAMPLES (100) from "int main", 200
# tokens each, checked by c_check.py (braces closed, common headers, gcc -fsyntax-only);
# then the same check on the held-out files' own mains cut to the same length (the ceiling).
# QUALITY_TIME_S (600) the budget of each side; QUALITY_OURS / QUALITY_GEN extra flags;
# QUALITY_KEEP=1 keeps the work folder (models, samples) for a look afterwards.
set -u
: "${CR_BIN:?}"
here=$(cd "$(dirname "$0")" && pwd)
TR="$CR_BIN/trainer"
TOK="$CR_BIN/tokenizer"
PY=/usr/bin/python3
SRC=${QUALITY_SRC:-/usr/share/doc/libcurl4/examples}
BUDGET_S=${QUALITY_TIME_S:-600}
SAMPLES=${QUALITY_SAMPLES:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/qbench.XXXXXX")
if [ -n "${QUALITY_KEEP:-}" ]; then echo "quality: keeping $work (QUALITY_KEEP)"; else trap 'rm -rf "$work"' EXIT; fi
export OMP_WAIT_POLICY=PASSIVE

[ -d "$SRC" ] || { echo "quality: $SRC is missing (apt-get install libcurl4-doc, or make deps)"; exit 0; }
field() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

. "$here/split.sh"
curl_split "$SRC" "$work"
echo "code base: $SRC: $(ls "$work/train" | wc -l) files ($(cat "$work"/train/*.c | wc -c) bytes) to train on, $(ls "$work/held" | wc -l) held out ($(cat "$work"/held/*.c | wc -c) bytes)"
"$TOK" train --vocab-size 2048 -o "$work/tokenizer" -q "$work/train"
"$TOK" encode --tokenizer "$work/tokenizer" --out "$work/train_tokens" -q "$work"/train/*.c
"$TOK" encode --tokenizer "$work/tokenizer" --out "$work/held_tokens" -q "$work"/held/*.c
vocab=$($PY -c 'import json,sys; print(json.load(sys.stdin)["vocab_size"])' <<EOF2
$("$TOK" info "$work/tokenizer" --json)
EOF2
)
echo "tokens: $(tokens "$work/train_tokens") to train on, $(tokens "$work/held_tokens") held out (vocabulary $vocab, trained on the training files only)"

echo "ours: trainer train --time ${BUDGET_S}s ${QUALITY_OURS:-} (load $(load))"
ours=$("$TR" train --data "$work/train_tokens" --val-data "$work/held_tokens" --out "$work/ours" \
    --tokenizer "$work/tokenizer" --time "${BUDGET_S}s" --checkpoint-every 0 --val-every 0 \
    --json --quiet ${QUALITY_OURS:-})
echo "  $ours"
echo "PyTorch: nanoGPT recipe, 4 x 192, seq 64, batch 12, ${BUDGET_S} s (load $(load))"
torch=$($PY "$here/torch_train.py" "$work/train_tokens" "$work/torch.bin" "$BUDGET_S" "$vocab")
echo "  $torch"

ours_model=$(ls "$work"/ours/model_*.bin | tail -1)
echo "  ours: $("$TR" info "$ours_model" | sed -n 's/^shape *//p')"
loss() { field "$("$TR" eval --model "$1" --data "$work/held_tokens" --json ${2:-} 2>/dev/null)" loss; }
ours_loss=$(loss "$ours_model")
ours_loss64=$(loss "$ours_model" "--seq-len 64")
torch_loss=$(loss "$work/torch.bin")

samples() { # model name: SAMPLES from "int main", 200 tokens each, checked
    mkdir -p "$work/s-$2"
    k=1
    while [ $k -le "$SAMPLES" ]; do
        "$TR" generate --model "$1" --tokenizer "$work/tokenizer" --prompt "int main" \
            --max-tokens 200 --slide --seed $k ${QUALITY_GEN:-} >"$work/s-$2/$k.c" 2>/dev/null
        k=$((k + 1))
    done
    $PY "$here/c_check.py" "$work/s-$2"/*.c | tail -1 | sed 's/valid \([0-9]*\) of \([0-9]*\)/\1 \2/'
}
set -- $(samples "$ours_model" ours)
ours_valid=$1
set -- $(samples "$work/torch.bin" torch)
torch_valid=$1
set -- $(CR_BIN="$CR_BIN" $PY "$here/c_check.py" --cut 202 "$work/tokenizer" "$work"/held/*.c | tail -1 | sed 's/valid \([0-9]*\) of \([0-9]*\)/\1 \2/')
real_valid=$1 real_count=$2
echo "one sample of ours:"
sed 's/^/  | /' "$work/s-ours/1.c" | head -25

pct() { $PY -c "print('%.0f%%' % (100.0 * $1 / $2))"; }
echo
printf '%-34s %12s %12s\n' "" "ours" "PyTorch"
printf '%-34s %12s %12s\n' "held-out loss (files never seen)" "$ours_loss" "$torch_loss"
printf '%-34s %12s %12s\n' "  the same over 64-token windows" "$ours_loss64" "$torch_loss"
printf '%-34s %12s %12s\n' "valid C of $SAMPLES \"int main\" samples" "$(pct "$ours_valid" "$SAMPLES")" "$(pct "$torch_valid" "$SAMPLES")"
printf '%-34s %12s\n' "held-out real code, same cut" "$(pct "$real_valid" "$real_count") of $real_count"
echo "held-out loss, ours / PyTorch: $($PY -c "print('%.3f' % ($ours_loss / $torch_loss))") (load $(load))"
