#!/bin/sh
# stage_exit.sh CODE OUT_DIR INPUT — a test stage: when INPUT contains "ok" it is copied to
# OUT_DIR; otherwise the stage complains on stderr and exits with CODE (65: bad data).
set -eu
code=$1 out=$2 input=$3
name=$(basename "$input")
if grep -q ok "$input"; then
    mkdir -p "$out"
    cp "$input" "$out/$name.out"
    echo "done $name" >> "$out/done.log"
    exit 0
fi
echo "stage_exit: $name: no 'ok' in it (bad data)" >&2
exit "$code"
