# test_cli.sh — the tokenizer command end to end: training determinism, exact round trips
# of awkward bytes, shards identical for any thread count, the pipeline's batch behaviour
# (--train-if-missing, shard names stable on re-run, no document tokenized twice), and bad
# input: every error is one line with SPEC.md's exit code, and no partial shard is left.
. "$(dirname "$0")/../tap.sh"
TOK="$CR_BIN/tokenizer"
here=$(cd "$(dirname "$0")" && pwd)

check "tokenizer --help exits 0" "$TOK" --help
expect_match "--help lists every command" "$("$TOK" --help)" "train.*encode|decode|import|export|info"
for option in --vocab-size --pattern --special --min-frequency --threads --out --shard-tokens \
    --train-if-missing --train-from --no-special --hf --tiktoken --gpt2 --json --progress --quiet --verbose; do
    "$TOK" --help | grep -q -- "$option" || not_ok "--help documents $option"
done
expect_eq "--version" "$("$TOK" --version)" "tokenizer 0.1.0"
check_exit "no command is a usage error" 2 "$TOK"
check_exit "unknown command is a usage error" 2 "$TOK" frobnicate
check_exit "bad option is a usage error" 2 "$TOK" train --bogus

# A corpus: the project's own sources and docs plus generated awkward documents.
mkdir -p "$T/corpus"
cat "$here"/../../lib/*.c "$here"/../../lib/*.h > "$T/corpus/lib.txt"
cat "$here"/../../tokenizer/*.c > "$T/corpus/tokenizer.txt"
$PY "$here/make_corpus.py" "$T/corpus/varied"

# ---- train ----
check "train 1 thread" "$TOK" train --quiet --vocab-size 1200 --threads 1 -o "$T/t1" "$T/corpus"
check "train 2 threads" "$TOK" train --quiet --vocab-size 1200 --threads 2 -o "$T/t2" "$T/corpus"
check "training is bit for bit the same for 1 and 2 threads" cmp "$T/t1" "$T/t2"
info=$("$TOK" info "$T/t1")
expect_match "info: vocab size" "$info" "vocab size: +1200 \(1199 ordinary, 1 special\)"
expect_match "info: end of text is the last id" "$info" "end of text: +1199 <\|endoftext\|>"
expect_match "info: longest token" "$info" "longest token: [0-9]+, [0-9]+ bytes"
json=$("$TOK" info --json "$T/t1")
expect_match "info --json" "$json" '"vocab_size":1200'
check "train with the gpt2 pattern and two specials" "$TOK" train --quiet --vocab-size 700 \
    --pattern gpt2 --special '<|endoftext|>' --special '<|pad|>' -o "$T/t3" "$T/corpus"
expect_match "specials come last, in order" "$("$TOK" info "$T/t3")" "special token: 699 <\|pad\|>"

out=$("$TOK" train --vocab-size 300 -o "$T/tiny" "$T/corpus" 2>&1)
check_exit "vocab smaller than 256 + specials: exit 2" 2 "$TOK" train --vocab-size 256 -o "$T/x" "$T/corpus"
expect_match "  with a one-line message" "$("$TOK" train --vocab-size 256 -o "$T/x" "$T/corpus" 2>&1)" \
    "^tokenizer: vocab size 256 is smaller than 256 bytes \+ 1 special token$"
: > "$T/empty.txt"
check_exit "empty corpus: exit 65" 65 "$TOK" train --vocab-size 500 -o "$T/x" "$T/empty.txt"
check_exit "missing corpus: exit 66" 66 "$TOK" train --vocab-size 500 -o "$T/x" "$T/nope"
check_exit "bad pattern: exit 2" 2 "$TOK" train --vocab-size 500 --pattern '(' -o "$T/x" "$T/corpus"
[ ! -e "$T/x" ] && ok "failed training writes no tokenizer" || not_ok "failed training writes no tokenizer"

# ---- encode / decode: byte-exact round trips ----
mkdir -p "$T/odd"
printf 'caf\303\251 \377\376 invalid \300\200 utf-8 \355\240\200 surrogate\n' > "$T/odd/invalid.txt"
printf 'nul\000bytes\000\000in\000the middle\000' > "$T/odd/nul.txt"
printf 'windows\r\nline\r\nends\r\n\r\n' > "$T/odd/crlf.txt"
$PY -c 'import sys; sys.stdout.write("word " * 400000 + "x" * 300000 + " " * 200000 + "\n")' > "$T/odd/longline.txt"
$PY -c 'import os, sys; sys.stdout.buffer.write(os.urandom(0) + bytes(range(256)) * 64)' > "$T/odd/allbytes.txt"
: > "$T/odd/empty.txt"
for f in "$T"/odd/* "$T"/corpus/varied/doc011.txt "$T"/corpus/lib.txt; do
    name=$(basename "$f")
    rm -rf "$T/rt"
    "$TOK" encode --quiet --tokenizer "$T/t1" --out "$T/rt" "$f" &&
        "$TOK" decode --tokenizer "$T/t1" --no-special -o "$T/rt.out" "$T"/rt/*.bin
    if cmp -s "$f" "$T/rt.out"; then ok "round trip byte for byte: $name"; else not_ok "round trip byte for byte: $name"; fi
done
first=$($PY - "$T"/rt/*.bin <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
print(struct.unpack("<I", data[1024:1026] + b"\0\0")[0])
EOF
)
expect_eq "a document starts with the end-of-text token" "$first" 1199
expect_match "decode writes specials by name by default" \
    "$("$TOK" decode --tokenizer "$T/t1" "$T"/rt/*.bin | head -c 13)" "^<\|endoftext\|>$"
cat "$T"/rt/*.bin | "$TOK" decode --tokenizer "$T/t1" --no-special - > "$T/stdin.out"
check "decode reads a shard on standard input" cmp "$T/stdin.out" "$T/corpus/lib.txt"

# ---- thread count and shard size do not change the tokens ----
"$TOK" encode --quiet --tokenizer "$T/t1" --out "$T/e1" --threads 1 "$T/corpus" "$T/odd"
"$TOK" encode --quiet --tokenizer "$T/t1" --out "$T/e2" --threads 2 "$T/corpus" "$T/odd"
"$TOK" encode --quiet --tokenizer "$T/t1" --out "$T/e3" --threads 2 --shard-tokens 50000 "$T/corpus" "$T/odd"
check "shards are identical for 1 and 2 threads" diff -r "$T/e1" "$T/e2"
n3=$(ls "$T"/e3/*.bin | wc -l)
[ "$n3" -gt 2 ] && ok "--shard-tokens splits into $n3 shards" || not_ok "--shard-tokens splits ($n3 shards)"
all1=$($PY "$here/shard_ids.py" 1199 "$T"/e1/*.bin | md5sum)
all3=$($PY "$here/shard_ids.py" 1199 "$T"/e3/*.bin | md5sum)
expect_eq "split shards hold the same tokens in the same order" "$all3" "$all1"
docs=$(ls "$T"/corpus/*.txt "$T"/corpus/varied/* "$T"/odd/* | wc -l)
distinct=$(cat "$T"/corpus/*.txt "$T"/corpus/varied/* "$T"/odd/* >/dev/null;
    sha256sum "$T"/corpus/*.txt "$T"/corpus/varied/* "$T"/odd/* | cut -c1-64 | sort -u | wc -l)
json=$("$TOK" encode --json --tokenizer "$T/t1" --out "$T/e4" "$T/corpus" "$T/odd")
expect_match "encode --json reports documents, tokens, bytes/token, MB/s" "$json" \
    "\"documents\":$distinct,\"skipped\":$((docs - distinct)),.*\"tokens\":[0-9]+,.*\"bytes_per_token\":[0-9.]+,\"mb_per_s\":[0-9.]+"
text=$("$TOK" encode --tokenizer "$T/t1" --out "$T/e5" "$T/corpus")
expect_match "encode prints documents, bytes, tokens, bytes/token, MB/s" "$text" \
    "^[0-9]+ documents \(0 skipped\), [0-9]+ bytes, [0-9]+ tokens, [0-9.]+ bytes/token, [0-9.]+ MB/s"

# A long document is encoded in parts on several threads: the same ids as in one piece. The
# same regex wrapped in a group is not recognised as built-in, so that copy is never split.
$PY -c 'import sys; sys.stdout.write(open(sys.argv[1]).read() * 12)' "$T/corpus/lib.txt" > "$T/long.txt"
sed 's/^pattern \(.*\)$/pattern (?:\1)/' "$T/t1" > "$T/t1-whole"
"$TOK" encode --quiet --threads 2 --tokenizer "$T/t1" --out "$T/parts" "$T/long.txt"
"$TOK" encode --quiet --threads 2 --tokenizer "$T/t1-whole" --out "$T/whole" "$T/long.txt"
expect_eq "a long document split into parts gives the ids of the whole" \
    "$(cat "$T"/parts/*.bin | md5sum)" "$(cat "$T"/whole/*.bin | md5sum)"
expect_eq "  and its manifest line" "$(cut -f1-3 "$T"/parts/*.tsv)" "$(cut -f1-3 "$T"/whole/*.tsv)"

# ---- the pipeline: batches into one tokens/ folder ----
W="$T/work"
mkdir -p "$W/clean" "$W/batch2"
cp "$T"/corpus/varied/doc0[0-2]*.txt "$W/clean/"
cp "$T"/corpus/lib.txt "$W/clean/"
cp "$T"/corpus/varied/doc03*.txt "$W/batch2/"
check "encode --train-if-missing trains the first batch's vocabulary" \
    "$TOK" encode --quiet --tokenizer "$W/tokens/tokenizer" --train-if-missing --vocab-size 600 \
    --out "$W/tokens" "$W"/clean/*.txt
[ -f "$W/tokens/tokenizer" ] && ok "the tokenizer file exists" || not_ok "the tokenizer file exists"
expect_match "  with the vocabulary asked for" "$("$TOK" info "$W/tokens/tokenizer")" "vocab size: +600 "
before=$(ls "$W/tokens" | sort)
sums=$(md5sum "$W"/tokens/*.bin)
"$TOK" encode --quiet --tokenizer "$W/tokens/tokenizer" --train-if-missing --vocab-size 600 \
    --out "$W/tokens" "$W"/clean/*.txt
expect_eq "re-running the same batch rewrites the same shard, adds nothing" "$(ls "$W/tokens" | sort)" "$before"
expect_eq "  with the same bytes" "$(md5sum "$W"/tokens/*.bin)" "$sums"
"$TOK" encode --quiet --tokenizer "$W/tokens/tokenizer" --out "$W/tokens" "$W"/batch2/*.txt
nbin=$(ls "$W"/tokens/*.bin | wc -l)
expect_eq "a new batch adds a new shard" "$nbin" 2
# a batch that repeats documents of earlier batches (a retry after a partial failure)
json=$("$TOK" encode --json --tokenizer "$W/tokens/tokenizer" --out "$W/tokens" \
    "$W"/clean/doc001.txt "$W"/batch2/doc030.txt "$T"/corpus/tokenizer.txt)
expect_match "documents of earlier runs are skipped" "$json" '"documents":1,"skipped":2'
total=$(cat "$W"/tokens/*.manifest.tsv | grep -vc '^#')
unique=$(cat "$W"/tokens/*.manifest.tsv | grep -v '^#' | cut -f1 | sort -u | wc -l)
expect_eq "the manifests list every document once (no document tokenized twice)" "$unique" "$total"
expect_eq "  and every distinct input document is listed" "$total" \
    "$(sha256sum "$W"/clean/*.txt "$W"/batch2/*.txt "$T"/corpus/tokenizer.txt | cut -c1-64 | sort -u | wc -l)"
manifest_tokens=$(cat "$W"/tokens/*.manifest.tsv | grep -v '^#' | awk -F'\t' '{s += $3} END {print s}')
shard_tokens=$($PY -c '
import struct, sys
print(sum(struct.unpack("<3i", open(p, "rb").read(12))[2] for p in sys.argv[1:]))' "$W"/tokens/*.bin)
expect_eq "manifest token counts add up to the shards' counts" "$manifest_tokens" "$shard_tokens"

# two batches sharing documents, encoded at the same time into one folder
"$TOK" encode --quiet --tokenizer "$T/t1" --out "$T/race" "$T/corpus/varied" "$T/corpus/lib.txt" &
race_pid=$!
"$TOK" encode --quiet --tokenizer "$T/t1" --out "$T/race" "$T/corpus/varied" "$T/odd" &
wait "$race_pid"
wait $!
race_total=$(cat "$T"/race/*.manifest.tsv | grep -vc '^#')
race_unique=$(cat "$T"/race/*.manifest.tsv | grep -v '^#' | cut -f1 | sort -u | wc -l)
expect_eq "concurrent runs into one folder tokenize each document once" "$race_total" "$race_unique"
expect_eq "  and together cover every distinct document" "$race_unique" \
    "$(sha256sum "$T"/corpus/varied/* "$T/corpus/lib.txt" "$T"/odd/* | cut -c1-64 | sort -u | wc -l)"

# --train-from: the vocabulary comes from a whole folder, not just the (small) batch
$PY -c 'print("{\"source\": \"%s\"}" % ("zqxv " * 2000))' > "$T/corpus/varied/doc000.meta.json"
"$TOK" encode --quiet --tokenizer "$T/w2/tokenizer" --train-if-missing --vocab-size 900 \
    --train-from "$T/corpus" --out "$T/w2" "$T/corpus/varied/doc000.txt"
rm "$T/corpus/varied/doc000.meta.json"
"$TOK" train --quiet --vocab-size 900 -o "$T/t900" "$T/corpus"
check "--train-from trains on the *.txt files of the folder given" cmp "$T/w2/tokenizer" "$T/t900"

# ---- bad input ----
check_exit "missing tokenizer: exit 66" 66 "$TOK" encode --tokenizer "$T/none" --out "$T/o" "$T/corpus"
msg=$("$TOK" encode --tokenizer "$T/none" --out "$T/o" "$T/corpus" 2>&1)
expect_eq "  one line on stderr" "$(printf '%s\n' "$msg" | wc -l)" 1
head -c 3000 "$T/t1" > "$T/truncated"
check_exit "truncated tokenizer: exit 65" 65 "$TOK" encode --tokenizer "$T/truncated" --out "$T/o" "$T/corpus"
expect_match "  naming the file and line" "$("$TOK" info "$T/truncated" 2>&1)" "^tokenizer: .*truncated:[0-9]+: "
printf 'not a tokenizer\n' > "$T/garbage"
check_exit "garbage tokenizer: exit 65" 65 "$TOK" info "$T/garbage"
awk 'NR==20 {print "IQ== 5"; next} {print}' "$T/t1" > "$T/duprank"
check_exit "tokenizer with a duplicate rank: exit 65" 65 "$TOK" info "$T/duprank"
printf 'IQ== 0\nIg== 0\n' > "$T/dup.tiktoken"
check_exit "import of ranks with a duplicate rank: exit 65" 65 "$TOK" import --tiktoken "$T/dup.tiktoken" --pattern gpt4 -o "$T/x"
expect_match "  says which" "$("$TOK" import --tiktoken "$T/dup.tiktoken" --pattern gpt4 -o "$T/x" 2>&1)" "duplicate rank 0"
"$TOK" export --tokenizer "$T/t1" --tiktoken "$T/t1.tiktoken"
"$TOK" import --quiet --tiktoken "$T/t1.tiktoken" --pattern gpt4 -o "$T/no-eot"
check_exit "encoding with a tokenizer without end-of-text token: exit 65" 65 \
    "$TOK" encode --tokenizer "$T/no-eot" --out "$T/o" "$T/corpus/lib.txt"
expect_match "  says so" "$("$TOK" encode --tokenizer "$T/no-eot" --out "$T/o" "$T/corpus/lib.txt" 2>&1)" \
    "no end-of-text special token"
printf '{"a": 0, "b": ' > "$T/broken.json"
printf '#version: 0.2\n' > "$T/vocab.bpe"
check_exit "import --gpt2 of a broken encoder.json: exit 65" 65 \
    "$TOK" import --gpt2 "$T/broken.json" "$T/vocab.bpe" -o "$T/x"
# One line with a huge id must not make the reader allocate gigabytes (found by
# tests/fuzz/fuzz_tiktoken: 16 bytes took 2 GiB and minutes): ids stop at 2^24 - 1.
printf 'IQ== 2147483646\n' > "$T/huge-rank.tiktoken"
check_exit "import of a rank of 2^31-2: exit 65" 65 \
    "$TOK" import --tiktoken "$T/huge-rank.tiktoken" --pattern gpt4 -o "$T/x"
expect_match "  says the id is too large" \
    "$("$TOK" import --tiktoken "$T/huge-rank.tiktoken" --pattern gpt4 -o "$T/x" 2>&1)" \
    "token id 2147483646 is too large \\(at most 16777215\\)"
printf '{"a": 2147483646}' > "$T/huge-id.json"
check_exit "import --gpt2 of an id of 2^31-2: exit 65" 65 \
    "$TOK" import --gpt2 "$T/huge-id.json" "$T/vocab.bpe" -o "$T/x"
expect_match "  says the id is too large" \
    "$("$TOK" import --gpt2 "$T/huge-id.json" "$T/vocab.bpe" -o "$T/x" 2>&1)" "too large"
printf '{"line\\nbreak": 300}' > "$T/newline-key.json"
check_exit "import --gpt2 of a key with a line break: exit 65, not 2" 65 \
    "$TOK" import --gpt2 "$T/newline-key.json" "$T/vocab.bpe" -o "$T/x"
head -n 100 "$T/t1.tiktoken" > "$T/partial.tiktoken"
check_exit "import of ranks lacking single bytes: exit 65" 65 \
    "$TOK" import --tiktoken "$T/partial.tiktoken" --pattern gpt4 -o "$T/x"
check_exit "missing input document: exit 66" 66 "$TOK" encode --tokenizer "$T/t1" --out "$T/o" "$T/nope.txt"
head -c 2000 "$T"/e1/*.bin > "$T/trunc.bin"
check_exit "truncated shard: exit 65" 65 "$TOK" decode --tokenizer "$T/t1" "$T/trunc.bin"
check_exit "shard with ids outside the vocabulary: exit 65" 65 "$TOK" decode --tokenizer "$T/t3" "$T"/e1/*.bin

# A full disk (a file size limit): exit 74, no partial shard under a final name, no temp file.
rm -rf "$T/full"
(ulimit -f 64; "$TOK" encode --quiet --tokenizer "$T/t1" --out "$T/full" "$T/odd/longline.txt") 2>"$T/full.err"
status=$?
expect_eq "file size limit while writing a shard: exit 74" "$status" 74
expect_match "  one line saying why" "$(cat "$T/full.err")" "^tokenizer: writing .*File too large"
expect_eq "  leaves no file behind (but the run lock)" "$(ls -A "$T/full" | grep -vcx '.encode.lock')" 0

# SIGKILL in the middle: whatever is left under a final name is a complete shard.
$PY -c 'import sys; sys.stdout.write(open(sys.argv[1]).read() * 40)' "$T/corpus/lib.txt" > "$T/big.txt"
"$TOK" encode --quiet --threads 1 --shard-tokens 20000 --tokenizer "$T/t1" --out "$T/killed" "$T/big.txt" &
pid=$!
sleep 0.3
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
bad=0
for f in "$T"/killed/*.bin; do
    [ -e "$f" ] || continue
    "$TOK" decode --tokenizer "$T/t1" "$f" >/dev/null 2>&1 || bad=$((bad + 1))
done
expect_eq "after SIGKILL every shard present is complete" "$bad" 0
"$TOK" encode --quiet --threads 1 --shard-tokens 20000 --tokenizer "$T/t1" --out "$T/killed" "$T/big.txt"
"$TOK" encode --quiet --threads 2 --shard-tokens 20000 --tokenizer "$T/t1" --out "$T/clean-run" "$T/big.txt"
expect_eq "re-running after SIGKILL gives the shards of a clean run" \
    "$(cd "$T/killed" && ls *.bin | xargs md5sum)" "$(cd "$T/clean-run" && ls *.bin | xargs md5sum)"


# A clean/ folder holds <id>.txt and its <id>.meta.json: only the documents are tokenized.
mkdir -p "$T/cleanlike"
printf 'the first document, with some words in it\n' >"$T/cleanlike/a.txt"
printf '{"id":"a","source":"x"}' >"$T/cleanlike/a.meta.json"
printf 'the second document\n' >"$T/cleanlike/b.txt"
printf '{"id":"b","source":"y"}' >"$T/cleanlike/b.meta.json"
"$TOK" train --vocab-size 300 --min-frequency 1 -o "$T/cleanlike.tok" -q "$T/cleanlike"
out=$("$TOK" encode --tokenizer "$T/cleanlike.tok" --out "$T/cleanlike-tokens" "$T/cleanlike" 2>&1)
expect_match "a folder's *.meta.json sidecars are not tokenized" "$out" "^2 documents"

finish
