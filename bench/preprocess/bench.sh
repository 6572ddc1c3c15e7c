#!/bin/sh
# bench.sh — preprocess against Debian's html2text and python3-readability on real pages: the
# Python 3.11 documentation (python3.11-doc), whose content Sphinx marks as div[role=main].
#  1. throughput, MB/s of HTML: html2text (one process over all pages) vs preprocess with
#     --threads 1 and 2 (no dedup, no filters: extraction only; and once with the defaults);
#     wall and CPU time both, since the machine is shared;
#  2. documents: PDF and DOCX made from the same docs, vs pdftotext and python-docx;
#  3. extraction quality: word-level F1 against div[role=main], all three side by side.
# Each timing is the best of 3 interleaved rounds; the machine is shared, so figures are noisy.
set -u
: "${CR_BIN:?}"
PY=/usr/bin/python3
DOCS=${PP_BENCH_DOCS:-/usr/share/doc/python3.11/html}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$DOCS" ] || ! command -v html2text >/dev/null; then
    echo "bench preprocess: needs python3.11-doc and html2text (make deps)"; exit 0
fi
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
T=$(mktemp -d "$base/ppbench.XXXXXX")
trap 'rm -rf "$T"' EXIT
find "$DOCS" -name '*.html' | sort >"$T/pages"
pages=$(wc -l <"$T/pages")
bytes=$(xargs cat <"$T/pages" | wc -c)
mb=$($PY -c "print(f'{$bytes/1e6:.1f}')")
echo "corpus: $pages pages, $mb MB of HTML from $DOCS (outputs in $base)"

