# test_crawl.sh — a whole crawl of the fixture site (tests/crawler/server.py): spellings of one
# URL, robots.txt rules, sitemaps, redirects, errors, retries, content types, meta files, WARC,
# then a second run that re-fetches conditionally.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/lib.sh"

cat >"$T/robots.txt" <<'ROBOTS'
# robots.txt of the fixture site
User-agent: *
Disallow: /private/
Allow: /private/public.html
Disallow: /*.php$
Disallow: /wild*
Sitemap: http://127.0.0.1:{port}/sitemap-index.xml
ROBOTS
serve --robots "$T/robots.txt"
cd "$T" || exit 1

"$CRAWLER" --seeds "$BASE/" --out raw --delay 0 --retry-delay 0.1s --timeout 2s --warc crawl.warc.gz \
    --json --quiet >run1.json 2>run1.err
expect_eq "crawl exits 0 although some pages failed" "$?" 0
expect_eq "nothing on stderr with --quiet" "$(cat run1.err)" ""

page() { echo "raw/$(id_of "$BASE$1")"; }

expect_eq "one page under five spellings is fetched once" "$(hits /a.html)" 1
check "a.html saved with its meta" test -f "$(page /a.html).html" -a -f "$(page /a.html).meta.json"
expect_eq "robots Disallow: /private/ is obeyed" "$(hits /private/secret.html)" 0
expect_eq "robots Allow overrides the shorter Disallow" "$(hits /private/public.html)" 1
expect_eq "robots '\$' anchors: /page.php not fetched" "$(hits /page.php)" 0
expect_eq "robots '\$' anchors: /page.php?x=1 fetched" "$(hits '/page.php?x=1')" 1
expect_eq "robots '*' wildcard obeyed" "$(hits /wildcard/x.html)" 0
expect_eq "robots.txt fetched once" "$(hits /robots.txt)" 1
expect_eq "skipped by robots counted" "$(json_field run1.json skipped.robots)" 3

expect_eq "sitemap index followed" "$(hits /sitemap-1.xml)" 1
check "page only in the sitemap saved" test -f "$(page /from-sitemap.html).html"
check "page only in the gzip sitemap saved" test -f "$(page /from-sitemap-gz.html).html"

m="$(page /redirect/1).meta.json"
expect_eq "redirect chain: final url in meta" "$(meta_field "$m" final_url)" "$BASE/target.html"
expect_eq "redirect chain: url in meta" "$(meta_field "$m" url)" "$BASE/redirect/1"
saved_targets=$(grep -l "\"final_url\":\"$BASE/target.html\"" raw/*.meta.json | wc -l)
expect_eq "the redirect target is saved once, not twice" "$saved_targets" 1
expect_eq "redirect loop recorded as an error" "$(json_field run1.json errors.redirect-loop)" 1
expect_eq "redirect to ftp:// recorded as an error" "$(json_field run1.json errors.redirect-scheme)" 1
expect_eq "off-scope redirect skipped" "$(json_field run1.json skipped.off-scope-redirect)" 1
check "off-scope redirect not saved" test ! -f "$(page /offsite).html"
expect_eq "404 recorded as final, not retried" "$(hits /missing)" 1
expect_eq "404 counted" "$(json_field run1.json errors.http-4xx)" 1
expect_match "failures listed in --json" "$(cat run1.json)" "\"url\":\"$BASE/missing\",\"error\":\"http-4xx: HTTP 404\""
expect_eq "500 then 200: retried once" "$(hits /flaky)" 2
check "500 then 200: saved" test -f "$(page /flaky).html"
expect_eq "429: retried once" "$(hits /busy)" 2
gap=$(awk '$3 == "/busy" {t[n++] = $1} END {printf "%d", (t[1] - t[0]) * 1000}' server.log)
check "429 Retry-After: 1 honoured (${gap} ms between the attempts)" test "$gap" -ge 950
check "image/png not saved" test ! -f "$(page /image.png).html"
expect_eq "image/png skipped by content type" "$(json_field run1.json skipped.content-type)" 1
check "text/plain saved as .txt" test -f "$(page /text.txt).txt"
expect_eq "text/plain content type in meta" "$(meta_field "$(page /text.txt).meta.json" content_type)" "text/plain"
expect_eq "links of broken HTML followed" "$(hits /e.html)" 1
expect_eq "<base href> used to resolve links" "$(hits /based/page.html)" 1
check "noindex page not saved" test ! -f "$(page /noindex.html).html"
expect_eq "noindex page's links still followed" "$(hits /from-noindex.html)" 1
check "X-Robots-Tag: noindex page not saved" test ! -f "$(page /xrobots.html).html"
expect_eq "X-Robots-Tag: noindex page's links followed" "$(hits /from-xrobots.html)" 1
expect_eq "noindex pages counted" "$(json_field run1.json skipped.noindex)" 2
check "nofollow page saved" test -f "$(page /nofollow.html).html"
expect_eq "meta nofollow: links not followed" "$(hits /never-1.html)" 0
expect_eq "rel=nofollow link not followed" "$(hits /never-2.html)" 0
check "gzip transfer stored decoded" grep -q "<h1>gzip</h1>" "$(page /gzip.html).html"
expect_eq "charset from the header in meta" "$(meta_field "$(page /latin1.html).meta.json" charset)" "iso-8859-1"
expect_eq "charset from <meta charset> in meta" "$(meta_field "$(page /a.html).meta.json" charset)" "utf-8"
expect_eq "default depth limit 5: /deep/4.html (depth 5) fetched" "$(hits /deep/4.html)" 1
expect_eq "default depth limit 5: /deep/5.html not" "$(hits /deep/5.html)" 0

m="$(page /b.html).meta.json"
expect_eq "meta: status" "$(meta_field "$m" status)" 200
expect_eq "meta: content_type" "$(meta_field "$m" content_type)" "text/html"
expect_eq "meta: depth" "$(meta_field "$m" depth)" 1
expect_eq "meta: referrer" "$(meta_field "$m" referrer)" "$BASE/"
expect_eq "meta: referrer of a seed is null" "$(meta_field "$(page /).meta.json" referrer)" "null"
expect_eq "meta: sha256 of the saved body" "$(meta_field "$m" sha256)" "$(sha256sum <"$(page /b.html).html" | cut -c1-64)"
expect_match "meta: fetch_time is UTC ISO 8601" "$(meta_field "$m" fetch_time)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
files=$(ls raw | grep -cE '\.(html|txt)$')
metas=$(ls raw | grep -c '\.meta\.json$')
expect_eq "every page has its meta" "$metas" "$files"
expect_eq "summary counts the saved pages" "$(json_field run1.json pages_saved)" "$files"
expect_eq "no temporary file left" "$(find raw -name '*.tmp.*' | wc -l)" 0
expect_eq "state kept in a dot folder inside --out" "$(ls -d raw/.crawler-state 2>/dev/null)" "raw/.crawler-state"

# WARC: every member a record; one response per page transfer; request records too.
warc_report=$($PY - crawl.warc.gz <<'PYEOF'
import gzip, sys, zlib
data = open(sys.argv[1], "rb").read()
records, pos = [], 0
while pos < len(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    text = d.decompress(data[pos:])
    pos = len(data) - len(d.unused_data)
    head, _, rest = text.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"WARC/1.1", lines[0]
    fields = dict(l.split(b": ", 1) for l in lines[1:])
    n = int(fields[b"Content-Length"])
    assert rest[n:] == b"\r\n\r\n", "block length"
    records.append((fields[b"WARC-Type"].decode(), fields.get(b"WARC-Target-URI", b"").decode(), rest[:n]))
types = [r[0] for r in records]
ok = records[0][0] == "warcinfo"
a = [r for r in records if r[0] == "response" and r[1].endswith("/a.html")]
ok = ok and len(a) == 1 and a[0][2].startswith(b"HTTP/1.") and b"<h1>a</h1>" in a[0][2]
print("ok" if ok else "bad", types.count("response"), types.count("request"))
PYEOF
)
set -- $warc_report
expect_eq "WARC readable: warcinfo first, a.html response with its body" "$1" ok
expect_eq "WARC: a request record for each response" "$3" "$2"

# Order on disk: each page's meta is renamed into place before the page itself, so a watcher
# that sees <id>.html finds <id>.meta.json; and the folder is fsynced between the two (after a
# power loss a page is never there without its meta) and after the page (before it is
# recorded saved); each file's bytes are on disk before its rename. Traced with strace; one writer
# thread writes both files of a page.
#
# write_order FOLDER CRAWLER-ARGS...: crawls into FOLDER under strace and prints: pages renamed,
# pages in place before their meta, metas not synced before their page, names not synced by the
# end, files renamed before their bytes were synced, syncfs calls.
write_order() {
    strace -f -y -e trace=rename,renameat,renameat2,fsync,syncfs,linkat -o "$1.strace" "$CRAWLER" \
        --out "$@" --delay 0 --quiet
    $PY - "$1.strace" "$T/$1" <<'PYEOF'
import re, sys
folder = sys.argv[2]
renamed, durable = {}, set()  # per thread: names renamed since its last folder fsync; durable names
staged, synced = {}, set()    # per thread: fd -> NAME.tmp.<pid> not yet synced; synced temporaries
waiting = {}                  # per thread: the sync call split by "<unfinished ...>"
bad = unsynced_meta = pages = unsynced_data = syncfs_calls = 0

def finished(pid, call, ok):
    kind, arg = call
    if not ok:
        return
    if kind == "link":        # a staged file: its unnamed file linked under NAME.tmp.<pid>
        staged.setdefault(pid, {})[arg[0]] = arg[1]
    elif kind == "folder":    # the folder's fsync: the names renamed before it are durable
        durable.update(renamed.pop(pid, set()))
    elif kind == "file":      # a staged file's own fsync
        synced.add(staged[pid].pop(arg))
    else:                     # syncfs: every file the thread staged
        synced.update(staged.pop(pid, {}).values())

for line in open(sys.argv[1]):
    pid = line.split()[0]
    ok = line.rstrip().endswith("= 0")
    if "resumed>" in line:
        if pid in waiting:
            finished(pid, waiting.pop(pid), ok)
        continue
    call = None
    m = re.search(r'fsync\((\d+)<([^>]*)>', line)
    if m:
        call = ("folder", None) if m.group(2) == folder else \
               ("file", m.group(1)) if m.group(1) in staged.get(pid, {}) else None
    elif "syncfs(" in line:
        call = ("fs", None)
        syncfs_calls += 1
    if call:
        if "unfinished" in line:
            waiting[pid] = call
        else:
            finished(pid, call, ok)
        continue
    # The bytes of a file reach the disk before its rename: its own fsync, or a syncfs of the
    # thread that staged it (linked its unnamed file under NAME.tmp.<pid>).
    m = re.search(r'linkat\(AT_FDCWD[^,]*, "/proc/self/fd/(\d+)", AT_FDCWD[^,]*, "([^"]*)"', line)
    if m:
        if "unfinished" in line:
            waiting[pid] = ("link", (m.group(1), m.group(2)))
        else:
            finished(pid, ("link", (m.group(1), m.group(2))), ok)
        continue
    # A call's first line names both paths (threads may split it as "<unfinished ...>").
    m = re.search(r'rename[a-z0-9]*\("([^"]*)", "[^"]*/([0-9a-f]{32})\.(meta\.json|html)"', line)
    if not m:
        continue
    unsynced_data += m.group(1) not in synced
    name, ext = m.group(2), m.group(3)
    if ext == "meta.json":
        renamed.setdefault(pid, set()).add(name)
    else:
        pages += 1
        bad += name not in durable and not any(name in v for v in renamed.values())
        unsynced_meta += name not in durable
        renamed.setdefault(pid, set()).add(name + ".html")
