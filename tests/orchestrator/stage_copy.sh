#!/bin/sh
# stage_copy.sh OUT_DIR INPUT... — a test stage: copies each input to OUT_DIR/NAME.out
# atomically (write to a temporary name, then rename) and appends "done NAME" to
# OUT_DIR/done.log, so a test can count how many times each input reached the end.
set -eu
out=$1; shift
mkdir -p "$out"
for input in "$@"; do
    name=$(basename "$input")
    cp "$input" "$out/$name.tmp.$$"
    mv "$out/$name.tmp.$$" "$out/$name.out"
    echo "done $name" >> "$out/done.log"
done
