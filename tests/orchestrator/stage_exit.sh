#!/bin/sh
# stage_exit.sh CODE OUT_DIR INPUT... — a test stage: when every INPUT contains "ok" each is
# copied to OUT_DIR (and "done NAME" appended to OUT_DIR/done.log); otherwise the stage names
# the first bad input on stderr and exits with CODE (65: bad data), doing nothing.
set -eu
code=$1 out=$2; shift 2
for input in "$@"; do
    if ! grep -q ok "$input"; then
        echo "stage_exit: $(basename "$input"): no 'ok' in it (bad data)" >&2
        exit "$code"
    fi
done
mkdir -p "$out"
for input in "$@"; do
    name=$(basename "$input")
    cp "$input" "$out/$name.out"
    echo "done $name" >> "$out/done.log"
done
