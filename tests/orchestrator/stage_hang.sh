#!/bin/sh
# stage_hang.sh STATE_DIR OUT_DIR INPUT — a test stage whose first attempt hangs: it ignores
# SIGTERM (so only the orchestrator's SIGKILL ends it) and leaves a child sleeping, whose pid
# goes to STATE_DIR/NAME.sleeper. Later attempts copy INPUT to OUT_DIR.
set -eu
state=$1 out=$2 input=$3
name=$(basename "$input")
mkdir -p "$state" "$out"
echo x >> "$state/$name.attempts"
if [ "$(wc -l < "$state/$name.attempts")" -eq 1 ]; then
    trap '' TERM
    sleep 1000 &
    echo $! > "$state/$name.sleeper"
    echo "stage_hang: hanging on $name" >&2
    wait
fi
cp "$input" "$out/$name.out"
echo "done $name" >> "$out/done.log"
