#!/bin/sh
# demo.sh — `make demo`: the whole pipeline on this machine, no internet needed.
# Serves Debian's Python documentation (python3.11-doc) on 127.0.0.1, starts the orchestrator
# on the committed pipeline.yaml (workspace ./data), drops a .urls file for that site and the
# project's own sources and docs into data/inbox/, follows the stages, waits for a trained
# checkpoint, prints samples and the validation loss beside a unigram baseline, and stops
# everything it started. A previous ./data is kept as ./data.previous.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
BIN=$top/bin
PY=/usr/bin/python3
SITE=/usr/share/doc/python3.11/html
WS=$top/data
LIMIT_S=${DEMO_LIMIT_S:-720} # the train stage trains for 2 minutes a run (pipeline.yaml: --time 2m)
server_pid=""
orch_pid=""

say() { printf '\033[1m%s\033[0m\n' "$*" 2>/dev/null || printf '%s\n' "$*"; }
[ -t 1 ] || say() { printf '%s\n' "$*"; }

stop_all() {
    if [ -n "$orch_pid" ] && kill -0 "$orch_pid" 2>/dev/null; then
        "$BIN/orchestrator" -c pipeline.yaml stop --timeout 60s >/dev/null 2>&1 || kill "$orch_pid" 2>/dev/null
        wait "$orch_pid" 2>/dev/null
    fi
    [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
    server_pid=""
    orch_pid=""
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

[ -d "$SITE" ] || { echo "demo: $SITE is missing: run make deps" >&2; exit 66; }
if [ -e "$WS" ]; then
    rm -rf "$top/data.previous"
    mv "$WS" "$top/data.previous"
    say "demo: kept the previous workspace as data.previous/"
fi
mkdir -p "$WS/inbox"

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY -m http.server --bind 127.0.0.1 --directory "$SITE" "$port" >"$top/data/.site.log" 2>&1 &
server_pid=$!
say "demo: serving $SITE on http://127.0.0.1:$port/ (pid $server_pid)"

"$BIN/orchestrator" -c pipeline.yaml start --foreground >"$WS/.orchestrator.log" 2>&1 &
orch_pid=$!
say "demo: orchestrator started on pipeline.yaml (pid $orch_pid, log data/.orchestrator.log)"
for _ in $(seq 100); do # its "started" line comes once the control socket and dashboard are up
    grep -q '^orchestrator: started' "$WS/.orchestrator.log" 2>/dev/null && break
    sleep 0.2
done

dashboard=$("$BIN/orchestrator" -c pipeline.yaml dashboard 2>&1)
case "$dashboard" in
    http*) say "demo: the live dashboard: $dashboard (open it in a browser while the demo runs)" ;;
    *) say "demo: no dashboard: $dashboard" ;;
esac

# The inputs: a crawl of the local site and the project's own sources and docs.
printf '# the Python tutorial, served on 127.0.0.1 by make demo\nhttp://127.0.0.1:%s/tutorial/index.html\n' "$port" \
    >"$WS/inbox/.site.urls.tmp" && mv "$WS/inbox/.site.urls.tmp" "$WS/inbox/site.urls"
count=0
for f in README.md docs/*.md lib/*.[ch] crawler/*.[ch] preprocess/*.[ch] tokenizer/*.[ch] \
    trainer/*.[ch] orchestrator/*.[ch]; do
    [ -f "$f" ] || continue
    name=$(printf '%s' "$f" | tr '/' '-')
    cp "$f" "$WS/inbox/.$name.tmp" && mv "$WS/inbox/.$name.tmp" "$WS/inbox/$name"
    count=$((count + 1))
done
say "demo: dropped site.urls and $count project files into data/inbox/"

# Follow the stages until a checkpoint exists and every stage is idle.
start=$(date +%s)
checkpoint=""
while :; do
    now=$(date +%s)
    elapsed=$((now - start))
    raw=$(ls "$WS/raw" 2>/dev/null | grep -c '\.html$')
    clean=$(ls "$WS/clean" 2>/dev/null | grep -c '\.txt$')
    shards=$(ls "$WS/tokens" 2>/dev/null | grep -c '\.bin$')
    failed=$(find "$WS/failed" -name '*.error' 2>/dev/null | wc -l)
    step=$(tail -n 1 "$WS/models/metrics.jsonl" 2>/dev/null | sed -n 's/.*"step":\([0-9]*\).*"loss":\([0-9.]*\).*/step \1 loss \2/p')
    line=$(printf '[%3ds] crawled %s  clean %s  shards %s  failed %s  %s%s' "$elapsed" "$raw" "$clean" "$shards" "$failed" "${step:-training not started}" "$(case "$dashboard" in http*) echo "  · $dashboard" ;; esac)")
    if [ -t 1 ]; then printf '\r\033[K%s' "$line"; else echo "$line"; fi
    # Done when a checkpoint exists and nothing is queued, running or retrying anywhere.
    if ls "$WS"/models/model_*.bin >/dev/null 2>&1 && "$BIN/orchestrator" -c pipeline.yaml status --json 2>/dev/null |
        $PY -c 'import json,sys; s=json.load(sys.stdin)["stages"]; sys.exit(any(x["queued"] or x["running"] or x["retrying"] for x in s))'; then
        checkpoint=$(ls "$WS"/models/model_*.bin | tail -n 1)
        break
    fi
    if ! kill -0 "$orch_pid" 2>/dev/null; then
        echo; echo "demo: the orchestrator stopped; see data/.orchestrator.log" >&2; exit 1
    fi
    if [ "$elapsed" -gt "$LIMIT_S" ]; then
        echo; echo "demo: no checkpoint after ${LIMIT_S}s; see data/.orchestrator.log and 'bin/orchestrator status'" >&2
        exit 1
    fi
    if [ -t 1 ]; then sleep 1; else sleep 5; fi
done
echo
say "demo: checkpoint $checkpoint"
"$BIN/orchestrator" -c pipeline.yaml status 2>/dev/null | sed 's/^/  /'

for prompt in "int main" "The"; do
    say "demo: trainer generate --prompt \"$prompt\""
    "$BIN/trainer" generate --model "$checkpoint" --tokenizer "$WS/tokens/tokenizer" \
        --prompt "$prompt" --max-tokens 120 --slide --seed 1
    echo
done

say "demo: validation loss (the held-back tail of each shard, never trained on) against a unigram baseline"
val=$(grep '"val_loss"' "$WS/models/metrics.jsonl" | tail -n 1 | sed -n 's/.*"step":\([0-9]*\).*"val_loss":\([0-9.]*\).*/\2 \1/p')
set -- $val
[ $# -eq 2 ] && $PY -c 'import math,sys; v=float(sys.argv[1]); print("  model   loss %.3f  (perplexity %.1f) at step %s, on up to 8192 tokens of that tail" % (v, math.exp(v), sys.argv[2]))' "$1" "$2"
vocab=$(sed -n 's/^vocab-size //p' "$WS/tokens/tokenizer")
$PY "$top/mk/unigram.py" "$WS/tokens" "$vocab" | sed 's/^/  /'

stop_all
cat <<EOF

Try next:
  - edit pipeline.yaml (stages, retry policy, training steps) and run: bin/orchestrator start
  - drop files into data/inbox/ (*.txt, *.md, *.html, *.c, or a *.urls list) and watch:
      bin/orchestrator status      bin/orchestrator logs train
  - run a stage by hand, e.g.:
      bin/preprocess README.md --out /tmp/clean
      bin/trainer generate --model $checkpoint --tokenizer data/tokens/tokenizer --prompt "def "
EOF
