#!/bin/sh
# stage_slow.sh SECONDS OUT_DIR INPUT... — a test stage that takes SECONDS, then copies each
# input to OUT_DIR atomically and appends "done NAME" to OUT_DIR/done.log. It logs
# "start NAME" to OUT_DIR/start.log first, so a test can see a run in flight.
set -eu
seconds=$1 out=$2; shift 2
mkdir -p "$out"
for input in "$@"; do echo "start $(basename "$input")" >> "$out/start.log"; done
sleep "$seconds"
for input in "$@"; do
    name=$(basename "$input")
    cp "$input" "$out/$name.tmp.$$"
    mv "$out/$name.tmp.$$" "$out/$name.out"
    echo "done $name" >> "$out/done.log"
done
