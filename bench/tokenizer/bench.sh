#!/bin/sh
# bench.sh — the tokenizer side by side with its references, on the same >= 10 MB of real
# text, in one run (`make bench BENCH=tokenizer`): training a vocabulary of 8,192 against
# sentencepiece's spm_train (BPE, one thread), encoding against spm_encode and tiktoken (npm),
# compression (bytes per token on held-out text) against sentencepiece, peak memory of each.
# Prints figures and ratios; never fails on a slow figure. The corpus is the Python HTML docs
# as text (python3.11-doc) or /usr/share/doc (corpus.py), cached in $BENCH_DIR.
set -u
here=$(cd "$(dirname "$0")" && pwd)
TOK="$CR_BIN/tokenizer"
NPM="$here/../../tests/tokenizer/npm"
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/crystalline-bench-tokenizer}
VOCAB=${VOCAB:-8192}
mkdir -p "$BENCH_DIR"
W=$(mktemp -d "${TMPDIR:-/tmp}/tokbench.XXXXXX")
trap 'rm -rf "$W"' EXIT

[ -d "$BENCH_DIR/corpus/train" ] || /usr/bin/python3 "$here/corpus.py" "$BENCH_DIR/corpus" 11 || exit 1
TRAIN="$BENCH_DIR/corpus/train"
HELDOUT="$BENCH_DIR/corpus/heldout"
cat "$TRAIN"/*.txt > "$W/train.txt"
cat "$HELDOUT"/*.txt > "$W/heldout.txt"
MB=$(awk -v b="$(wc -c < "$W/train.txt")" 'BEGIN {printf "%.2f", b / 1e6}')
echo "corpus: $MB MB in $(ls "$TRAIN" | wc -l) documents; held out: $(wc -c < "$W/heldout.txt") bytes"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared: figures are noisy)"

# timed LABEL COMMAND...: runs it, sets SECS (wall) and RSS_MB (peak resident set)
timed() {
    label=$1
    shift
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" > "$W/$label.out" 2> "$W/$label.err" || {
        echo "$label failed: $(tail -3 "$W/$label.err")"
        SECS=0 RSS_MB=0
        return 1
    }
    SECS=$(cut -d' ' -f1 "$W/time")
    RSS_MB=$(awk '{printf "%.0f", $2 / 1024}' "$W/time")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
mbps() { awk -v s="$1" -v b="$2" 'BEGIN {if (s > 0) printf "%.1f", b / 1e6 / s; else print "n/a"}'; }
BYTES=$(wc -c < "$W/train.txt")

echo
echo "== training, vocabulary $VOCAB"
timed ours_train1 "$TOK" train --quiet --threads 1 --vocab-size "$VOCAB" -o "$W/ours.tok" "$TRAIN"
ours1=$SECS ours1_rss=$RSS_MB
timed ours_train2 "$TOK" train --quiet --threads 2 --vocab-size "$VOCAB" -o "$W/ours2.tok" "$TRAIN"
ours2=$SECS
cmp -s "$W/ours.tok" "$W/ours2.tok" && same="identical" || same="DIFFERENT"
timed spm_train spm_train --input="$W/train.txt" --model_prefix="$W/spm" --vocab_size="$VOCAB" \
    --model_type=bpe --num_threads=1 --character_coverage=1.0 --max_sentence_length=100000
spm=$SECS spm_rss=$RSS_MB
# sentencepiece's defaults are lossy (NFKC, runs of spaces collapsed): for compression on the
# same bytes, a second model keeps the text as it is (spm still drops line breaks).
timed spm_train_id spm_train --input="$W/train.txt" --model_prefix="$W/spm_id" --vocab_size="$VOCAB" \
    --model_type=bpe --num_threads=1 --character_coverage=1.0 --max_sentence_length=100000 \
    --normalization_rule_name=identity --remove_extra_whitespaces=false
spm_id=$SECS
printf '%-34s %8s s  %6s MB peak RSS\n' "tokenizer train --threads 1" "$ours1" "$ours1_rss"
printf '%-34s %8s s  (vocabulary %s to 1 thread)\n' "tokenizer train --threads 2" "$ours2" "$same"
printf '%-34s %8s s  %6s MB peak RSS\n' "spm_train --model_type=bpe (1 thr)" "$spm" "$spm_rss"
printf '%-34s %8s s\n' "spm_train, identity normalisation" "$spm_id"
echo "ratio: tokenizer/spm_train wall time = $(ratio "$ours1" "$spm") (goal <= 0.5)"

# Encoding input: the training documents three times over (each copy made distinct, since
# encode skips documents it has seen), so that a run lasts long enough to time.
mkdir -p "$W/docs"
for copy in 1 2 3; do
    for f in "$TRAIN"/*.txt; do
        { echo "copy $copy"; cat "$f"; } > "$W/docs/$copy-$(basename "$f")"
    done
done
cat "$W"/docs/*.txt > "$W/docs.txt"
BYTES=$(wc -c < "$W/docs.txt")
MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.2f", b / 1e6}')
echo
echo "== encoding $MB MB in $(ls "$W/docs" | wc -l) documents (one thread unless said)"
timed ours_enc1 "$TOK" encode --quiet --threads 1 --tokenizer "$W/ours.tok" --out "$W/enc1" "$W/docs"
e1=$SECS e1_rss=$RSS_MB
timed ours_enc2 "$TOK" encode --quiet --threads 2 --tokenizer "$W/ours.tok" --out "$W/enc2" "$W/docs"
e2=$SECS
timed spm_enc spm_encode --model="$W/spm.model" --output_format=id --input="$W/docs.txt" --output="$W/spm.ids"
se=$SECS se_rss=$RSS_MB
node "$here/../../tests/tokenizer/ranks.js" "$NPM" cl100k_base "$W/cl100k.tiktoken" > /dev/null 2>&1 ||
    (npm ci --prefix "$NPM" --no-audit --no-fund --loglevel=error > /dev/null 2>&1 &&
        node "$here/../../tests/tokenizer/ranks.js" "$NPM" cl100k_base "$W/cl100k.tiktoken" > /dev/null)
"$TOK" import --quiet --tiktoken "$W/cl100k.tiktoken" --pattern gpt4 --special '<|endoftext|>=100257' -o "$W/cl100k.tok"
timed ours_cl "$TOK" encode --quiet --threads 1 --tokenizer "$W/cl100k.tok" --out "$W/enccl" "$W/docs"
ec=$SECS ec_rss=$RSS_MB
timed tiktoken node "$here/tiktoken_encode.js" "$NPM" "$W"/docs/*.txt
tt_wall=$SECS tt_rss=$RSS_MB
tt=$(cut -d' ' -f1 "$W/tiktoken.out")
printf '%-40s %7s MB/s  %6s MB peak RSS\n' "tokenizer encode, ours $VOCAB" "$(mbps "$e1" "$BYTES")" "$e1_rss"
printf '%-40s %7s MB/s\n' "tokenizer encode --threads 2" "$(mbps "$e2" "$BYTES")"
printf '%-40s %7s MB/s  %6s MB peak RSS\n' "spm_encode, spm $VOCAB" "$(mbps "$se" "$BYTES")" "$se_rss"
printf '%-40s %7s MB/s  %6s MB peak RSS\n' "tokenizer encode, cl100k_base" "$(mbps "$ec" "$BYTES")" "$ec_rss"
printf '%-40s %7s MB/s  %6s MB peak RSS (encode calls only; %s s with node start-up)\n' \
    "tiktoken (npm, wasm), cl100k_base" "$(mbps "$tt" "$BYTES")" "$tt_rss" "$tt_wall"
echo "ratio: tokenizer/spm_encode MB/s = $(ratio "$se" "$e1") (goal >= 5)"
echo "ratio: tokenizer/tiktoken MB/s (cl100k) = $(ratio "$tt" "$ec") (goal >= 1; ours: the whole process with hashing and shard writes, tiktoken: encode calls only)"
echo "ratio: --threads 2 / --threads 1 MB/s = $(ratio "$e1" "$e2") (goal near 2)"
ours_cl_tokens=$(cat "$W"/enccl/*.manifest.tsv | grep -v '^#' | awk -F'\t' '{s += $3 - 1} END {print s}')
tt_tokens=$(cut -d' ' -f2 "$W/tiktoken.out")
[ "$ours_cl_tokens" = "$tt_tokens" ] && echo "cl100k token count identical to tiktoken's: $tt_tokens" ||
    echo "cl100k token counts DIFFER: ours $ours_cl_tokens, tiktoken $tt_tokens"

echo
echo "== compression on held-out text ($(wc -c < "$W/heldout.txt") bytes), vocabulary $VOCAB"
"$TOK" encode --quiet --tokenizer "$W/ours.tok" --out "$W/held" "$W/heldout.txt"
ours_tokens=$(cat "$W"/held/*.manifest.tsv | grep -v '^#' | awk -F'\t' '{print $3 - 1}')
spm_encode --model="$W/spm_id.model" --output_format=id < "$W/heldout.txt" > "$W/held.spm"
spm_tokens=$(wc -w < "$W/held.spm")
spm_encode --model="$W/spm.model" --output_format=id < "$W/heldout.txt" > "$W/held.spm.default"
spm_default_tokens=$(wc -w < "$W/held.spm.default")
held=$(wc -c < "$W/heldout.txt")
ob=$(awk -v b="$held" -v t="$ours_tokens" 'BEGIN {printf "%.4f", b / t}')
sb=$(awk -v b="$held" -v t="$spm_tokens" 'BEGIN {printf "%.4f", b / t}')
printf '%-20s %8s tokens  %s bytes/token\n' "tokenizer" "$ours_tokens" "$ob"
printf '%-20s %8s tokens  %s bytes/token  (identity normalisation, spaces kept)\n' "sentencepiece BPE" "$spm_tokens" "$sb"
printf '%-20s %8s tokens  %s bytes/token  (defaults: NFKC, space runs collapsed: lossy)\n' "sentencepiece BPE" \
    "$spm_default_tokens" "$(awk -v b="$held" -v t="$spm_default_tokens" 'BEGIN {printf "%.4f", b / t}')"
echo "ratio: tokenizer/sentencepiece bytes per token = $(ratio "$ob" "$sb") (goal within 3%: 0.97..1.03 or better)"
