#!/bin/sh
# stage_hold.sh RELEASE OUT_DIR INPUT — a test stage that stays running until the file RELEASE
# exists (at most 60 s), then copies INPUT to OUT_DIR and appends "done NAME" to its done.log.
# It lets a test look at a run in flight without racing it.
set -eu
release=$1 out=$2 input=$3
name=$(basename "$input")
mkdir -p "$out"
echo "start $name" >> "$out/start.log"
n=0
while [ ! -e "$release" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
cp "$input" "$out/$name.out"
echo "done $name" >> "$out/done.log"
