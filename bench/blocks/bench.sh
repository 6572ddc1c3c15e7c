#!/bin/sh
# bench.sh — `make bench BENCH=blocks`: what cutting repeated blocks (preprocess/blocks.c)
# does to held-out loss, at a fixed step count. The code base and its split are the quality
# bench's (curl's examples, libcurl4-doc; every 8th file from the 4th held out). The training
# files go through preprocess twice, with --block-dedup off and with the default (one copy of a
# block kept); one tokenizer, trained on the raw training files, encodes everything, so both
# models are scored on the same tokens. The same trainer run (shape, seed, BLOCKS_STEPS steps)
# on each, then `trainer eval` of both models on two versions of the held-out files:
#  - cut: the held-out files through preprocess with a copy of the training run's index, as
#    the pipeline treats files that land after the training set (the licence header and the
#    other blocks the training files have are cut). This is the fair score: it is the text a
#    user of either model would want predicted, and the same text for both;
#  - raw: the held-out files as they are (--no-dedup), boilerplate included, which the model
#    trained on 97 copies of the header has learnt by heart.
# BLOCKS_STEPS (600), BLOCKS_SEEDS ("1337"): more seeds average out the noise of one run.
set -u
: "${CR_BIN:?}"
PP="$CR_BIN/preprocess"
TR="$CR_BIN/trainer"
TOK="$CR_BIN/tokenizer"
PY=/usr/bin/python3
SRC=${BLOCKS_SRC:-/usr/share/doc/libcurl4/examples}
STEPS=${BLOCKS_STEPS:-600}
SEEDS=${BLOCKS_SEEDS:-1337}
work=$(mktemp -d "${TMPDIR:-/tmp}/bbench.XXXXXX")
if [ -n "${BLOCKS_KEEP:-}" ]; then echo "blocks: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
[ -d "$SRC" ] || { echo "blocks: $SRC is missing (apt-get install libcurl4-doc, or make deps)"; exit 0; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
field() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

. "$(cd "$(dirname "$0")" && pwd)/../quality/split.sh"
curl_split "$SRC" "$work"
"$PP" "$work/train" --out "$work/off" --block-dedup off --threads 1 -q
"$PP" "$work/train" --out "$work/on" --threads 1 --json >"$work/on.json" 2>"$work/on.log"
mkdir -p "$work/index"
cp "$work"/on/.dedup.sqlite* "$work/index/"
"$PP" "$work/held" --out "$work/held_raw" --no-dedup --threads 1 -q
"$PP" "$work/held" --out "$work/held_cut" --dedup-db "$work/index/.dedup.sqlite" --near-dup off \
    --threads 1 -q
bytes() { cat "$1"/*.txt | wc -c | tr -d ' '; }
echo "training text: $(ls "$work"/off/*.txt | wc -l) files, $(bytes "$work/off") bytes without cutting, $(bytes "$work/on") with ($($PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["repeated_blocks"]; print("%d blocks cut from %d files" % (r["cut"], r["documents"]))' "$work/on.json"))"
echo "held-out text: $(ls "$work"/held_raw/*.txt | wc -l) files, raw $(bytes "$work/held_raw") bytes, cut $(bytes "$work/held_cut") bytes ($(ls "$work"/held_cut/*.txt | wc -l) files)"

"$TOK" train --vocab-size 2048 -o "$work/tokenizer" -q "$work/train"
for set in off on held_raw held_cut; do
    "$TOK" encode --tokenizer "$work/tokenizer" --out "$work/tok_$set" -q "$work/$set"/*.txt
done
echo "tokens: train $(tokens "$work/tok_off") without cutting, $(tokens "$work/tok_on") with; held-out raw $(tokens "$work/tok_held_raw"), cut $(tokens "$work/tok_held_cut")"

loss() { field "$("$TR" eval --model "$1" --data "$2" --json 2>/dev/null)" loss; }
printf '%-6s %-5s %10s %10s %10s\n' seed arm "held cut" "held raw" "train s"
for seed in $SEEDS; do
    for arm in off on; do
        start=$(date +%s)
        "$TR" train --data "$work/tok_$arm" --out "$work/m_${arm}_$seed" --tokenizer "$work/tokenizer" \
            --steps "$STEPS" --seed "$seed" --checkpoint-every 0 --val-every 0 --quiet >/dev/null 2>&1
        took=$(($(date +%s) - start))
        model=$(ls "$work/m_${arm}_$seed"/model_*.bin | tail -1)
        printf '%-6s %-5s %10s %10s %10s\n' "$seed" "$arm" "$(loss "$model" "$work/tok_held_cut")" \
            "$(loss "$model" "$work/tok_held_raw")" "$took"
    done
done
echo "(load $(load); arm off: --block-dedup off, on: the default; $STEPS steps each, default shape)"
