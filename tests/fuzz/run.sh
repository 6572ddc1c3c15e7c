#!/bin/sh
# run.sh — `make fuzz`: runs each libFuzzer harness for a number of seconds, one after the
# other (nice'd: the machine is shared), over a copy of its committed corpus so that the inputs
# it discovers stay in build/fuzz/work/NAME and not in git. Prints one summary line per harness
# (executions, seconds, corpus size, crash or not). A crash's input is left in
# build/fuzz/crashes/: once fixed, commit it to tests/fuzz/corpus/NAME/ so `make test` replays it.
# An input that takes longer than FUZZ_TIMEOUT_S (default 30 s) counts as a hang: on a loaded
# machine ASan's allocator alone has stalled a fast input for 12 s, hence not less.
# Usage: run.sh BINDIR SECONDS NAME...
set -u
bindir=$1
seconds=$2
shift 2
root=$(dirname "$bindir")
mkdir -p "$root/work" "$root/crashes" "$root/logs"
found=0
for name in "$@"; do
    bin="$bindir/fuzz_$name"
    corpus="tests/fuzz/corpus/$name"
    work="$root/work/$name"
    log="$root/logs/$name.log"
    mkdir -p "$work"
    echo "== fuzz $name for ${seconds}s (log: $log)"
    nice -n 10 "$bin" -max_total_time="$seconds" -timeout=${FUZZ_TIMEOUT_S:-30} -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$root/crashes/$name-" "$work" "$corpus" \
        >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    units=$(ls "$work" | wc -l)
    if [ "$status" = 0 ]; then
        echo "ok - $name: ${runs:-?} executions in ${took:-?}s, $cov, $units inputs in $work"
    else
        found=$((found + 1))
        echo "not ok - $name: exit $status after ${runs:-?} executions, $cov"
        grep -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|Test unit written|^ALARM|deadly signal' "$log" |
            head -n 6 | sed 's/^/# /'
    fi
done
[ "$found" = 0 ] || echo "$found harness(es) found a crash: inputs in $root/crashes/"
[ "$found" = 0 ]
