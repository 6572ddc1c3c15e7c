# test_chain.sh — the whole chain, driven only by dropping files: a .urls file for a site that
# is down for the first attempts (retried, then crawled) and local files, among them a corrupt
# HTML file and a binary file (quarantined with a reason while the rest flows on), through
# preprocess, tokenize and train to a checkpoint and a generated sample. Then every input is
# accounted for.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/lib.sh"

$PY "$E2E/make_corpus.py" "$T" 4
write_config "$T/pipeline.yaml" 20
mkdir -p "$T/ws/inbox"
port=$(free_port)
# Connections are refused for the first 1.5 s: the crawler exits 75 and the orchestrator retries.
start_bg $PY "$E2E/../crawler/server.py" --port "$port" --site "$T/site" --start-after 1.5 --log "$T/site.log"

start_daemon "$T/pipeline.yaml" && ok "orchestrator starts in the foreground" || not_ok "orchestrator starts in the foreground"
for f in note0.txt note1.txt note2.txt readme.md program.c corrupt.html blob.txt; do
    mv "$T/inbox/$f" "$T/ws/inbox/$f"
done
printf 'http://127.0.0.1:%s/index.html\n' "$port" >"$T/site.urls"
mv "$T/site.urls" "$T/ws/inbox/site.urls"

wait_for 150 sh -c "ls '$T'/ws/models/model_*.bin && test \"\$('$ORCH' -c '$T/pipeline.yaml' status --json | $PY -c 'import json,sys; print(sum(x[\"done\"] for x in json.load(sys.stdin)[\"stages\"] if x[\"name\"]==\"train\"))')\" -ge 1" \
    && wait_for 60 idle "$T/pipeline.yaml"
ok_or_dump() { if "$@"; then return 0; fi; tail -30 "$T/orchestrator.log"; return 1; }
check "the chain reaches a checkpoint and goes idle" ok_or_dump idle "$T/pipeline.yaml"

crawl_exits=$(sqlite3 "$T/ws/.orchestrator/record.sqlite" "select group_concat(exit, ' ') from (select exit from runs where stage = 'crawl' order by id)")
expect_match "the crawl exited 75 while the site was down, then was retried to success" "$crawl_exits" '^75( 75)* 0$'
expect_eq "the crawl saved the index and its 4 pages" "$(ls "$T/ws/raw" | grep -c '\.html$')" 5
expect_eq "crawl stage done" "$(stage_count "$T/pipeline.yaml" crawl done)" 1

expect_eq "corrupt.html quarantined" "$(ls "$T"/ws/failed/preprocess/ 2>/dev/null | grep -c '^corrupt.html$')" 1
expect_eq "blob.txt quarantined" "$(ls "$T"/ws/failed/preprocess/ 2>/dev/null | grep -c '^blob.txt$')" 1
expect_match "the quarantine says why" "$(cat "$T"/ws/failed/preprocess/blob.txt.error 2>/dev/null)" 'binary'
expect_eq "the bad inputs were not retried (exit 65)" "$(stage_count "$T/pipeline.yaml" preprocess failed)" 2

expect_eq "10 clean documents (5 local, 5 crawled)" "$(ls "$T/ws/clean" | grep -c '\.txt$')" 10
counts=$(manifest_check "$T/ws")
expect_match "every clean document tokenized exactly once; shards hold the manifests' tokens" "$counts" '^10 [0-9]+$'
check "a checkpoint loads" "$CR_BIN/trainer" info "$T/ws/models"
sample=$("$CR_BIN/trainer" generate --model "$T/ws/models" --tokenizer "$T/ws/tokens/tokenizer" \
    --prompt "The" --max-tokens 20 --seed 1 2>/dev/null)
expect_match "a generated sample" "$sample" '^The.{5,}'
# The trainer encodes a prompt exactly as the tokenizer does (one reader, one encoder in lib/).
printf 'The river stone' >"$T/prompt.txt"
"$CR_BIN/tokenizer" encode --tokenizer "$T/ws/tokens/tokenizer" --out "$T/prompt-tokens" -q "$T/prompt.txt"
in_trainer=$("$CR_BIN/trainer" generate --model "$T/ws/models" --tokenizer "$T/ws/tokens/tokenizer" \
    --prompt "The river stone" --max-tokens 1 --seed 1 2>&1 >/dev/null | sed -n 's/.*prompt \([0-9]*\) tokens.*/\1/p')
expect_eq "the trainer's prompt has as many tokens as the tokenizer's encoding" "$in_trainer" \
    "$($PY -c 'import glob, sys, numpy as np; s = glob.glob(sys.argv[1] + "/*.bin")[0]; print(np.fromfile(s, dtype="<i4", count=3)[2] - 1)' "$T/prompt-tokens")"
expect_eq "every input accounted for" \
    "$(unaccounted "$T/ws" note0.txt note1.txt note2.txt readme.md program.c corrupt.html blob.txt site.urls)" ""
expect_eq "inputs are never deleted" "$(ls "$T/ws/inbox" | sort | tr '\n' ' ')" "note0.txt note1.txt note2.txt program.c readme.md site.urls "

"$ORCH" -c "$T/pipeline.yaml" stop --timeout 30s >/dev/null 2>&1
wait "$DAEMON_PID" 2>/dev/null
expect_eq "stop ends the daemon" "$(kill -0 "$DAEMON_PID" 2>/dev/null && echo running || echo stopped)" stopped
finish
