# test_errors.sh — the command line, exit codes (2, 65, 66, 74, 75), a site that is down and
# then up, timeouts, size caps, robots.txt unreachable or missing, politeness delays.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

check_exit "no arguments: usage error" 2 "$CRAWLER"
check_exit "unknown option: usage error" 2 "$CRAWLER" --seeds x --out y --frobnicate
check_exit "bad duration: usage error" 2 "$CRAWLER" --seeds x --out y --delay soon
expect_eq "a value out of range names its option" \
    "$("$CRAWLER" --seeds x --out y --concurrency 0 2>&1)" "crawler: --concurrency: 0 is out of range (1..1000)"
expect_eq "a value that is not a number names its option" \
    "$("$CRAWLER" --seeds x --out y --retries many 2>&1)" "crawler: --retries: 'many' is not a whole number"
expect_eq "--timeout out of range names it once" \
    "$("$CRAWLER" --seeds x --out y --timeout 0 2>&1)" "crawler: --timeout: 0 is out of range (1ms..1d)"
check_exit "bad scope regex: usage error" 2 "$CRAWLER" --seeds http://127.0.0.1:1/ --out y --scope '(['
help=$("$CRAWLER" --help)
missing=""
for option in --seeds --out --max-depth --max-pages --scope --concurrency --per-host-concurrency \
    --delay --user-agent --max-size --timeout --retries --retry-delay --max-retry-delay --accept \
    --no-sitemaps --state --warc --json --progress --quiet --verbose --help --version --writers; do
    printf '%s' "$help" | grep -q -- "$option" || missing="$missing $option"
done
expect_eq "--help documents every option" "$missing" ""
expect_eq "--version" "$("$CRAWLER" --version)" "crawler 0.1.0"

printf '# nothing valid\nnot-a-url\nftp://x/\n\n' >bad.urls
"$CRAWLER" --seeds bad.urls --out raw 2>err.txt
expect_eq "seeds file without a valid URL: exit 65" "$?" 65
expect_eq "one error line on stderr" "$(grep -c '^crawler: ' err.txt)" 1
expect_match "the error names the file" "$(cat err.txt)" "crawler: no valid seed URL in bad.urls"
check_exit "missing seeds file: exit 66" 66 "$CRAWLER" --seeds missing.urls --out raw

# A site that is down: every seed unreachable -> 75, and the next run (site up) succeeds.
PORT=$(free_port)
printf 'http://127.0.0.1:%s/a.html\n' "$PORT" >down.urls
"$CRAWLER" --seeds down.urls --out down --delay 0 --retries 1 --retry-delay 0.05s --json --quiet >down1.json 2>down1.err
expect_eq "every seed unreachable: exit 75 (retry later)" "$?" 75
expect_match "the error says why" "$(cat down1.err)" "^crawler: every seed was unreachable \(connect"
expect_eq "the connect errors are counted" "$(json_field down1.json errors.connect)" 1
start_bg $PY "$CRAWLER_TESTS/server.py" --port "$PORT" --log "$T/server.log"
wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.1', $PORT))"
"$CRAWLER" --seeds down.urls --out down --delay 0 --retries 1 --retry-delay 0.05s --json --quiet >down2.json
expect_eq "site up again: exit 0" "$?" 0
check "site up again: the seed is saved" test -f "down/$(id_of "http://127.0.0.1:$PORT/a.html").html"
kill "$BG_PID"; wait "$BG_PID" 2>/dev/null

# A site that drops its first connections: retried with backoff within one run.
serve --drop-first 2 --log "$T/drop.log"
"$CRAWLER" --seeds "$BASE/c.html" --out drop --delay 0 --retries 3 --retry-delay 0.05s --json --quiet >drop.json
expect_eq "dropped connections: retried, exit 0" "$?" 0
expect_eq "dropped connections: the page is saved" "$(json_field drop.json pages_saved)" 1
check "dropped connections: retries counted" test "$(json_field drop.json retries)" -ge 1
stop_server

serve --log "$T/limits.log"
"$CRAWLER" --seeds "$BASE/" --seeds "$BASE/slow" --seeds "$BASE/huge" --seeds "$BASE/huge-chunked" \
    --out limits --delay 0 --timeout 0.5s --retries 1 --retry-delay 0.05s --max-size 100KB --max-depth 0 \
    --json --quiet >limits.json
expect_eq "slow page and size caps: exit 0 (some pages saved)" "$?" 0
expect_eq "slow response hits the timeout (twice: one retry)" "$(json_field limits.json errors.timeout)" 1
expect_eq "slow response retried once" "$(hits /slow "$T/limits.log")" 2
expect_eq "pages over --max-size skipped" "$(json_field limits.json skipped.too-large)" 2
check "transfers over the cap are aborted, not read whole ($(json_field limits.json bytes) bytes)" \
    test "$(json_field limits.json bytes)" -lt 1000000
