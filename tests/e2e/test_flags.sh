# test_flags.sh — one command-line shape for the five programs (docs/ARCHITECTURE.md, "Command
# lines"): -h/--help and -V/--version everywhere; -o is --out, where a stage writes; -q is
# --quiet, errors only; an option a subcommand does not take is refused with exit 2 and one
# line that names it.
. "$(dirname "$0")/../tap.sh"
B=$CR_BIN

for p in crawler preprocess tokenizer trainer orchestrator; do
    check_exit "$p --help: exit 0" 0 "$B/$p" --help
    check_exit "$p -h: exit 0" 0 "$B/$p" -h
    expect_eq "$p --version" "$("$B/$p" --version)" "$p 0.1.0"
    expect_eq "$p -V" "$("$B/$p" -V)" "$p 0.1.0"
done
for c in train generate eval info bench; do
    expect_match "trainer $c -h prints the usage" "$("$B/trainer" $c -h)" "^usage: trainer"
done
for c in train encode decode import export info; do
    expect_match "tokenizer $c -h prints the usage" "$("$B/tokenizer" $c -h)" "^usage: tokenizer"
done

# ---- -o is --out: the folder a stage writes (a file for a command that writes one) ----
mkdir -p "$T/in"
printf 'First paragraph of a note with enough words to pass the filters of preprocess.\n\nA second paragraph, with more words again, so that the note is kept as a document.\n' >"$T/in/note.txt"
"$B/preprocess" -q --filters none -o "$T/clean" "$T/in/note.txt"
expect_eq "preprocess -o DIR writes the document into DIR" "$(ls "$T/clean" | grep -c '\.txt$')" 1
"$B/tokenizer" train -q --vocab-size 300 --min-frequency 1 -o "$T/tok" "$T/clean"
check "tokenizer train -o FILE writes the tokenizer file" test -f "$T/tok"
out=$("$B/tokenizer" encode -q --tokenizer "$T/tok" -o "$T/tokens" "$T/clean" 2>&1)
expect_eq "tokenizer encode -o DIR writes shards into DIR" "$(ls "$T/tokens" | grep -c '\.bin$')" 1
expect_eq "tokenizer encode -q: nothing on stdout or stderr" "$out" ""
mkdir -p "$T/shards"
$PY tests/trainer/mkshard.py "$T/shards/a.bin" 4000 64 1
out=$("$B/trainer" train -q --data "$T/shards" -o "$T/models" --layers 1 --channels 16 --heads 2 \
    --seq-len 8 --steps 1 --val-every 0 --threads 1 2>&1)
check "trainer train -o DIR writes its checkpoint into DIR" test -f "$T/models/model_00000001.bin"
expect_eq "trainer train -q: nothing on stderr" "$out" ""
expect_eq "trainer info -q: errors only" "$("$B/trainer" info -q "$T/models" 2>&1 >/dev/null)" ""
# -o stands for --out: past the "--out is required" check, the crawler stops at the seed
check_exit "crawler -o DIR is --out (then: no valid seed, 65)" 65 \
    "$B/crawler" -q --seeds "ftp://example.com/" -o "$T/raw"

# ---- an option a command does not take: refused, exit 2, one line naming it ----
check_exit "trainer info --lr 3: exit 2" 2 "$B/trainer" info --lr 3 "$T/models"
expect_eq "  says which option and which command" "$("$B/trainer" info --lr 3 "$T/models" 2>&1)" \
    "trainer: info does not take --lr (see trainer --help)"
check_exit "trainer generate --data: exit 2" 2 "$B/trainer" generate --model "$T/models" --data "$T/shards"
check_exit "trainer eval --resume: exit 2" 2 "$B/trainer" eval --model "$T/models" --data "$T/shards" --resume
check_exit "trainer bench --out: exit 2" 2 "$B/trainer" bench --out "$T/x"
check_exit "trainer info --precision: exit 2" 2 "$B/trainer" info --precision fp32 "$T/models"
check_exit "tokenizer export --threads: exit 2" 2 "$B/tokenizer" export --tokenizer "$T/tok" --threads 2 --hf "$T/x.json"
expect_eq "  says which option and which command" \
    "$("$B/tokenizer" export --tokenizer "$T/tok" --threads 2 --hf "$T/x.json" 2>&1)" \
    "tokenizer: export does not take --threads (see tokenizer --help)"
check "  and writes nothing" test ! -e "$T/x.json"
check_exit "tokenizer decode --json: exit 2" 2 "$B/tokenizer" decode --tokenizer "$T/tok" --json "$T/tokens"
check_exit "tokenizer info --vocab-size: exit 2" 2 "$B/tokenizer" info --vocab-size 3 "$T/tok"
expect_eq "an unknown option is named" "$("$B/trainer" train --frobnicate 2>&1)" \
    "trainer: unknown option --frobnicate (see trainer --help)"
expect_eq "a missing value is named" "$("$B/trainer" train --lr 2>&1)" \
    "trainer: --lr needs a value (see trainer --help)"
expect_eq "a flag given a value is refused" "$("$B/tokenizer" info --json=yes "$T/tok" 2>&1)" \
    "tokenizer: --json takes no value (see tokenizer --help)"
expect_eq "crawler: an unknown short option is not called a missing value" \
    "$("$B/crawler" --seeds x --out y -x 2>&1)" "crawler: unknown option -x (see crawler --help)"
expect_eq "preprocess: an unknown option in one line" "$("$B/preprocess" -o "$T/c2" --frobnicate x 2>&1)" \
    "preprocess: unknown option --frobnicate (see preprocess --help)"
check_exit "  exit 2" 2 "$B/preprocess" -o "$T/c2" --frobnicate x

finish
