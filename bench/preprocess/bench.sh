#!/bin/sh
# bench.sh — preprocess against Debian's html2text and python3-readability on real pages: the
# Python 3.11 documentation (python3.11-doc), whose content Sphinx marks as div[role=main].
#  1. throughput, MB/s of HTML: html2text (one process over all pages) vs preprocess with
#     --threads 1 and 2 (no dedup, no filters: extraction only; and once with the defaults);
#  2. extraction quality: word-level F1 against div[role=main], all three side by side.
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

# The four commands take turns, three rounds, best time of each: a load spike from other work on
# the machine then hits every command alike instead of one of them.
elapsed() { # seconds taken by "$@"
    start=$($PY -c 'import time; print(time.monotonic())')
    "$@" >/dev/null 2>&1
    end=$($PY -c 'import time; print(time.monotonic())')
    $PY -c "print($end - $start)"
}
best() { $PY -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" "$@"; }
t_ref="" t_one="" t_two="" t_all=""
for round in 1 2 3; do
    t_ref="$t_ref $(elapsed sh -c "xargs html2text -utf8 -nobs <'$T/pages'")"
    rm -rf "$T/out"
    t_one="$t_one $(elapsed sh -c "xargs '$CR_BIN/preprocess' --out '$T/out' --no-dedup --filters none -q --threads 1 <'$T/pages'")"
    rm -rf "$T/out"
    t_two="$t_two $(elapsed sh -c "xargs '$CR_BIN/preprocess' --out '$T/out' --no-dedup --filters none -q --threads 2 <'$T/pages'")"
    rm -rf "$T/out"
    t_all="$t_all $(elapsed sh -c "xargs '$CR_BIN/preprocess' --out '$T/out' -q --threads 1 <'$T/pages'")"
    rm -rf "$T/out"
done
t_ref=$(best $t_ref) t_one=$(best $t_one) t_two=$(best $t_two) t_all=$(best $t_all)
$PY - "$bytes" "$t_ref" "$t_one" "$t_two" "$t_all" <<'PYEOF'
import sys
size = int(sys.argv[1]) / 1e6
ref, one, two, full = map(float, sys.argv[2:])
print("throughput (best of 3, MB/s of HTML):")
print(f"  html2text                          {size/ref:7.1f} MB/s  ({ref:.2f} s)")
print(f"  preprocess --threads 1             {size/one:7.1f} MB/s  ({one:.2f} s)  {ref/one:.2f}x html2text")
print(f"  preprocess --threads 2             {size/two:7.1f} MB/s  ({two:.2f} s)  {ref/two:.2f}x html2text, {one/two:.2f}x one thread")
print(f"  preprocess --threads 1, defaults   {size/full:7.1f} MB/s  ({full:.2f} s)  (filters + dedup index + fsync)")
PYEOF

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