check "no file for the huge page" test ! -f "limits/$(id_of "$BASE/huge-chunked").html"
expect_eq "--max-depth 0: only the seeds, no link followed" "$(hits /a.html "$T/limits.log")" 0

# --accept: text/plain refused when only HTML is wanted.
"$CRAWLER" --seeds "$BASE/text.txt" --out accept --delay 0 --accept text/html --json --quiet >accept.json
expect_eq "--accept text/html skips text/plain" "$(json_field accept.json skipped.content-type)" 1
stop_server

# robots.txt answering 503: complete disallow, the page fails temporarily -> exit 75.
serve --robots-status 503 --log "$T/r503.log"
"$CRAWLER" --seeds "$BASE/a.html" --out r503 --delay 0 --retries 1 --retry-delay 0.05s --json --quiet >r503.json 2>/dev/null
expect_eq "robots.txt 503: exit 75" "$?" 75
expect_eq "robots.txt 503: the page is not fetched" "$(hits /a.html "$T/r503.log")" 0
expect_eq "robots.txt 503: retried before giving up" "$(hits /robots.txt "$T/r503.log")" 2
stop_server
serve --robots-status 404 --log "$T/r404.log"
"$CRAWLER" --seeds "$BASE/a.html" --out r404 --delay 0 --json --quiet >/dev/null
expect_eq "robots.txt 404: everything allowed" "$(hits /a.html "$T/r404.log")" 1
stop_server

# Politeness: Crawl-delay 0.2 with --delay 0, then --delay 100ms; gaps from the server's log.
printf 'User-agent: *\nCrawl-delay: 0.2\n' >robots-delay.txt
serve --robots robots-delay.txt --log "$T/delay.log"
"$CRAWLER" --seeds "$BASE/" --out delay --delay 0 --max-depth 1 --max-pages 8 --json --quiet >delay.json
min_gap() { awk '{ if (n++) { g = ($1 - last) * 1000; if (min == "" || g < min) min = g } last = $1 } END { printf "%d", min }' "$1"; }
gap=$(min_gap "$T/delay.log")
check "robots Crawl-delay 0.2 honoured (smallest gap ${gap} ms)" test "$gap" -ge 195
expect_eq "--max-pages 8 holds" "$(ls delay | grep -c '\.html$')" 8
stop_server
serve --log "$T/delay2.log"
"$CRAWLER" --seeds "$BASE/" --out delay2 --delay 100ms --max-depth 1 --max-pages 10 --concurrency 4 --json --quiet >/dev/null
gap=$(min_gap "$T/delay2.log")
check "--delay 100ms: no two requests to the host closer (smallest gap ${gap} ms)" test "$gap" -ge 98
stop_server

# HTTPS with a certificate nobody vouches for: refused (certificate checks are on), final.
if openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -days 2 \
        -subj /CN=127.0.0.1 >/dev/null 2>&1; then
    serve --tls tls.crt tls.key --log "$T/tls.log"
    "$CRAWLER" --seeds "https://127.0.0.1:$PORT/a.html" --out tls --delay 0 --retries 2 --retry-delay 0.05s --json --quiet >tls.json 2>/dev/null
    expect_eq "self-signed HTTPS: the crawl completes (exit 0), nothing to retry" "$?" 0
    expect_eq "self-signed HTTPS: the page fails with a tls error" "$(json_field tls.json errors.tls)" 1
    expect_eq "self-signed HTTPS: not saved" "$(json_field tls.json pages_saved)" 0
    stop_server
else
    not_ok "openssl could not make a test certificate"
fi

# A state in use by another crawler: busy, temporary.
mkdir -p busy/.crawler-state
flock busy/.crawler-state/lock sleep 3 &
locker=$!
sleep 0.3
"$CRAWLER" --seeds http://127.0.0.1:1/ --out busy --quiet 2>busy.err
expect_eq "state busy: exit 75" "$?" 75
expect_match "state busy: says so" "$(cat busy.err)" "busy"
kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null

# Output that cannot be written (file size limit): 74, one line, no half file.
serve --log "$T/fsize.log"
(trap '' XFSZ; ulimit -f 16; exec "$CRAWLER" --seeds "$BASE/" --out fsize --state fsize-state --delay 0 --quiet) 2>fsize.err
status=$?
expect_eq "file size limit: exit 74 (I/O error)" "$status" 74
expect_eq "file size limit: one error line" "$(grep -c '^crawler: ' fsize.err)" 1
expect_eq "file size limit: no temporary file left behind" "$(find fsize -name '*.tmp.*' 2>/dev/null | wc -l)" 0
stop_server

