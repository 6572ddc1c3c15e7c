# test_blocks.sh — repeated blocks end to end: a licence header shared by source files is kept
# by the first file in the input order and cut from the others, to the byte; the same with
# --threads 2, with one file a run (the pipeline's way) and on reruns; counts in the summary
# and --json; --block-dedup N and off, --no-dedup, a window size the index was not made with.
. "$(dirname "$0")/../tap.sh"
PP="$CR_BIN/preprocess"
F="$(cd "$(dirname "$0")" && pwd)/fixtures/blocks"
mkdir -p "$T/in"
cp "$F"/a.c "$F"/b.c "$F"/c.c "$T/in/"

# the clean text of the input named NAME in output folder DIR
text_of() {
    for meta in "$1"/*.meta.json; do
        case $(cat "$meta") in *"\"source\":\"$T/in/$2\""*) cat "${meta%.meta.json}.txt"; return ;; esac
    done
    echo "no output for $2 in $1"
}
same_outputs() { # every .txt of two folders, byte for byte
    (cd "$1" && ls *.txt) >"$T/list1"; (cd "$2" && ls *.txt) >"$T/list2"
    cmp -s "$T/list1" "$T/list2" || return 1
    for f in $(cat "$T/list1"); do cmp -s "$1/$f" "$2/$f" || return 1; done
}

"$PP" "$T/in" --out "$T/one" --threads 1 >"$T/one.out" 2>&1
expect_eq "a folder: exit 0" "$?" 0
text_of "$T/one" a.c >"$T/a.txt"
check "the first file keeps its header, to the byte" cmp "$T/a.txt" "$F/a.c"
text_of "$T/one" b.c >"$T/b.txt"
check "the second loses it, and the blank line after it" cmp "$T/b.txt" "$F/b.c.expected"
text_of "$T/one" c.c >"$T/c.txt"
check "the third loses it, up to its own #include" cmp "$T/c.txt" "$F/c.c.expected"
expect_match "the summary counts the cuts" "$(cat "$T/one.out")" \
    "^repeated blocks: 2 cut from 2 documents \\(1181 bytes\\)"
meta_b=$(grep -l "\"source\":\"$T/in/b.c\"" "$T"/one/*.meta.json)
expect_match "the meta file says what was cut" "$(cat "$meta_b")" \
    '"repeated_blocks_cut":1,"repeated_block_bytes_cut":'
check "the block index sits beside the dedup index" test -f "$T/one/.dedup.sqlite-blocks"

"$PP" "$T/in" --out "$T/two" --threads 2 -q
check "--threads 2: the same outputs" same_outputs "$T/one" "$T/two"
"$PP" "$T/in" --out "$T/json" --threads 2 --json >"$T/json.out" 2>/dev/null
expect_eq "--json: the counts" \
    "$($PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["repeated_blocks"]; print(r["cut"], r["documents"], r["bytes"])' "$T/json.out")" \
    "2 2 1181"

# the pipeline's way: one file a run, in the same order; then reruns change nothing
for name in a.c b.c c.c; do "$PP" "$T/in/$name" --out "$T/inc" -q; done
check "one file a run: the same outputs as one run" same_outputs "$T/one" "$T/inc"
"$PP" "$T/in/a.c" --out "$T/inc" -q
"$PP" "$T/in/b.c" --out "$T/inc" -q
check "reruns: a file is never cut by its own earlier run" same_outputs "$T/one" "$T/inc"
# a file that is nothing but the header: nothing is left to write
cp "$F/d.h" "$T/in/d.h"
"$PP" "$T/in/d.h" --out "$T/inc" --near-dup off --json >"$T/d.out" 2>/dev/null
expect_eq "only repeated blocks: exit 0" "$?" 0
expect_eq "only repeated blocks: rejected as repeated_blocks" \
    "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["documents"][0]["reason"])' "$T/d.out")" \
    repeated_blocks
rm "$T/in/d.h"

# the other way round: c.c first keeps the header
for name in c.c a.c; do "$PP" "$T/in/$name" --out "$T/rev" -q; done
expect_eq "c.c first: c.c keeps the header" "$(text_of "$T/rev" c.c | head -2 | tail -1)" \
    " * Copyright (C) The Example Authors."
expect_eq "c.c first: a.c loses it" "$(text_of "$T/rev" a.c | head -1)" "/* a.c: prints a greeting. */"

"$PP" "$T/in" --out "$T/keep2" --block-dedup 2 --threads 1 -q
text_of "$T/keep2" b.c >"$T/k2b.txt"
check "--block-dedup 2: the second file keeps the header too" cmp "$T/k2b.txt" "$F/b.c"
text_of "$T/keep2" c.c >"$T/k2c.txt"
check "--block-dedup 2: the third loses it" cmp "$T/k2c.txt" "$F/c.c.expected"
"$PP" "$T/in" --out "$T/off" --block-dedup off --threads 1 -q
text_of "$T/off" c.c >"$T/offc.txt"
check "--block-dedup off: nothing cut" cmp "$T/offc.txt" "$F/c.c"
check "--block-dedup off: no block index" test ! -e "$T/off/.dedup.sqlite-blocks"
"$PP" "$T/in" --out "$T/nodedup" --no-dedup --threads 1 -q
text_of "$T/nodedup" b.c >"$T/nob.txt"
check "--no-dedup: nothing cut" cmp "$T/nob.txt" "$F/b.c"
check_exit "--block-dedup 0 is a usage error" 2 "$PP" "$T/in" --out "$T/x" --block-dedup 0
check_exit "--block-min-bytes 0 is a usage error" 2 "$PP" "$T/in" --out "$T/x" --block-min-bytes 0
"$PP" "$T/in" --out "$T/one" --block-min-bytes 100 -q 2>"$T/size.err"
expect_eq "another window size than the index's: usage error" "$?" 2
expect_match "... saying which" "$(cat "$T/size.err")" "holds windows of 200 bytes"
# a block index that cannot be opened: an I/O error, nothing written
mkdir -p "$T/bad/.dedup.sqlite-blocks"
"$PP" "$T/in" --out "$T/bad" -q 2>"$T/bad.err"
expect_eq "a block index that is a folder: exit 74" "$?" 74
expect_match "... naming it" "$(cat "$T/bad.err")" "dedup.sqlite-blocks"
expect_eq "... and nothing written" "$(find "$T/bad" -name '*.txt' | wc -l | tr -d ' ')" 0
mkdir -p "$T/junk" && printf 'not a database, just text that goes on for a while....\n%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 >"$T/junk/.dedup.sqlite-blocks"
"$PP" "$T/in" --out "$T/junk" -q 2>/dev/null
expect_eq "a block index that is not SQLite: exit 74" "$?" 74
finish
