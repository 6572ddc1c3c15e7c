# test_documents.sh — PDF, DOCX, ODT and EPUB end to end: documents built with Debian's tools
# (make_documents.py: reportlab, python-docx, zipfile), the exact text out, titles, formats
# sniffed by content, rejections (encrypted, image-only) and the limits against hostile files
# (ZIP bomb, 20,000 entries, a 10,000-page PDF, a PDF of a million objects).
. "$(dirname "$0")/../tap.sh"
PP="$CR_BIN/preprocess"
D="$T/docs"
json_field() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
one_txt() {
    set -- "$1"/*.txt
    [ $# = 1 ] && [ -f "$1" ] && printf '%s\n' "$1"
}

PP_OBJECTS=1000000 $PY "$(dirname "$0")/make_documents.py" "$D"
expect_eq "documents built" "$?" 0

# extract NAME FILE: one document, no filters, no index; sets dir to its folder (not "out": check() uses that name)
extract() {
    dir="$T/out-$1"
    "$PP" "$2" --out "$dir" --no-dedup --filters none -q
}

# --- PDF: reading order, paragraphs, hyphenation, running header and page numbers -----------
cat >"$T/report.expected" <<'TXT'
Ageing Cheese

Cheese ages slowly in cool caves where the humidity stays high and the rind grows thick over many months of careful turning.

A second paragraph starts after a gap and then it goes on to the next line until it ends here.

The well-known caves of Roquefort hold the blue mould that gives the cheese its veins.

In the cellar the master turns each wheel by hand and he writes the date of each turn in a ledger and checks the rind of every wheel once a week.

Nothing is hurried in a cave.

Patience is the last ingredient of a good cheese.
TXT
extract pdf "$D/report.pdf"
expect_eq "pdf: exit 0" "$?" 0
check "pdf: exact text (header, page numbers gone; humid-ity joined; paragraph across pages)" \
    cmp "$(one_txt "$dir")" "$T/report.expected"
meta=$(one_txt "$dir" | sed 's/txt$/meta.json/')
expect_eq "pdf: kind, title from the metadata, pages" \
    "$(json_field "$meta" 'd["kind"]+"|"+d["title"]+"|"+str(d["pages"])')" "pdf|Ageing Cheese: a Field Guide|3"

# sniffed by content: the same PDF under a .txt name is still a PDF
cp "$D/report.pdf" "$T/misnamed.txt"
extract sniff "$T/misnamed.txt"
check "sniffing: a PDF named .txt gives the same text" cmp "$(one_txt "$dir")" "$T/report.expected"
expect_eq "sniffing: kind pdf" "$(json_field "$(one_txt "$dir" | sed 's/txt$/meta.json/')" 'd["kind"]')" "pdf"
printf 'just some words, not a PDF at all\n' >"$T/fake.pdf"
check_exit "a .pdf whose bytes are not a PDF: exit 65" 65 "$PP" "$T/fake.pdf" --out "$T/fake" -q
expect_match "... with a clear error" "$("$PP" "$T/fake.pdf" --out "$T/fake" -q 2>&1)" \
    "^preprocess: .*fake.pdf: not a pdf file"

# --- DOCX ------------------------------------------------------------------------------------
cat >"$T/bread.expected" <<'TXT'
Sourdough

A starter is flour and water left to ferment for several days.

Feed it every day
Keep it warm

Flour
Water
500 g
350 g

Bake at a high heat.
TXT
extract docx "$D/bread.docx"
expect_eq "docx: exit 0" "$?" 0
check "docx: heading, paragraph, list items, table cells, runs joined" \
    cmp "$(one_txt "$dir")" "$T/bread.expected"
expect_eq "docx: kind and title (docProps/core.xml)" \
    "$(json_field "$(one_txt "$dir" | sed 's/txt$/meta.json/')" 'd["kind"]+"|"+d["title"]')" "docx|Notes on Bread"

extract revisions "$D/revisions.docx"
expect_eq "docx: deleted revisions and fallback copies are not text" "$(cat "$(one_txt "$dir")")" \
    "Proof the dough for four hours.

Then let it rest briefly."

# --- ODT -------------------------------------------------------------------------------------
cat >"$T/tea.expected" <<'TXT'
Tea Leaves

Green tea is steamed or pan-fired soon after picking.

Two spaces and a tab.
A new line.

Sencha
Gyokuro

Kind
Minutes
Black
4

Brew with water just off the boil.
TXT
extract odt "$D/tea.odt"
expect_eq "odt: exit 0" "$?" 0
check "odt: heading, spans, footnote left out, list, table, line break" \
    cmp "$(one_txt "$dir")" "$T/tea.expected"
expect_eq "odt: kind and title (meta.xml)" \
    "$(json_field "$(one_txt "$dir" | sed 's/txt$/meta.json/')" 'd["kind"]+"|"+d["title"]')" "odt|A Tea Primer"

# --- EPUB ------------------------------------------------------------------------------------
cat >"$T/river.expected" <<'TXT'
The Delta

At the coast the river slows and spreads into a wide delta of reeds.

The Source

The river begins as a spring high in the hills, cold and clear.

It gathers rain from a hundred small streams on its way down.
TXT
extract epub "$D/river.epub"
expect_eq "epub: exit 0" "$?" 0
check "epub: chapters in spine order (not manifest order), linear=no left out" \
    cmp "$(one_txt "$dir")" "$T/river.expected"
expect_eq "epub: kind, title (OPF), chapters" \
    "$(json_field "$(one_txt "$dir" | sed 's/txt$/meta.json/')" 'd["kind"]+"|"+d["title"]+"|"+str(d["parts"])')" \
    "epub|The River Book|2"

# --- rejections: counted by reason, exit 0, nothing written ----------------------------------
"$PP" "$D/locked.pdf" "$D/scan.pdf" --out "$T/rej" --no-dedup --filters none --json >"$T/rej.json" 2>/dev/null
expect_eq "encrypted and image-only: exit 0" "$?" 0
expect_eq "encrypted and image-only: rejected by reason" \
    "$(json_field "$T/rej.json" 'd["rejected_by_reason"]')" "{'encrypted': 1, 'image_only': 1}"
expect_eq "encrypted and image-only: nothing written" "$(find "$T/rej" -name '*.txt' | wc -l | tr -d ' ')" 0

# --- the same filters and dedup as any prose --------------------------------------------------
mkdir -p "$T/mixed"
cp "$D/report.pdf" "$D/bread.docx" "$D/river.epub" "$T/mixed/"
cp "$D/report.pdf" "$T/mixed/report-copy.pdf"
"$PP" "$T/mixed" --out "$T/mixed-out" --json --min-words 40 >"$T/mixed.json" 2>/dev/null
expect_eq "a folder of documents: every one found, filters and dedup applied" \
    "$(json_field "$T/mixed.json" 'sorted(x["input"].split("/")[-1]+":"+x["status"]+":"+x.get("reason","") for x in d["documents"])')" \
    "['bread.docx:rejected:min_words', 'report-copy.pdf:kept:', 'report.pdf:rejected:duplicate', 'river.epub:kept:']"

# --- hostile files: bounded, a clear refusal or a cut ----------------------------------------
check_exit "ZIP bomb (200 MB of zeros, 1000:1): exit 65" 65 "$PP" "$D/bomb.docx" --out "$T/bomb" -q
expect_match "ZIP bomb: says why" "$("$PP" "$D/bomb.docx" --out "$T/bomb" -q 2>&1)" \
    "bomb.docx: word/document.xml: .*ZIP bomb"
check_exit "20,000 entries: exit 65" 65 "$PP" "$D/entries.docx" --out "$T/entries" -q
expect_match "20,000 entries: says why" "$("$PP" "$D/entries.docx" --out "$T/entries" -q 2>&1)" \
    "20001 entries, more than the limit of 10000"
expect_eq "hostile archives: nothing written" "$(find "$T/bomb" "$T/entries" -name '*.txt' | wc -l | tr -d ' ')" 0

extract pages "$D/book10000.pdf"
expect_eq "10,000-page PDF: exit 0" "$?" 0
meta=$(one_txt "$dir" | sed 's/txt$/meta.json/')
expect_eq "10,000-page PDF: cut at 2,000 pages, said in the meta file" \
    "$(json_field "$meta" 'str(d["pages"])+" "+str(d["truncated"])+" "+str(d["pages_read"])')" "10000 True 2000"
expect_eq "10,000-page PDF: one paragraph per page read" "$(grep -c . "$(one_txt "$dir")")" 2000

# a million objects: opened, its one page read, in bounded memory (peak RSS of the run; not
# ulimit -v, which a sanitizer build's shadow memory cannot live under)
peak=$($PY -c 'import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' \
    "$PP" "$D/objects.pdf" --out "$T/out-objects" --no-dedup --filters none -q)
expect_eq "a million objects: exit 0" "${peak% *}" 0
expect_eq "a million objects: peak memory under 1 GiB ($(ls -l "$D/objects.pdf" | awk '{print $5}') bytes of PDF, ${peak#* } MiB)" \
    "$([ "${peak#* }" -lt 1024 ] && echo yes)" yes
expect_eq "a million objects: its page's text" "$(cat "$(one_txt "$T/out-objects")")" "A page among very many objects."

finish