# A disk that fills up in the middle of a fast crawl (a 256 KiB tmpfs; pages are written and
# synced in batches): 74, nothing half written, and once there is room the same command
# finishes the crawl.
whole_pages() { # every page has its meta file and the bytes its sha256 says
    $PY - "$1" <<'PYEOF'
import glob, hashlib, json, os, sys
bad = 0
for page in glob.glob(os.path.join(sys.argv[1], "*.html")):
    meta = page[:-len(".html")] + ".meta.json"
    if not os.path.exists(meta) or json.load(open(meta))["sha256"] != hashlib.sha256(open(page, "rb").read()).hexdigest():
        bad += 1
print(bad)
PYEOF
}
mkdir -p full
if mount -t tmpfs -o size=256k crtest-crawl-full full 2>mount.err; then
    TAP_MOUNT="$T/full"
    trap 'umount "$TAP_MOUNT" 2>/dev/null; tap_cleanup' EXIT
    serve --pages 120 --log "$T/full.log"
    "$CRAWLER" --seeds "$BASE/p/0.html" --out full --state full-state --delay 0 --concurrency 8 \
        --per-host-concurrency 8 --max-depth -1 --quiet 2>full.err
    expect_eq "full disk: exit 74" "$?" 74
    expect_match "full disk: the error names the folder's file" "$(cat full.err)" "^crawler: .*full/"
    expect_eq "full disk: every page there is whole, with its meta" "$(whole_pages full)" 0
    expect_eq "full disk: no temporary file left behind" "$(find full -name '*.tmp.*' | wc -l)" 0
    mount -o remount,size=8m full
    "$CRAWLER" --seeds "$BASE/p/0.html" --out full --state full-state --delay 0 --concurrency 8 \
        --per-host-concurrency 8 --max-depth -1 --quiet 2>full2.err
    expect_eq "full disk, room made: the same command exits 0" "$?" 0
    expect_eq "full disk, room made: all 120 pages" "$(find full -name '*.html' | wc -l)" 120
    expect_eq "full disk, room made: every page whole" "$(whole_pages full)" 0
    stop_server
    umount full
else
    not_ok "a 256 KiB tmpfs for the full-disk test (needs root)" "$(cat mount.err)"
fi
# --warc on a file that is not a WARC, or on a WARC damaged in its middle: refused (65), every
# byte kept (only a torn last record may be cut).
printf 'my notes, not a WARC\n' >notes.txt
cp notes.txt notes.orig
"$CRAWLER" --seeds http://127.0.0.1:1/ --out warcbad --warc notes.txt --quiet 2>warcbad.err
expect_eq "--warc on a file that is not a WARC: exit 65" "$?" 65
check "--warc on a file that is not a WARC: kept byte for byte" cmp notes.txt notes.orig
expect_match "--warc on a file that is not a WARC: says so" "$(cat warcbad.err)" \
    "^crawler: .*notes.txt is not an intact WARC"
serve --log "$T/warc.log"
"$CRAWLER" --seeds "$BASE/" --out warcgood --warc good.warc.gz --delay 0 --max-depth 1 --max-pages 6 --quiet
expect_eq "a WARC to damage: written" "$?" 0
$PY -c '
import os, sys
size = os.path.getsize(sys.argv[1])
with open(sys.argv[1], "r+b") as f:
    f.seek(size // 2); f.write(b"\xff\x00\xff\x00")' good.warc.gz
cp good.warc.gz good.orig
"$CRAWLER" --seeds "$BASE/" --out warcgood2 --warc good.warc.gz --delay 0 --max-depth 0 --quiet 2>warcdamaged.err
expect_eq "--warc damaged in its middle: exit 65" "$?" 65
check "--warc damaged in its middle: kept byte for byte" cmp good.warc.gz good.orig
stop_server
"$CRAWLER" --seeds http://127.0.0.1:1/ --out warcdir --warc "$T" --quiet 2>/dev/null
expect_eq "--warc naming a folder: usage error" "$?" 2
mkfifo warc.fifo
timeout 10 "$CRAWLER" --seeds http://127.0.0.1:1/ --out warcfifo --warc warc.fifo --quiet 2>warcfifo.err
expect_eq "--warc naming a FIFO: usage error, no wait" "$?" 2
expect_match "--warc naming a FIFO: says so" "$(cat warcfifo.err)" "not a regular file"
finish
