# test_hostile.sh — the crawler against servers that answer badly: no status line (HTTP/0.9), a
# status outside every class, a body that never ends. Each is classified (not retried when
# retrying cannot help), nothing is saved, and the crawl ends. tests/crawler/server.py.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
serve

"$CRAWLER" --seeds "$BASE/http09" --seeds "$BASE/status-999" --seeds "$BASE/a.html" --out raw \
    --max-depth 0 --delay 0 --timeout 5s --retries 2 --retry-delay 0.05s --json --quiet >run.json 2>run.err
expect_eq "bad answers among good ones: exit 0" "$?" 0
expect_eq "HTTP/0.9 is not a redirect to another scheme" "$(json_field run.json errors.redirect-scheme)" 0
expect_eq "HTTP/0.9 and status 999 are errors of kind other" "$(json_field run.json errors.other)" 2
expect_eq "status 999 is not a 5xx" "$(json_field run.json errors.http-5xx)" 0
expect_eq "status 999 is not retried" "$(hits /status-999)" 1
expect_eq "the good page is saved" "$(json_field run.json pages_saved)" 1

start=$(date +%s)
"$CRAWLER" --seeds "$BASE/endless" --out raw2 --max-depth 0 --delay 0 --timeout 20s --max-size 2MB \
    --json --quiet >endless.json 2>endless.err
expect_eq "an endless body: exit 0" "$?" 0
expect_eq "an endless body: skipped as too large" "$(json_field endless.json skipped.too-large)" 1
check "an endless body: aborted at the cap, not at the timeout ($(($(date +%s) - start)) s)" \
    test $(($(date +%s) - start)) -lt 10
check "an endless body: read no more than the cap and a chunk" \
    test "$(json_field endless.json bytes)" -le 2200000
stop_server

# A robots.txt over 512 KiB: its first 512 KiB are obeyed, not ignored as "unavailable".
$PY -c '
import sys
sys.stdout.write("User-agent: *\nDisallow: /private/\n")
sys.stdout.write("# padding\n" * 70000)' >big-robots.txt
serve --robots big-robots.txt --log "$T/big.log"
"$CRAWLER" --seeds "$BASE/private/secret.html" --seeds "$BASE/a.html" --out raw3 --max-depth 0 \
    --delay 0 --json --quiet >big.json 2>big.err
expect_eq "a robots.txt of $(($(wc -c <big-robots.txt) / 1024)) KiB: exit 0" "$?" 0
expect_eq "  its Disallow is obeyed" "$(hits /private/secret.html "$T/big.log")" 0
expect_eq "  its allowed page is fetched" "$(hits /a.html "$T/big.log")" 1
finish