unsynced_pages = sum(len(v) for v in renamed.values())
print(pages, bad, unsynced_meta, unsynced_pages, unsynced_data, syncfs_calls)
PYEOF
}
if command -v strace >/dev/null 2>&1; then
    set -- $(write_order ordered --seeds "$BASE/b.html")
    check "strace saw the pages renamed into place ($1)" test "$1" -ge 5
    expect_eq "every meta.json is in place before its .html" "$2" 0
    expect_eq "every meta.json's name is synced before its .html appears" "$3" 0
    expect_eq "every .html's name is synced by the end" "$4" 0
    expect_eq "every file's bytes are synced before its rename" "$5" 0
    # Many pages at once: a writer's batch synced by one syncfs.
    main_pid=$SERVER_PID main_base=$BASE
    serve --pages 200 --log "$T/many.log"
    set -- $(write_order many --seeds "$BASE/p/0.html" --max-depth -1 --concurrency 8 \
        --per-host-concurrency 8 --writers 1)
    stop_server
    SERVER_PID=$main_pid BASE=$main_base
    expect_eq "batches: all 200 pages renamed into place" "$1" 200
    check "batches: synced with syncfs ($6 calls)" test "$6" -ge 1
    expect_eq "batches: every meta.json in place, and synced, before its .html" "$2 $3" "0 0"
    expect_eq "batches: every .html's name synced by the end" "$4" 0
    expect_eq "batches: every file's bytes synced before its rename" "$5" 0
