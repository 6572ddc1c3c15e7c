# test_hostile.sh — the tokenizer against inputs a careless or hostile user gives it: a shard
# on standard input that is not one (checked from its header, streamed, nothing copied to
# /tmp), a decode killed half way (no temporary file left), folders, FIFOs and devices where a
# file is expected, sidecars named on the command line, a tokenizer file whose pattern does not
# compile, range errors that name their option. Every refusal: one line, SPEC.md's exit code.
. "$(dirname "$0")/../tap.sh"
TOK="$CR_BIN/tokenizer"
cd "$T" || exit 1

mkdir -p corpus docs tmp
for i in 1 2 3 4 5 6; do
    printf 'Document %s says the quick brown fox jumps over the lazy dog, again and again.\n' "$i" >"corpus/d$i.txt"
done
"$TOK" train --quiet --vocab-size 300 -o tok corpus || not_ok "a tokenizer to work with"
"$TOK" encode --quiet --tokenizer tok --out shards corpus || not_ok "a shard to work with"
shard=$(ls shards/*.bin | head -1)

# ---- decode -: the header first, then a stream; nothing stored in TMPDIR ----
start=$(date +%s)
TMPDIR="$T/tmp" timeout 10 "$TOK" decode --tokenizer tok - </dev/zero >zero.out 2>zero.err
expect_eq "decode - < /dev/zero: exit 65 (bad magic), not a copy of the stream" "$?" 65
check "decode - < /dev/zero: refused at once ($(($(date +%s) - start)) s)" test $(($(date +%s) - start)) -le 3
expect_match "decode - < /dev/zero: says why" "$(cat zero.err)" "^tokenizer: shard standard input: bad magic 0"
expect_eq "decode -: nothing written to TMPDIR" "$(ls -A tmp | wc -l | tr -d ' ')" 0
head -c 100 "$shard" | "$TOK" decode --tokenizer tok - >/dev/null 2>short.err
expect_eq "decode - of 100 bytes: exit 65 (truncated header)" "$?" 65
size=$(wc -c <"$shard")
head -c $((size - 2)) "$shard" | "$TOK" decode --tokenizer tok - >/dev/null 2>trunc.err
expect_eq "decode - of a stream one token short: exit 65" "$?" 65
expect_match "  and says so" "$(cat trunc.err)" "truncated: header says"
cat "$shard" "$shard" | "$TOK" decode --tokenizer tok - >/dev/null 2>long.err
expect_eq "decode - of a stream longer than its header says: exit 65" "$?" 65
"$TOK" decode --tokenizer tok --no-special - <"$shard" >stdin.out
"$TOK" decode --tokenizer tok --no-special "$shard" >file.out
check "decode - streams the same bytes as decode FILE" cmp stdin.out file.out
mkfifo pipe
cat "$shard" >pipe &
"$TOK" decode --tokenizer tok --no-special pipe >pipe.out 2>pipe.err
wait
check "decode of a named pipe reads it as a stream" cmp pipe.out file.out

# A decode -o killed while it waits for the rest of its input: no temporary file left.
mkdir -p out
for sig in TERM:15 HUP:1; do # (a background job ignores SIGINT: sh sets it so)
    number=${sig#*:}
    sig=${sig%:*}
    rm -f fifo && mkfifo fifo
    "$TOK" decode --tokenizer tok -o out/decoded.txt - <fifo &
    pid=$!
    exec 9>fifo
    head -c 2000 "$shard" >&9
    wait_for 5 sh -c 'ls out | grep -q "decoded.txt.tmp."'
    seen=$(ls out | grep -c 'decoded.txt.tmp.')
    kill -$sig $pid
    wait $pid
    status=$?
    exec 9>&-
    expect_eq "decode -o killed by SIG$sig: its temporary file existed while it ran" "$seen" 1
    expect_eq "decode -o killed by SIG$sig: dies of the signal" "$status" $((128 + number))
    expect_eq "decode -o killed by SIG$sig: no temporary file left" "$(ls -A out | wc -l | tr -d ' ')" 0
done

# ---- where a file is expected: folders, FIFOs, devices ----
"$TOK" decode --tokenizer tok shards >/dev/null 2>dir.err
expect_eq "decode of a folder: usage error (2)" "$?" 2
expect_match "  says it is a folder" "$(cat dir.err)" "^tokenizer: decode reads one shard file \(or -\): shards is a folder$"
timeout 10 "$TOK" decode --tokenizer tok /dev/zero >/dev/null 2>devzero.err
expect_eq "decode /dev/zero: read as a stream, bad magic, exit 65" "$?" 65
rm -f fifo && mkfifo fifo
timeout 10 "$TOK" encode --quiet --tokenizer tok --out enc fifo 2>fifo.err
expect_eq "encode of a FIFO: exit 65, without waiting for a writer" "$?" 65
expect_match "  says it is not a regular file" "$(cat fifo.err)" "fifo: not a regular file \(a FIFO\)"
timeout 10 "$TOK" encode --quiet --tokenizer tok --out enc /dev/null 2>null.err
expect_eq "encode of /dev/null: exit 65 (a device)" "$?" 65
check "encode of a FIFO or a device writes no shard" test ! -e enc
printf '{"url": "x"}\n' >docs/page.meta.json
"$TOK" encode --quiet --tokenizer tok --out enc docs/page.meta.json 2>meta.err
expect_eq "encode of a named *.meta.json: exit 65, not \"0 documents\"" "$?" 65
expect_match "  names the sidecar" "$(cat meta.err)" "docs/page.meta.json: a metadata sidecar, not a document"
"$TOK" encode --tokenizer tok --out enc docs >sidecars.out 2>sidecars.err
expect_eq "encode of a folder with only sidecars: exit 66 (no document)" "$?" 66
expect_match "  says which folder gave nothing" "$(cat sidecars.err)" "docs: no document in this folder"
mkdir -p empty
check_exit "train on an empty folder: exit 66" 66 "$TOK" train --vocab-size 300 -o tok2 empty

# ---- a tokenizer file whose pattern does not compile: bad data (65), not usage (2) ----
sed 's/^pattern .*/pattern (unclosed[/' tok >badpattern
for cmd in "info badpattern" "encode --tokenizer badpattern --out enc2 corpus" \
    "decode --tokenizer badpattern $shard" "export --tokenizer badpattern --hf hf.json"; do
    # shellcheck disable=SC2086
    "$TOK" $cmd >/dev/null 2>pattern.err
    expect_eq "tokenizer $cmd: exit 65" "$?" 65
done
expect_match "the error names the file and line, and PCRE2's reason" "$(cat pattern.err)" \
    "^tokenizer: badpattern:[0-9]+: pattern does not compile: "
check_exit "--pattern that does not compile on the command line: still a usage error" 2 \
    "$TOK" train --vocab-size 300 --pattern '(' -o tok3 corpus

# ---- range errors name their option ----
expect_eq "--threads 0 names the option" "$("$TOK" encode --threads 0 --tokenizer tok --out x corpus 2>&1)" \
    "tokenizer: --threads: 0 is out of range (1..256)"
expect_eq "--vocab-size 0 names the option" "$("$TOK" train --vocab-size 0 -o x corpus 2>&1)" \
    "tokenizer: --vocab-size: 0 is out of range (1..16777216)"
expect_eq "--min-frequency x names the option" "$("$TOK" train --min-frequency x --vocab-size 300 -o x corpus 2>&1)" \
    "tokenizer: --min-frequency: 'x' is not a whole number"


# ---- an output named where a folder is: refused before any work ----
mkdir -p outdir
check_exit "train -o FOLDER: usage error (2) before training" 2 "$TOK" train --vocab-size 300 -o outdir corpus
check_exit "decode -o FOLDER: usage error (2)" 2 "$TOK" decode --tokenizer tok -o outdir "$shard"
check_exit "export --hf FOLDER: usage error (2)" 2 "$TOK" export --tokenizer tok --hf outdir
ln -s loop-a loop-b && ln -s loop-b loop-a
check_exit "encode of a symlink loop: 66 (nothing there), not an I/O error" 66 \
    "$TOK" encode --quiet --tokenizer tok --out enc-loop loop-a

# ---- ids from files are bounded: one hostile id must not allocate gigabytes ----
$PY -c '
import base64
for i in range(256):
    print(base64.b64encode(bytes([i])).decode(), i)
print("YWI= 2000000000")' >huge-rank.tiktoken
timeout 20 "$TOK" import --tiktoken huge-rank.tiktoken --pattern gpt2 -o imported 2>huge.err
expect_eq "a ranks file with rank 2,000,000,000: exit 65 at once" "$?" 65
expect_match "  names the line and the limit" "$(cat huge.err)" "huge-rank.tiktoken:257: token id 2000000000 is too large \(at most 16777215\)"
sed 's/^special [0-9]* /special 2000000000 /' tok >bigspecial
timeout 20 "$TOK" info bigspecial >/dev/null 2>&1
expect_eq "a tokenizer file with special id 2,000,000,000: exit 65 at once" "$?" 65

finish
