#!/bin/sh
# run.sh — `make bench`: runs bench/*/bench.sh in turn (BENCH=name picks some). Benchmarks
# measure and print ratios against a reference run in the same invocation; they never decide
# whether the build is good, so a slow figure is printed, not failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${CR_BIN:?}"
export CR_BIN
for script in "$here"/*/bench.sh; do
    [ -e "$script" ] || continue
    name=$(basename "$(dirname "$script")")
    if [ $# -gt 0 ]; then
        keep=0
        for pattern in "$@"; do case "$name" in *"$pattern"*) keep=1 ;; esac; done
        [ $keep = 1 ] || continue
    fi
    echo "=== bench: $name ($(date -u +%H:%M:%S))"
    (cd "$here/.." && sh "$script") || echo "=== bench $name exited with status $?"
done