else
    not_ok "strace is missing (make deps installs it)"
fi

# Scope prefix, no sitemaps, explicit depth: only the seed's folder, two hops.
"$CRAWLER" --seeds "$BASE/deep/1.html" --out prefix --scope prefix --no-sitemaps --max-depth 2 \
    --delay 0 --json --quiet >prefix.json --state prefix-state
expect_eq "--scope prefix, --max-depth 2: three pages" "$(json_field prefix.json pages_saved)" 3
check "--state elsewhere: nothing in the output folder but pages" test ! -e prefix/.crawler-state -a -f prefix-state/state.sqlite
expect_eq "--no-sitemaps: no sitemap fetched" "$(json_field prefix.json sitemaps_fetched)" 0

# Second run of the same crawl: conditional requests, 304s counted, files kept.
before=$(sha256sum "$(page /etag.html).html")
"$CRAWLER" --seeds "$BASE/" --out raw --delay 0 --retry-delay 0.1s --timeout 2s --json --quiet >run2.json 2>run2.err
expect_eq "second run exits 0" "$?" 0
expect_eq "second run: ETag and Last-Modified pages answered 304" "$(json_field run2.json pages_unchanged)" 2
expect_eq "second run: the server sent two 304s" "$(awk '$4 == 304' server.log | wc -l | tr -d ' ')" 2
expect_eq "second run: a 304 keeps the saved file" "$(sha256sum "$(page /etag.html).html")" "$before"
expect_eq "second run: a new generation" "$(json_field run2.json generation)" 2
expect_eq "second run: links of 304 pages still known (same pages in total)" \
    "$(( $(json_field run2.json pages_saved) + $(json_field run2.json pages_unchanged) ))" "$files"
finish
