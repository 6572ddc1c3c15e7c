#!/bin/sh
# bench.sh — the orchestrator against a shell loop over `inotifywait -m` (inotify-tools)
# running the same no-op stage, side by side in one run:
#   1. latency from a file's close to its stage's start (median, p99), one file at a time;
#   2. throughput of 10,000 files dropped at once through a no-op stage (/bin/true), one run
#      per file, then batched (up to 500 files per run).
# Figures are noisy on a shared machine; the ratios matter more than the absolute numbers.
# FILES=N changes the 10,000; LATENCY_FILES=N the 200 of part 1.
set -u
: "${CR_BIN:?}"
ORCH="$CR_BIN/orchestrator"
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
FILES=${FILES:-10000}
LATENCY_FILES=${LATENCY_FILES:-200}
command -v inotifywait >/dev/null || { echo "bench: inotifywait missing (apt-get install inotify-tools)"; exit 1; }
B=""
ALL_B=""
LOOP_PID=""
cleanup() {
    [ -n "$LOOP_PID" ] && kill "$LOOP_PID" 2>/dev/null
    for b in $ALL_B; do
        for c in "$b"/*.yaml; do [ -f "$c" ] && "$ORCH" -c "$c" stop --timeout 5s >/dev/null 2>&1; done
    done
    pkill -P $$ inotifywait 2>/dev/null
    for b in $ALL_B; do rm -rf "$b"; done
}
trap cleanup EXIT

# write_files FOLDER COUNT GAP_MS CLOSES: writes COUNT files, GAP_MS apart, appending each
# file's close time (ns) to CLOSES as "name time".
write_files() {
    $PY - "$@" <<'PYEOF'
import os, sys, time
folder, count, gap, closes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000, sys.argv[4]
out = []
for i in range(count):
    name = "f%05d.txt" % i
    f = open(os.path.join(folder, name), "w")
    f.write("file %d\n" % i)
    f.flush()
    closing = time.time_ns()  # just before close(2), whose event wakes the watcher
    f.close()
    out.append("%s %d\n" % (name, closing))
    if gap:
        time.sleep(gap)
open(closes, "w").writelines(out)
PYEOF
}

# stats CLOSES STARTS: STARTS holds "name time" of each stage start; prints median and p99 ms.
stats() {
    $PY - "$1" "$2" <<'PYEOF'
import sys
closes = dict(l.split() for l in open(sys.argv[1]))
lat = sorted((int(t) - int(closes[n])) / 1e6 for n, t in (l.split() for l in open(sys.argv[2])) if n in closes)
if not lat:
    print("nan nan 0"); sys.exit()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print("%.2f %.2f %d" % (p(0.5), p(0.99), len(lat)))
PYEOF
}

# ---- the reference: a shell loop over inotifywait -m ----
# loop_start FOLDER MODE OUT: MODE "stamp" runs `date +%s%N` per file (its output is the start
# time), "true" runs /bin/true per file, "batch" runs /bin/true on up to 500 files at once.
loop_start() {
    folder=$1 mode=$2 out=$3
    mkdir -p "$folder" "$out"
    case $mode in
    stamp)
        inotifywait -m -q -e close_write,moved_to --format '%f' "$folder" | while read -r f; do
            printf '%s %s\n' "$f" "$(/bin/date +%s%N)" >> "$out/starts"
        done &
        ;;
    true)
        inotifywait -m -q -e close_write,moved_to --format '%f' "$folder" | while read -r f; do
            /bin/true "$folder/$f"
            echo "$f" >> "$out/done"
        done &
        ;;
    batch)
        inotifywait -m -q -e close_write,moved_to --format '%f' "$folder" | bash -c '
            folder=$1 out=$2
            while read -r f; do
                batch=("$folder/$f")
                while [ ${#batch[@]} -lt 500 ] && read -r -t 0.05 g; do batch+=("$folder/$g"); done
                /bin/true "${batch[@]}"
                printf "%s\n" "${batch[@]}" >> "$out/done"
            done' _ "$folder" "$out" &
        ;;
    esac
    LOOP_PID=$!
    sleep 0.5 # inotifywait sets up its watch
}
loop_stop() { kill "$LOOP_PID" 2>/dev/null; pkill -P $$ inotifywait 2>/dev/null; LOOP_PID=""; sleep 0.2; }

# ---- the orchestrator ----
# orch_config NAME RUN_ARGV [EXTRA]: a config with one stage "noop" watching NAME/in.
orch_config() {
    mkdir -p "$B/$1"
    cat > "$B/$1.yaml" <<YAML
workspace: $1
concurrency: ${CONCURRENCY:-1}
stages:
  - name: noop
    watch: in
    run: $2
${3:-}
YAML
}
orch_done() { # CONFIG: count of done items
    $PY - "$(dirname "$1")/$(basename "$1" .yaml)/.orchestrator/record.sqlite" <<'PYEOF'
import sqlite3, sys
try:
    print(sqlite3.connect(sys.argv[1], timeout=10).execute("SELECT COUNT(*) FROM items WHERE state='done'").fetchone()[0])
except Exception:
    print(0)
PYEOF
}
wait_count() { # COMMAND... until it prints >= $WANT, at most 600 s; prints elapsed seconds
    start=$(date +%s%N)
    while [ "$("$@")" -lt "$WANT" ]; do
        sleep 0.05
        [ $(( ($(date +%s%N) - start) / 1000000000 )) -lt 600 ] || { echo "timeout"; return 1; }
    done
}
lines_of() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

ratio() { $PY -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b) if b else 'n/a')" "$1" "$2"; }

bench_in() { # FOLDER LABEL: the whole comparison with workspaces under FOLDER
B=$(mktemp -d "$1/crbench.XXXXXX")
ALL_B="$ALL_B $B"
echo "== workspaces on $2 ($1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. Latency close -> start, one file every 20 ms.
echo "-- latency from close to stage start ($LATENCY_FILES files, 20 ms apart, no settle)"
loop_start "$B/lat-loop/in" stamp "$B/lat-loop"
write_files "$B/lat-loop/in" "$LATENCY_FILES" 20 "$B/lat-loop.closes"
WANT=$LATENCY_FILES wait_count lines_of "$B/lat-loop/starts" >/dev/null
loop_stop
set -- $(stats "$B/lat-loop.closes" "$B/lat-loop/starts")
loop_median=$1 loop_p99=$2
printf '  inotifywait loop : median %6.2f ms   p99 %6.2f ms\n' "$loop_median" "$loop_p99"

orch_config lat '[/bin/date, "+%s%N"]'
"$ORCH" -c "$B/lat.yaml" start >/dev/null
write_files "$B/lat/in" "$LATENCY_FILES" 20 "$B/lat.closes"
WANT=$LATENCY_FILES wait_count orch_done "$B/lat.yaml" >/dev/null
"$ORCH" -c "$B/lat.yaml" stop >/dev/null
# Each run's log holds its start time; the record maps run -> input.
$PY - "$B/lat" > "$B/lat.starts" <<'PYEOF'
import os, sqlite3, sys
ws = sys.argv[1]
db = sqlite3.connect(os.path.join(ws, ".orchestrator/record.sqlite"))
for first, log in db.execute("SELECT first_input, log FROM runs WHERE outcome='ok'"):
    print(os.path.basename(first), open(os.path.join(ws, log)).read().strip())
PYEOF
set -- $(stats "$B/lat.closes" "$B/lat.starts")
orch_median=$1 orch_p99=$2
printf '  orchestrator     : median %6.2f ms   p99 %6.2f ms   (median %s of the loop'"'"'s)\n' \
    "$orch_median" "$orch_p99" "$(ratio "$orch_median" "$loop_median")"

# 2. Throughput: FILES files at once through /bin/true.
throughput() { # label loop-mode orch-run orch-extra
    label=$1
    echo "-- throughput: $FILES files dropped at once, $label"
    loop_start "$B/$2-loop/in" "$2" "$B/$2-loop"
    t0=$(date +%s%N)
    write_files "$B/$2-loop/in" "$FILES" 0 "$B/$2-loop.closes"
    WANT=$FILES wait_count lines_of "$B/$2-loop/done" >/dev/null
    loop_s=$($PY -c "import sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9))" "$t0" "$(date +%s%N)")
    loop_stop
    printf '  inotifywait loop : %7.2f s   %8.0f files/s\n' "$loop_s" "$($PY -c "print($FILES / $loop_s)")"

    orch_config "$2-orch" "$3" "$4"
    "$ORCH" -c "$B/$2-orch.yaml" start >/dev/null
    t0=$(date +%s%N)
    write_files "$B/$2-orch/in" "$FILES" 0 "$B/$2-orch.closes"
    WANT=$FILES wait_count orch_done "$B/$2-orch.yaml" >/dev/null
    orch_s=$($PY -c "import sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9))" "$t0" "$(date +%s%N)")
    runs=$($PY -c "import sqlite3,sys; print('%d runs (%d not ok)' % sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*), COUNT(*) - SUM(outcome = \'ok\') FROM runs').fetchone())" "$B/$2-orch/.orchestrator/record.sqlite")
    "$ORCH" -c "$B/$2-orch.yaml" stop >/dev/null
    printf '  orchestrator     : %7.2f s   %8.0f files/s   %s   (time %s of the loop'"'"'s)\n' \
        "$orch_s" "$($PY -c "print($FILES / $orch_s)")" "$runs" "$(ratio "$orch_s" "$loop_s")"
}
throughput "one run per file (concurrency 1 for both)" true '[/bin/true, "{input}"]' ""
throughput "batched (up to 500 files per run; both gather for 50 ms)" batch '[/bin/true, "{inputs}"]' "    batch: {max_files: 500, settle: 50ms}"
}

echo "orchestrator bench: shared machine, figures are noisy; ratios are orchestrator/loop"
bench_in "${TMPDIR:-/tmp}" "disk"
# tmpfs too: on a disk, creating each run's log file (an inode) is a large part of the cost.
[ -d /dev/shm ] && [ -w /dev/shm ] && bench_in /dev/shm "tmpfs"
