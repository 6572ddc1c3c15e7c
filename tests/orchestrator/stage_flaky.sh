#!/bin/sh
# stage_flaky.sh STATE_DIR FAILS OUT_DIR INPUT — a test stage that fails FAILS times for each
# input, then copies it to OUT_DIR. Each attempt appends its start time (ns since the epoch) to
# STATE_DIR/NAME.times, so a test can check the delays between attempts.
set -eu
state=$1 fails=$2 out=$3 input=$4
name=$(basename "$input")
mkdir -p "$state" "$out"
date +%s%N >> "$state/$name.times"
attempt=$(wc -l < "$state/$name.times")
if [ "$attempt" -le "$fails" ]; then
    echo "flaky: attempt $attempt of $name fails on purpose" >&2
    exit 1
fi
cp "$input" "$out/$name.tmp.$$"
mv "$out/$name.tmp.$$" "$out/$name.out"
echo "done $name" >> "$out/done.log"
