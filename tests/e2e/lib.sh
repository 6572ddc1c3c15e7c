# lib.sh — helpers of the end-to-end tests (sourced after tests/tap.sh): a test pipeline
# config with tiny stages, the daemon's start and stop, and the accounting of every input.
E2E=$(cd "$(dirname "$0")" && pwd)
ORCH="$CR_BIN/orchestrator"
DAEMON_PID=""

# write_config FILE [TRAIN_STEPS]: the committed pipeline's stages, sized for a test.
write_config() {
    cat >"$1" <<YAML
workspace: ./ws
defaults:
  retry: {max_attempts: 6, delay: 300ms, backoff: 2.0, max_delay: 2s, jitter: 0}
  timeout: 2m
stages:
  - name: crawl
    watch: inbox
    match: ["*.urls"]
    run: [crawler, --seeds, "{input}", --out, raw, --delay, "0", --retries, "0", --max-pages, "20"]
  - name: preprocess
    watch: [inbox, raw]
    match: ["*.html", "*.htm", "*.txt", "*.md", "*.c", "*.h"]
    run: [preprocess, "{input}", --out, clean, --min-words, "20"]
  - name: tokenize
    watch: clean
    match: ["*.txt"]
    batch: {max_files: 500, settle: 1s}
    run: [tokenizer, encode, --tokenizer, tokens/tokenizer, --train-if-missing, --vocab-size, "320",
          --min-frequency, "1", --train-from, clean, --out, tokens, "{inputs}"]
  - name: train
    watch: tokens
    match: ["*.bin"]
    settle: 1s
    concurrency: 1
    run: [trainer, train, --data, tokens, --out, models, --resume, --steps, "+${2:-20}",
          --layers, "1", --channels, "32", --heads, "2", --seq-len, "16", --batch, "12",
          --val-every, "0", --checkpoint-every, "5", --log-every, "1", --threads, "2"]
YAML
}

start_daemon() { # start_daemon CONFIG: in the foreground mode, in the background
    "$ORCH" -c "$1" start --foreground >>"$T/orchestrator.log" 2>&1 &
    DAEMON_PID=$!
    TAP_PIDS="$TAP_PIDS $DAEMON_PID"
    wait_for 10 "$ORCH" -c "$1" status
}

# idle CONFIG: true when no stage has anything queued, running or retrying, twice 2.5 s
# apart (longer than any settle time of the test config, so nothing is about to start).
idle() {
    idle_once "$1" && sleep 2.5 && idle_once "$1"
}
idle_once() {
    "$ORCH" -c "$1" status --json 2>/dev/null | $PY -c '
import json, sys
s = json.load(sys.stdin)["stages"]
sys.exit(1 if any(x["queued"] or x["running"] or x["retrying"] for x in s) else 0)'
}

# stage_count CONFIG STAGE FIELD: a count from status --json (done, failed, ...).
stage_count() {
    "$ORCH" -c "$1" status --json | $PY -c '
import json, sys
for x in json.load(sys.stdin)["stages"]:
    if x["name"] == sys.argv[1]:
        print(x[sys.argv[2]])' "$2" "$3"
}

# manifest_check WS: every document tokenized once, and the shards hold exactly the
# manifests' tokens. Prints "DOCS TOKENS".
manifest_check() {
    $PY - "$1" <<'PY'
import glob, os, sys
import numpy as np
ws = sys.argv[1]
docs, tokens = {}, 0
for m in glob.glob(os.path.join(ws, "tokens", "*.manifest.tsv")):
    for line in open(m):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        if f[0] in docs:
            sys.exit("document %s tokenized twice (%s and %s)" % (f[0], docs[f[0]], m))
        docs[f[0]] = m
        tokens += int(f[2])
in_shards = 0
for s in glob.glob(os.path.join(ws, "tokens", "*.bin")):
    in_shards += int(np.fromfile(s, dtype="<i4", count=3)[2])
if in_shards != tokens:
    sys.exit("shards hold %d tokens, manifests say %d" % (in_shards, tokens))
print(len(docs), tokens)
PY
}

# accounted WS INBOX_FILES...: every input dropped into inbox is done (in an output) or in
# failed/ with a .error; prints the ones that are neither.
unaccounted() {
    ws=$1; shift
    for name in "$@"; do
        if ls "$ws"/failed/*/"$name.error" >/dev/null 2>&1; then continue; fi
        if grep -lF "inbox/$name\"" "$ws"/clean/*.meta.json >/dev/null 2>&1; then continue; fi
        case "$name" in *.urls) [ -n "$(ls "$ws/raw" 2>/dev/null | grep '\.html$')" ] && continue ;; esac
        echo "$name"
    done
}