# The commands take turns, three rounds, best time of each: a load spike from other work on
# the machine then hits every command alike instead of one of them. Each run records its wall
# time and its CPU time (user + system, children included): on a shared machine the wall time
# of a run depends on the others' load, its CPU time much less, so both are printed.
timed() { # "WALL:CPU" seconds of "$@"
    /usr/bin/time -o "$T/time" -f "%e %U %S" "$@" >/dev/null 2>&1
    tail -1 "$T/time" | awk '{printf "%s:%.3f", $1, $2 + $3}'
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
r_ref="" r_one="" r_two="" r_all=""
for round in 1 2 3; do
    r_ref="$r_ref $(timed sh -c "xargs html2text -utf8 -nobs <'$T/pages'")"
    rm -rf "$T/out"
    r_one="$r_one $(timed sh -c "xargs '$CR_BIN/preprocess' --out '$T/out' --no-dedup --filters none -q --threads 1 <'$T/pages'")"
    rm -rf "$T/out"
    r_two="$r_two $(timed sh -c "xargs '$CR_BIN/preprocess' --out '$T/out' --no-dedup --filters none -q --threads 2 <'$T/pages'")"
    rm -rf "$T/out"
    r_all="$r_all $(timed sh -c "xargs '$CR_BIN/preprocess' --out '$T/out' -q --threads 1 <'$T/pages'")"
    rm -rf "$T/out"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
$PY - "$bytes" "$r_ref" "$r_one" "$r_two" "$r_all" <<'PYEOF'
import sys
size = int(sys.argv[1]) / 1e6
def best(runs):
    pairs = [tuple(map(float, r.split(":"))) for r in runs.split()]
    return min(p[0] for p in pairs), min(p[1] for p in pairs)
(ref, ref_c), (one, one_c), (two, two_c), (full, full_c) = map(best, sys.argv[2:])
print("throughput (best of 3, MB/s of HTML; wall time, and CPU time = user + system):")
print(f"  html2text                          {size/ref:6.1f} MB/s wall {size/ref_c:6.1f} MB/s of CPU")
print(f"  preprocess --threads 1             {size/one:6.1f} MB/s wall {size/one_c:6.1f} MB/s of CPU"
      f"  {ref/one:.2f}x html2text by wall, {ref_c/one_c:.2f}x by CPU time")
print(f"  preprocess --threads 2             {size/two:6.1f} MB/s wall {size/two_c:6.1f} MB/s of CPU"
      f"  {ref/two:.2f}x html2text by wall; {one/two:.2f}x one thread by wall;"
      f" CPU {two_c/one_c:.2f}x one thread's, so {2*one_c/two_c:.2f}x at best on 2 free cores"
      f" ({2*ref_c/two_c:.2f}x html2text)")
print(f"  preprocess --threads 1, defaults   {size/full:6.1f} MB/s wall {size/full_c:6.1f} MB/s of CPU"
      "  (filters + dedup index + batched syncs)")
PYEOF

# Documents: PDFs and DOCX files made from the same docs' reStructuredText sources, against
# pdftotext (poppler-utils, one process a file, as it is used) and python-docx (one process).
SOURCES=$DOCS/_sources
if [ -d "$SOURCES" ] && command -v pdftotext >/dev/null &&
    $PY "$here/make_corpus.py" "$SOURCES" "$T/corpus" "${PP_BENCH_DOCUMENTS:-30}" 2>/dev/null; then
    pdf_bytes=$(cat "$T"/corpus/pdf/*.pdf | wc -c)
    docx_bytes=$(cat "$T"/corpus/docx/*.docx | wc -c)
    r_pp_pdf="" r_ref_pdf="" r_pp_docx="" r_ref_docx=""
    for round in 1 2 3; do
        rm -rf "$T/out"
        r_pp_pdf="$r_pp_pdf $(timed "$CR_BIN/preprocess" "$T/corpus/pdf" --out "$T/out" --no-dedup --filters none -q --threads 1)"
        r_ref_pdf="$r_ref_pdf $(timed sh -c "for f in '$T'/corpus/pdf/*.pdf; do pdftotext \"\$f\" -; done")"
        rm -rf "$T/out"
        r_pp_docx="$r_pp_docx $(timed "$CR_BIN/preprocess" "$T/corpus/docx" --out "$T/out" --no-dedup --filters none -q --threads 1)"
        r_ref_docx="$r_ref_docx $(timed sh -c "$PY '$here/docx_text.py' '$T'/corpus/docx/*.docx")"
    done
    rm -rf "$T/out"
    $PY - "$pdf_bytes" "$docx_bytes" "$r_pp_pdf" "$r_ref_pdf" "$r_pp_docx" "$r_ref_docx" <<'PYEOF'
import sys
pdf_mb, docx_mb = int(sys.argv[1]) / 1e6, int(sys.argv[2]) / 1e6
def best(runs):
    pairs = [tuple(map(float, r.split(":"))) for r in runs.split()]
    return min(p[0] for p in pairs), min(p[1] for p in pairs)
pp_pdf, ref_pdf, pp_docx, ref_docx = map(best, sys.argv[3:])
print(f"documents (best of 3, MB/s of input; {pdf_mb:.1f} MB of PDF, {docx_mb:.1f} MB of DOCX):")
for name, mb, (w, c) in [("preprocess --threads 1, PDF", pdf_mb, pp_pdf),
                         ("pdftotext, PDF", pdf_mb, ref_pdf),
                         ("preprocess --threads 1, DOCX", docx_mb, pp_docx),
                         ("python-docx, DOCX", docx_mb, ref_docx)]:
    print(f"  {name:34s} {mb/w:6.1f} MB/s wall {mb/c:6.1f} MB/s of CPU")
print(f"  PDF: {ref_pdf[0]/pp_pdf[0]:.2f}x pdftotext by wall, {ref_pdf[1]/pp_pdf[1]:.2f}x by CPU;"
      f" DOCX: {ref_docx[0]/pp_docx[0]:.2f}x python-docx by wall, {ref_docx[1]/pp_docx[1]:.2f}x by CPU")
PYEOF
else
    echo "documents: skipped (needs python3-reportlab, python3-docx, poppler-utils)"
fi

rm -rf "$T/out"
xargs "$CR_BIN/preprocess" --out "$T/out" --no-dedup --filters none -q --json <"$T/pages" >"$T/report.json"
# the same pages without their role="main" marker: measures the text-density fallback
mkdir -p "$T/unmarked"
(cd "$DOCS" && find . -name '*.html') | while read -r rel; do
    mkdir -p "$T/unmarked/$(dirname "$rel")"
    sed 's/ role="main"//g' "$DOCS/$rel" >"$T/unmarked/$rel"
done
find "$T/unmarked" -name '*.html' | sort >"$T/unmarked.pages"
xargs "$CR_BIN/preprocess" --out "$T/out-unmarked" --no-dedup --filters none -q --json \
    <"$T/unmarked.pages" >"$T/unmarked.json"
$PY "$here/quality.py" "$T/pages" "$T/report.json" "$T/out" "$DOCS" "$T/unmarked.json" \
    "$T/out-unmarked" "$T/unmarked"
echo "(shared 2-core machine: timings vary by 10-30% between runs)"
