# test_preprocess.sh — preprocess end to end on the hand-written fixtures: exact text out,
# charsets, kinds, exit codes, rejections and their reasons, atomic outputs, --json.
. "$(dirname "$0")/../tap.sh"
PP="$CR_BIN/preprocess"
F="$(cd "$(dirname "$0")" && pwd)/fixtures"

# the single .txt an output folder holds (fails when there is not exactly one)
one_txt() {
    set -- "$1"/*.txt
    [ $# = 1 ] && [ -f "$1" ] && printf '%s\n' "$1"
}
txt_count() { find "$1" -maxdepth 1 -name '*.txt' | wc -l | tr -d ' '; }
json_field() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

check "--help exits 0" "$PP" --help
expect_match "--help lists every option" "$("$PP" --help)" "--dedup-db.*"
expect_match "--help documents the filters" "$("$PP" --help)" "max_duplicate_lines"
expect_eq "--version" "$("$PP" --version)" "preprocess 0.1.0"
check_exit "no --out is a usage error" 2 "$PP" "$F/article.html"
check_exit "a bad --near-dup is a usage error" 2 "$PP" "$F/article.html" --out "$T/x" --near-dup 1.5

# --- the article page: chrome, cookie banner, sidebar and footer gone, exact text -------------
"$PP" "$F/article.html" --out "$T/art" >"$T/art.out" 2>&1
expect_eq "article: exit 0" "$?" 0
txt=$(one_txt "$T/art")
check "article: text is exactly the article" cmp "$txt" "$F/article.expected.txt"
meta="${txt%.txt}.meta.json"
expect_eq "article: title recorded" "$(json_field "$meta" 'd["title"]')" "How Cheese Ages | The Dairy Times"
expect_eq "article: main region found by <article>" "$(json_field "$meta" 'd["extraction"]')" "article"
expect_eq "article: meta names the source" "$(json_field "$meta" 'd["source"]')" "$F/article.html"
expect_eq "article: filters passed are listed" "$(json_field "$meta" 'd["filters"]["min_words"]["passed"]')" "True"
expect_eq "article: no temporary file left" "$(find "$T/art" -name '*.tmp.*' | wc -l | tr -d ' ')" 0
expect_match "article: summary line" "$(cat "$T/art.out")" "^1 input: 1 kept, 0 rejected, 0 failed"

# idempotent: the same input again rewrites the same file, it is not its own duplicate
cp "$txt" "$T/first.txt"
"$PP" "$F/article.html" --out "$T/art" >/dev/null 2>&1
expect_eq "rerun: exit 0" "$?" 0
expect_eq "rerun: still one document" "$(txt_count "$T/art")" 1
check "rerun: same bytes under the same id" cmp "$txt" "$T/first.txt"

# --- charsets ------------------------------------------------------------------------------
for name in latin1-meta latin1-nometa sjis-meta sjis-nometa; do
    "$PP" "$F/$name.html" --out "$T/$name" --no-dedup -q
    expect_eq "$name: exit 0" "$?" 0
    case $name in latin1*) want=latin1 ;; *) want=sjis ;; esac
    check "$name: text decoded exactly" cmp "$(one_txt "$T/$name")" "$F/$want.expected.txt"
done
expect_eq "latin1 with <meta>: charset from meta" \
    "$(json_field "$(one_txt "$T/latin1-meta" | sed 's/txt$/meta.json/')" 'd["charset"]+" "+d["charset_source"]')" \
    "windows-1252 meta"
expect_eq "latin1 without <meta>: detected" \
    "$(json_field "$(one_txt "$T/latin1-nometa" | sed 's/txt$/meta.json/')" 'd["charset"]+" "+d["charset_source"]')" \
    "windows-1252 detected"
expect_eq "shift_jis without <meta>: detected" \
    "$(json_field "$(one_txt "$T/sjis-nometa" | sed 's/txt$/meta.json/')" 'd["charset"]+" "+d["charset_source"]')" \
    "shift_jis detected"

# a crawled page: the charset only in raw/<id>.meta.json; the id comes from the URL
url="http://127.0.0.1:8080/moscow.html"
rid=$($PY -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:32])' "$url")
mkdir -p "$T/ws/raw"
printf '{"url": "%s", "final_url": "%s", "status": 200, "content_type": "text/html; charset=KOI8-R", "charset": "koi8-r"}\n' \
    "$url" "$url" >"$T/ws/raw/$rid.meta.json"
cp "$F/koi8r.html" "$T/ws/raw/$rid.html"
(cd "$T/ws" && "$PP" "raw/$rid.html" --out clean --filters none -q)
expect_eq "crawled page: exit 0" "$?" 0
check "crawled page: clean/<id> named after the URL" test -f "$T/ws/clean/$rid.txt"
check "crawled page: decoded with the crawler's charset" cmp "$T/ws/clean/$rid.txt" "$F/koi8r.expected.txt"
expect_eq "crawled page: url and charset in the meta" \
    "$(json_field "$T/ws/clean/$rid.meta.json" 'd["url"]+" "+d["charset"]+" "+d["charset_source"]')" \
    "$url koi8-r http"
check "crawled page: the index is a dot file in clean/" test -f "$T/ws/clean/.dedup.sqlite"

# a crawled text/plain page (raw/<id>.txt): Latin-1 per the HTTP header, id from its URL
turl="http://127.0.0.1:8080/notes.txt"
tid=$($PY -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:32])' "$turl")
printf '{"url": "%s", "final_url": "%s", "status": 200, "content_type": "text/plain", "charset": "iso-8859-1", "charset_source": "header"}\n' \
    "$turl" "$turl" >"$T/ws/raw/$tid.meta.json"
printf 'Cr\350me br\373l\351e, na\357ve caf\351.\n' >"$T/ws/raw/$tid.txt"
(cd "$T/ws" && "$PP" "raw/$tid.txt" --out clean --filters none -q)
expect_eq "crawled text/plain: decoded with the header's charset" "$(cat "$T/ws/clean/$tid.txt")" "Crème brûlée, naïve café."

# --- pages with code, broken nesting -------------------------------------------------------
"$PP" "$F/code.html" --out "$T/code" --no-dedup --filters none -q
check "code page: <pre>/<code> verbatim, entities decoded" cmp "$(one_txt "$T/code")" "$F/code.expected.txt"
"$PP" "$F/broken.html" --out "$T/broken" --no-dedup --filters none -q
expect_eq "broken nesting: exit 0" "$?" 0
check "broken nesting: every paragraph recovered" cmp "$(one_txt "$T/broken")" "$F/broken.expected.txt"

# pathological nesting: 100,000 unclosed <div>s and <b>s (the passes must not overflow the stack)
$PY -c 'import sys; sys.stdout.write("<html><body>" + "<div>" * 100000 + "<p>Deep text survives.</p>" + "<b>" * 100000 + "<p>So does this.</p></body></html>")' >"$T/deep.html"
"$PP" "$T/deep.html" --out "$T/deep" --no-dedup --filters none -q
expect_eq "100,000 nested elements: exit 0" "$?" 0
expect_match "100,000 nested elements: text kept" "$(cat "$T/deep"/*.txt 2>/dev/null | tr '\n' ' ')" "Deep text survives.*So does this"

# --- text, Markdown, source ----------------------------------------------------------------
"$PP" "$F/crlf.txt" --out "$T/crlf" --no-dedup --min-words 0 -q
check "CRLF text: LF, blanks collapsed, one blank line" cmp "$(one_txt "$T/crlf")" "$F/crlf.expected.txt"
"$PP" "$F/notes.md" --out "$T/md" --no-dedup --filters none -q
check "Markdown: prose collapsed, code fences and indented code verbatim" cmp "$(one_txt "$T/md")" "$F/notes.md.expected"
"$PP" "$F/hello.c" --out "$T/c" --no-dedup -q
check "C source: byte-exact apart from line ends" cmp "$(one_txt "$T/c")" "$F/hello.c.expected"
expect_eq "C source: kind and language" \
    "$(json_field "$(one_txt "$T/c" | sed 's/txt$/meta.json/')" 'd["kind"]+" "+d["language"]')" "code c"
"$PP" "$F/invalid-utf8.txt" --out "$T/inv" --no-dedup --filters none -q
expect_eq "invalid UTF-8: exit 0" "$?" 0
check "invalid UTF-8: each bad sequence is U+FFFD" cmp "$(one_txt "$T/inv")" "$F/invalid-utf8.expected.txt"
expect_eq "invalid UTF-8: replacements counted" \
    "$(json_field "$(one_txt "$T/inv" | sed 's/txt$/meta.json/')" 'd["invalid_sequences"]')" 4

printf 'A   file with no extension,\r\nnamed on the command line.\n' >"$T/NOTES"
"$PP" "$T/NOTES" --out "$T/noext" --no-dedup --filters none -q
expect_eq "no extension, named: read as text" "$(cat "$T/noext"/*.txt)" "$(printf 'A file with no extension,\nnamed on the command line.')"

# --- bad input -----------------------------------------------------------------------------
$PY -c 'import random,sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(4096)))' >"$T/junk.html"
"$PP" "$T/junk.html" --out "$T/junk" 2>"$T/junk.err" >/dev/null
expect_eq "binary junk .html: exit 65" "$?" 65
expect_match "binary junk .html: one error line naming the file" "$(cat "$T/junk.err")" "^preprocess: .*junk.html: binary data"
expect_eq "binary junk .html: one line only" "$(wc -l <"$T/junk.err" | tr -d ' ')" 1
expect_eq "binary junk .html: nothing written" "$(txt_count "$T/junk")" 0
check "binary junk .html: input kept" test -f "$T/junk.html"

: >"$T/empty.txt"
"$PP" "$T/empty.txt" --out "$T/empty" >"$T/empty.out" 2>&1
expect_eq "empty file: exit 0 (a rejection, not an error)" "$?" 0
expect_match "empty file: reported with its reason" "$(cat "$T/empty.out")" "rejected: empty 1"
expect_eq "empty file: nothing written" "$(txt_count "$T/empty")" 0

"$PP" "$T/missing.txt" --out "$T/miss" 2>"$T/miss.err" >/dev/null
expect_eq "missing input: exit 66" "$?" 66
expect_match "missing input: error line" "$(cat "$T/miss.err")" "^preprocess: .*missing.txt: no such file"

# several inputs: all processed, the most serious failure decides
"$PP" "$F/article.html" "$T/missing.txt" "$T/junk.html" --out "$T/multi" --no-dedup -q 2>/dev/null
expect_eq "several inputs: missing (66) outranks junk (65)" "$?" 66
expect_eq "several inputs: the good one is still written" "$(txt_count "$T/multi")" 1

# a short text fails min_words: reported, exit 0
printf 'Too short to keep.\n' >"$T/short.txt"
"$PP" "$T/short.txt" --out "$T/short" --json >"$T/short.json" 2>/dev/null
expect_eq "short text: exit 0" "$?" 0
expect_eq "short text: rejected by min_words in --json" \
    "$(json_field "$T/short.json" 'd["rejected_by_reason"]["min_words"], d["documents"][0]["reason"]')" "(1, 'min_words')"
printf 'min_words 3\n' >"$T/filters.conf"
"$PP" "$T/short.txt" --out "$T/short2" --filters "$T/filters.conf" -q
expect_eq "filters file lowers min_words" "$(txt_count "$T/short2")" 1
printf 'min_words 3\nno_such_filter 1\n' >"$T/bad.conf"
"$PP" "$T/short.txt" --out "$T/short3" --filters "$T/bad.conf" 2>"$T/bad.err"
expect_eq "filters file: unknown name is a usage error" "$?" 2
expect_match "filters file: error names file and line" "$(cat "$T/bad.err")" "bad.conf:2: unknown filter"

# --- deduplication -------------------------------------------------------------------------
"$PP" "$F/neardup-a.txt" "$F/neardup-b.txt" "$F/article.html" --out "$T/dd" --json >"$T/dd.json" 2>/dev/null
expect_eq "near-duplicate pair: exit 0" "$?" 0
expect_eq "near-duplicate pair: the second is rejected" \
    "$(json_field "$T/dd.json" '[x["status"]+":"+x.get("reason","") for x in d["documents"]]')" \
    "['kept:', 'rejected:near_duplicate', 'kept:']"
expect_eq "near-duplicate pair: names the first" \
    "$(json_field "$T/dd.json" 'd["documents"][1]["duplicate_of"]==d["documents"][0]["id"]')" "True"
"$PP" "$F/neardup-a.txt" "$F/neardup-b.txt" --out "$T/dd-off" --near-dup off -q
expect_eq "--near-dup off keeps both" "$(txt_count "$T/dd-off")" 2

cp "$F/neardup-a.txt" "$T/tomorrow.txt"
"$PP" "$T/tomorrow.txt" --out "$T/dd" --json >"$T/dd2.json" 2>/dev/null
expect_eq "exact duplicate in a second run: exit 0" "$?" 0
expect_eq "exact duplicate in a second run: rejected against the first run" \
    "$(json_field "$T/dd2.json" 'd["documents"][0]["reason"]')" "duplicate"
expect_eq "exact duplicate in a second run: nothing new written" "$(txt_count "$T/dd")" 2
"$PP" "$T/tomorrow.txt" --out "$T/dd3" --dedup-db "$T/shared.sqlite" -q
"$PP" "$F/neardup-a.txt" --out "$T/dd4" --dedup-db "$T/shared.sqlite" -q
expect_eq "--dedup-db is shared across output folders" "$(txt_count "$T/dd4")" 0

# four processes at once on one index (the orchestrator runs stages concurrently): one wins
mkdir -p "$T/race"
for n in 1 2 3 4; do cp "$F/neardup-a.txt" "$T/race/copy$n.txt"; done
pids=""
for n in 1 2 3 4; do
    "$PP" "$T/race/copy$n.txt" --out "$T/race-out" -q & pids="$pids $!"
done
codes=""
for pid in $pids; do wait "$pid"; codes="$codes $?"; done
expect_eq "concurrent processes: all exit 0" "$codes" " 0 0 0 0"
expect_eq "concurrent processes: exactly one copy kept" "$(txt_count "$T/race-out")" 1

# --- a 10 MB page, threads, full disk -------------------------------------------------------
$PY - "$T/big.html" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<html><head><title>Big</title></head><body><nav><a href='/'>Home</a></nav><article>\n")
    i = 0
    while f.tell() < 10 * 1000 * 1000:
        f.write(f"<p>Paragraph {i} of the very large page talks about rivers, hills and the weather in spring.</p>\n")
        i += 1
    f.write(f"<p>The last paragraph number {i}.</p></article></body></html>\n")
EOF
"$PP" "$T/big.html" --out "$T/big" --no-dedup -q
expect_eq "10 MB page: exit 0" "$?" 0
big=$(one_txt "$T/big")
expect_eq "10 MB page: first paragraph kept" "$(head -1 "$big")" "Paragraph 0 of the very large page talks about rivers, hills and the weather in spring."
expect_match "10 MB page: last paragraph kept" "$(tail -1 "$big")" "^The last paragraph number [0-9]+\.$"

mkdir -p "$T/many"
for f in article.html latin1-meta.html sjis-meta.html code.html notes.md hello.c neardup-a.txt; do cp "$F/$f" "$T/many/"; done
cp "$F/koi8r.expected.txt" "$T/many/skip.bin"
"$PP" "$T/many" --out "$T/t1" --filters none -q
"$PP" "$T/many" --out "$T/t2" --filters none --threads 2 >"$T/t2.out"
expect_eq "threads 2: exit 0" "$?" 0
expect_eq "threads 2: same documents as one thread" "$(cd "$T/t2" && md5sum *.txt)" "$(cd "$T/t1" && md5sum *.txt)"
expect_match "folder: unknown kinds are skipped and counted" "$(cat "$T/t2.out")" "7 inputs: 7 kept.*1 skipped"

# SIGKILL in the middle of a run: whatever was written is whole (each .txt has its meta file
# and the bytes a full run gives), and a re-run completes every document: the index does not
# take the killed run's entries for duplicates.
mkdir -p "$T/kill"
$PY - "$T/kill" <<'EOF'
import sys
for n in range(60):
    with open(f"{sys.argv[1]}/doc{n:02d}.txt", "w") as f:
        for line in range(4000):
            f.write(f"Document {n} line {line} says something new about topic {n * 7 + line}.\n")
EOF
"$PP" "$T/kill" --out "$T/kill-ref" --no-dedup -q
"$PP" "$T/kill" --out "$T/kill-out" -q &
kpid=$!
sleep 0.4
kill -9 "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
whole=yes
for txt in "$T/kill-out"/*.txt; do
    [ -e "$txt" ] || continue
    [ -f "${txt%.txt}.meta.json" ] || whole="no meta for $txt"
    cmp -s "$txt" "$T/kill-ref/$(basename "$txt")" || whole="partial $txt"
done
expect_eq "SIGKILL: every .txt left is whole and has its meta file" "$whole" yes
# what a kill between a write and its rename leaves, should this kill not have hit one
mkdir -p "$T/kill-out" && printf 'half' >"$T/kill-out/doc00.txt.tmp.$kpid"
"$PP" "$T/kill" --out "$T/kill-out" -q
expect_eq "SIGKILL: the re-run exits 0" "$?" 0
expect_eq "SIGKILL: the re-run writes every document" "$(txt_count "$T/kill-out")" 60
expect_eq "SIGKILL: the killed run's temporary files are gone after the re-run" \
    "$(find "$T/kill-out" -name '*.tmp.*' | wc -l | tr -d ' ')" 0
expect_eq "SIGKILL: same documents as an uninterrupted run" \
    "$(cd "$T/kill-out" && md5sum *.txt)" "$(cd "$T/kill-ref" && md5sum *.txt)"

head -c 200000 /dev/zero | tr '\0' 'a' | fold -w 60 | sed 's/a\{6\}/word /g' >"$T/large.txt"
(ulimit -f 8; "$PP" "$T/large.txt" --out "$T/full" --no-dedup --filters none -q 2>"$T/full.err")
expect_eq "full disk (RLIMIT_FSIZE): exit 74" "$?" 74
expect_match "full disk: error line" "$(cat "$T/full.err")" "^preprocess: .*large.txt: writing"
expect_eq "full disk: no output, no temporary file" "$(ls -A "$T/full" | wc -l | tr -d ' ')" 0

finish
