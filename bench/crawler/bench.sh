#!/bin/sh
# bench.sh — the crawler against GNU wget (wget --recursive --level=inf --no-parent) on the same
# local site of linked pages, politeness delays off for both, in one run:
#   1. nginx on 127.0.0.1, no added latency: the cost is parsing, bookkeeping and writing;
#   2. tests/crawler/server.py with 20 ms latency per response: the crawler at --concurrency 8;
#   3. --delay 100ms: the smallest gap between two requests in the server's access log.
# Prints pages/s and the ratios. BENCH_PAGES (default 1000) sets the site's size.
set -u
: "${CR_BIN:?run through make bench}"
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PAGES=${BENCH_PAGES:-1000}
W=$(mktemp -d "${TMPDIR:-/tmp}/crbench.XXXXXX")
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null; done
    for pid in $pids; do wait "$pid" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT INT TERM
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    i=0
    while ! $PY -c "import socket; socket.create_connection(('127.0.0.1', $1))" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
    done
}
now() { date +%s.%N; }
count_pages() { find "$1" -type f \( -name '*.html' \) ! -path '*/.crawler-state/*' | wc -l; }
rate() { $PY -c "import sys; print('%.1f' % (int(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
ratio() { $PY -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

chmod 755 "$W" # nginx's workers run as nobody
# The site: the same generator as server.py --pages, written to files for nginx.
CRAWLER_TESTS="$root/tests/crawler" $PY - "$W/site" "$PAGES" <<'PYEOF'
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("server", os.path.join(os.environ["CRAWLER_TESTS"], "server.py"))
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)
out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(out, "p"))
for n in range(count):
    status, headers, body = server.generated("/p/%d.html" % n, count)
    with open(os.path.join(out, "p", "%d.html" % n), "wb") as f:
        f.write(body)
with open(os.path.join(out, "index.html"), "w") as f:
    f.write('<html><body><a href="p/0.html">start</a></body></html>\n')
PYEOF
echo "site: $PAGES linked pages + index ($(du -sh "$W/site" | cut -f1))"

# 1. nginx, no latency.
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    port=$(free_port)
    mkdir -p "$W/nginx/logs"
    cat >"$W/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $W/nginx/logs/error.log;
pid $W/nginx/nginx.pid;
events { worker_connections 256; }
http {
    types { text/html html; }
    access_log off;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$port;
        root $W/site;
    }
}
CONF
    "$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" 2>/dev/null &
    pids="$pids $!"
    wait_port "$port"
    # Three rounds, alternating, on a fresh folder each under $1: sets wget_rates, crawl_rates
    # (pages/s of each round) and crawl_pages.
    side_by_side() {
        wget_rates="" crawl_rates=""
        for round in 1 2 3; do
            t0=$(now)
            wget --recursive --level=inf --no-parent --quiet -P "$1/wget.$round" "http://127.0.0.1:$port/"
            t1=$(now)
            wget_rates="$wget_rates $(rate "$(count_pages "$1/wget.$round")" "$($PY -c "print($t1 - $t0)")")"
            t0=$(now)
            "$CR_BIN/crawler" --seeds "http://127.0.0.1:$port/" --out "$1/crawl.$round" --delay 0 --max-depth -1 \
                --concurrency 8 --per-host-concurrency 8 --quiet
            t1=$(now)
            crawl_pages=$(count_pages "$1/crawl.$round")
            crawl_rates="$crawl_rates $(rate "$crawl_pages" "$($PY -c "print($t1 - $t0)")")"
        done
    }
    side_by_side "$W/disk"
    wr=$(median $wget_rates); cr=$(median $crawl_rates)
    echo "nginx, no latency:   wget${wget_rates} pages/s (median $wr)   crawler${crawl_rates} pages/s (median $cr, $crawl_pages pages)   ratio $(ratio "$cr" "$wr")x (goal >= 1.0x)"
    # The same with both outputs on tmpfs: parsing and bookkeeping without the disk's cost of
    # creating and syncing files (the crawler creates two files a page and syncs them, as
    # SPEC.md and lib/fs.h ask; wget creates one and syncs none).
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then
        S=$(mktemp -d /dev/shm/crbench.XXXXXX)
        side_by_side "$S"
        rm -rf "$S"
        wr=$(median $wget_rates); cr=$(median $crawl_rates)
        echo "nginx, outputs on tmpfs: wget${wget_rates} pages/s (median $wr)   crawler${crawl_rates} pages/s (median $cr)   ratio $(ratio "$cr" "$wr")x"
    fi
else
    echo "nginx not installed (make deps installs nginx-light): zero-latency case skipped"
fi

# 2. 20 ms per response.
port=$(free_port)
$PY "$root/tests/crawler/server.py" --port "$port" --site "$W/site" --latency 20 &
pids="$pids $!"
wait_port "$port"
t0=$(now)
wget --recursive --level=inf --no-parent --quiet -P "$W/wget2" "http://127.0.0.1:$port/"
t1=$(now)
wget_pages=$(count_pages "$W/wget2")
wget_s=$($PY -c "print($t1 - $t0)")
t0=$(now)
"$CR_BIN/crawler" --seeds "http://127.0.0.1:$port/" --out "$W/crawl2" --delay 0 --max-depth -1 \
    --concurrency 8 --per-host-concurrency 8 --quiet
t1=$(now)
crawl_pages=$(count_pages "$W/crawl2")
crawl_s=$($PY -c "print($t1 - $t0)")
wr=$(rate "$wget_pages" "$wget_s"); cr=$(rate "$crawl_pages" "$crawl_s")
echo "20 ms latency:       wget $wget_pages pages ${wr}/s   crawler $crawl_pages pages ${cr}/s (--concurrency 8)   ratio $(ratio "$cr" "$wr")x (goal >= 6x)"

# 3. --delay 100ms, measured from the server's log.
port=$(free_port)
$PY "$root/tests/crawler/server.py" --port "$port" --pages "$PAGES" --log "$W/delay.log" &
pids="$pids $!"
wait_port "$port"
"$CR_BIN/crawler" --seeds "http://127.0.0.1:$port/p/0.html" --out "$W/crawl3" --delay 100ms --max-depth -1 \
    --max-pages 30 --concurrency 8 --per-host-concurrency 8 --quiet
gap=$(awk '{ if (n++) { g = ($1 - last) * 1000; if (min == "" || g < min) min = g } last = $1 } END { printf "%.1f", min }' "$W/delay.log")
echo "--delay 100ms:       $(wc -l <"$W/delay.log") requests, smallest gap between two ${gap} ms (goal >= 100 ms)"
