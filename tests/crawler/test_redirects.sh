# test_redirects.sh — every redirect hop passes scope, scheme, robots.txt and the host's delay
# before it is requested (no SSRF through an in-scope page): redirects to another host (127.0.0.2
# and "localhost" are loopback too), to a Disallowed path, to non-http schemes, a robots.txt that
# redirects, and the pace of a hop on the same host. Real servers: tests/crawler/server.py.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
enc() { $PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# Host B: another loopback address, its own log; nothing in a crawl of A may reach it.
PORT_B=$(free_port)
start_bg $PY "$CRAWLER_TESTS/server.py" --bind 127.0.0.2 --port "$PORT_B" --log "$T/b.log"
B_PID=$BG_PID
wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.2', $PORT_B))"
B="http://127.0.0.2:$PORT_B"

printf 'User-agent: *\nDisallow: /private/\n' >robots.txt
serve --robots "$T/robots.txt"
{
    echo "$BASE/go?to=$(enc "$B/a.html")"
    echo "$BASE/go?to=$(enc "http://localhost:$PORT/elsewhere.html")"
    echo "$BASE/go?to=$(enc "/private/secret.html")"
    echo "$BASE/go?to=$(enc "/e.html")"
    echo "$BASE/go?to=$(enc "file:///etc/hostname")"
    echo "$BASE/go?to=$(enc "gopher://127.0.0.1:$PORT/x")"
    echo "$BASE/go?to=$(enc "$BASE/go?to=$(enc "$B/c.html")")"
    echo "$BASE/redirect/1"
    echo "$BASE/loop/1"
} >seeds.urls
"$CRAWLER" --seeds seeds.urls --out raw --max-depth 0 --delay 0 --timeout 2s --json --quiet >run.json 2>run.err
expect_eq "crawl exits 0" "$?" 0
expect_eq "no request reached the other host (127.0.0.2)" "$(lines b.log)" 0
expect_eq "no request went to localhost (another host name)" \
    "$(awk -v h="localhost:$PORT" '$5 == h' server.log | wc -l | tr -d ' ')" 0
expect_eq "off-scope hops skipped, the second hop of a chain too" \
    "$(json_field run.json skipped.off-scope-redirect)" 3
expect_eq "a hop to a Disallowed path is not requested" "$(hits /private/secret.html)" 0
expect_eq "a hop to a Disallowed path is skipped by robots" "$(json_field run.json skipped.robots)" 1
expect_eq "a hop to an allowed path is requested" "$(hits /e.html)" 1
expect_eq "hops to file: and gopher: are errors, not requests" \
    "$(json_field run.json errors.redirect-scheme)" 2
expect_eq "a redirect loop stops after 10 hops" "$(json_field run.json errors.redirect-loop)" 1
expect_eq "a redirect loop: 11 requests (the page and 10 hops)" \
    "$(awk '$3 ~ /^\/loop\// ' server.log | wc -l | tr -d ' ')" 11
m="raw/$(id_of "$BASE/redirect/1").meta.json"
expect_eq "an in-scope chain is followed to its end" "$(meta_field "$m" final_url)" "$BASE/target.html"
for id in $(ls raw | sed -n 's/\.meta\.json$//p'); do
    final=$(meta_field "raw/$id.meta.json" final_url)
    case "$final" in "$BASE"/*) ;; *) not_ok "saved page outside the scope: $final" ;; esac
done
expect_eq "hops are counted as requests" "$(json_field run.json requests)" "$(grep -c ' GET ' server.log)"

# Scope over both hosts: a hop to B is allowed by scope, so B's robots.txt is fetched first and
# obeyed (B disallows /private/); the hop to an allowed page of B is requested.
stop_server
kill "$B_PID"; wait "$B_PID" 2>/dev/null
rm -f b.log server.log
printf 'User-agent: *\nDisallow: /private/\n' >robots-b.txt
start_bg $PY "$CRAWLER_TESTS/server.py" --bind 127.0.0.2 --port "$PORT_B" --log "$T/b.log" --robots "$T/robots-b.txt"
B_PID=$BG_PID
wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.2', $PORT_B))"
serve
{
    echo "$BASE/go?to=$(enc "$B/private/secret.html")"
    echo "$BASE/go?to=$(enc "$B/a.html")"
} >two.urls
"$CRAWLER" --seeds two.urls --out raw2 --max-depth 0 --delay 0 --timeout 2s \
    --scope '^http://127\.0\.0\.[12]:' --json --quiet >two.json 2>two.err
expect_eq "two hosts in scope: exit 0" "$?" 0
expect_eq "the other host's robots.txt is fetched before its first hop" \
    "$(awk '$2 == "GET" {print $3; exit}' b.log)" /robots.txt
expect_eq "the other host's Disallow applies to a hop" "$(hits /private/secret.html "$T/b.log")" 0
expect_eq "an allowed hop on the other host is requested once" "$(hits /a.html "$T/b.log")" 1
check "and saved under the first URL" test -f "raw2/$(id_of "$BASE/go?to=$(enc "$B/a.html")").html"

# The host's delay applies to a hop: /go -> /c.html on the same host waits --delay.
rm -f server.log
"$CRAWLER" --seeds "$BASE/go?to=%2Fc.html" --out raw3 --max-depth 0 --delay 0.6s --timeout 2s \
    --json --quiet >three.json
expect_eq "hop on the same host: exit 0" "$?" 0
gap=$(awk '$3 ~ /^\/go/ {a = $1} $3 == "/c.html" {b = $1} END {printf "%d", (b - a) * 1000}' server.log)
check "the hop waits for the host's delay (${gap} ms after the redirect)" test "$gap" -ge 550

# A robots.txt that redirects: followed within the scope (and its rules apply to the host that
# redirected), never out of it.
stop_server
kill "$B_PID"; wait "$B_PID" 2>/dev/null
rm -f b.log
start_bg $PY "$CRAWLER_TESTS/server.py" --bind 127.0.0.2 --port "$PORT_B" --log "$T/b.log" --robots "$T/robots-b.txt"
B_PID=$BG_PID
wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.2', $PORT_B))"
serve --robots-redirect "$B/robots.txt"
"$CRAWLER" --seeds "$BASE/private/secret.html" --seeds "$BASE/a.html" --out raw4 --max-depth 0 \
    --delay 0 --timeout 2s --json --quiet >four.json
expect_eq "robots.txt redirected out of scope: exit 0" "$?" 0
expect_eq "robots.txt redirected out of scope: not followed" "$(lines b.log)" 0
expect_eq "robots.txt redirected out of scope: unavailable, pages allowed" "$(hits /a.html)" 1
rm -f server.log b.log
"$CRAWLER" --seeds "$BASE/private/secret.html" --seeds "$BASE/a.html" --out raw5 --max-depth 0 \
    --delay 0 --timeout 2s --scope '^http://127\.0\.0\.[12]:' --json --quiet >five.json
expect_eq "robots.txt redirected within the scope: exit 0" "$?" 0
expect_eq "robots.txt redirected within the scope: followed" "$(hits /robots.txt "$T/b.log")" 1
expect_eq "the rules it leads to apply to the host that redirected" "$(hits /private/secret.html)" 0
expect_eq "and its allowed pages are fetched" "$(hits /a.html)" 1

finish
