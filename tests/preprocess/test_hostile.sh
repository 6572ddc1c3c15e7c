# test_hostile.sh — preprocess against inputs a careless or hostile user gives it: filter values
# that are not finite numbers, FIFOs, devices and folders where files are expected, option
# values out of range (named). Every refusal: one line naming the input or the option, and
# SPEC.md's exit code; the other inputs are still processed.
. "$(dirname "$0")/../tap.sh"
PP="$CR_BIN/preprocess"
cd "$T" || exit 1

words() { # a paragraph that passes the default filters
    i=0
    while [ $i -lt 12 ]; do
        printf 'The %s paragraph talks about rivers, towns and the people who live along them. ' "$1"
        i=$((i + 1))
    done
    printf '\n\nA second paragraph about %s follows, with plain words and a full stop.\n' "$1"
}
words first >good.txt

# ---- --filters values: nan, inf, negative are refused, naming the line ----
for value in nan NaN inf -inf infinity 1e999 -0.5; do
    printf '# a filters file\nmin_words 3\nmax_symbol_ratio %s\n' "$value" >f.conf
    "$PP" good.txt --out out-f --filters f.conf 2>f.err
    expect_eq "--filters max_symbol_ratio $value: usage error (2)" "$?" 2
    expect_match "  names the file, the line and the value" "$(cat f.err)" \
        "^preprocess: filters f.conf:3: bad value \"$value\" for max_symbol_ratio$"
done
check "a refused filters file writes nothing" test ! -e out-f
printf 'min_words 3\n' >ok.conf
"$PP" good.txt --out out-ok --filters ok.conf -q
expect_eq "a finite value is still accepted" "$?" 0
"$PP" good.txt --out out-fd --filters "$T" 2>fd.err
expect_eq "--filters naming a folder: usage error, not an empty file" "$?" 2
expect_match "  says so" "$(cat fd.err)" "filters .*: not a regular file"
rm -f ff && mkfifo ff
timeout 10 "$PP" good.txt --out out-ff --filters ff 2>ff.err
expect_eq "--filters naming a FIFO: usage error, without waiting for a writer" "$?" 2

# ---- inputs that are not regular files: a clear refusal (65), the others processed ----
timeout 10 "$PP" ff /dev/zero good.txt --out out-in --json >in.json 2>in.err
expect_eq "a FIFO and /dev/zero among the inputs: exit 65 (bad input), not 66" "$?" 65
expect_match "  the FIFO is named as not a regular file" "$(cat in.err)" "^preprocess: ff: not a regular file \(a FIFO\)$"
expect_match "  /dev/zero is named as not a regular file" "$(cat in.err)" "^preprocess: /dev/zero: not a regular file \(a device\)$"
check "  no \"no such file\" for files that exist" sh -c '! grep -q "no such file" in.err'
expect_eq "  the good input is still kept" "$(ls out-in | grep -c '\.txt$')" 1
timeout 10 "$PP" ff missing.txt --out out-miss 2>miss.err
expect_eq "a missing input still wins over a FIFO: 66" "$?" 66
expect_match "  and is still named as missing" "$(cat miss.err)" "missing.txt: no such file or folder"

# ---- option values out of range name the option ----
expect_eq "--threads 0 names the option" "$("$PP" --threads 0 --out x good.txt 2>&1)" \
    "preprocess: --threads: 0 is out of range (1..64)"
expect_eq "--min-words -1 names the option" "$("$PP" --min-words -1 --out x good.txt 2>&1)" \
    "preprocess: --min-words: -1 is out of range (0..1000000000)"
expect_eq "--near-dup 2 names the option" "$("$PP" --near-dup 2 --out x good.txt 2>&1)" \
    "preprocess: --near-dup: 2 is out of range (0..1)"
expect_eq "--max-size 0 (it would mean no limit) is refused, named" \
    "$("$PP" --max-size 0 --out x good.txt 2>&1)" "preprocess: --max-size: 0 is out of range (more than 0)"

finish
