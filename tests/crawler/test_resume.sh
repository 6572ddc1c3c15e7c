# test_resume.sh — SIGKILL at any moment, then the same command again: no saved page fetched
# again, none lost, the page limit holds; a save the killed run did not record is recovered.
. "$(dirname "$0")/../tap.sh"
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

PAGES=240
serve --pages $PAGES --latency 5 --log "$T/server.log"
ARGS="--seeds $BASE/p/0.html --delay 0 --concurrency 4 --per-host-concurrency 4 --max-depth -1 --quiet --json"
crawl() { "$CRAWLER" $ARGS "$@"; }
html_count() { ls "$1" 2>/dev/null | grep -c '\.html$'; }
# requests_after N: the paths the server answered after line N of its log
requests_after() { tail -n +$(($1 + 1)) server.log | awk '$2 == "GET" {print $3}' | sort; }
kill_when_saved() { # kill_when_saved DIR COUNT PID
    wait_for 30 sh -c "[ \$(ls $1 2>/dev/null | grep -c '\.html\$') -ge $2 ]"
    kill -9 "$3"
    wait "$3" 2>/dev/null
    sleep 0.3 # answers in flight reach the log before the mark
}

"$CRAWLER" $ARGS --out raw >/dev/null 2>&1 &
kill_when_saved raw 40 $!
killed_at=$(html_count raw)
check "killed in the middle ($killed_at of $PAGES pages saved)" test "$killed_at" -ge 40 -a "$killed_at" -lt $PAGES
# Saved = the .html is there (its meta is written first, so a meta alone is not a saved page).
for h in raw/*.html; do meta_field "${h%.html}.meta.json" url; done | sed "s|^$BASE||" | sort >saved-before.txt
mark=$(wc -l <server.log)

crawl --out raw >run2.json 2>run2.err
expect_eq "the same command again exits 0" "$?" 0
expect_eq "it says it resumed" "$(json_field run2.json resumed)" True
requests_after "$mark" >run2-paths.txt
expect_eq "no page saved before the kill is fetched again" "$(comm -12 saved-before.txt run2-paths.txt | wc -l | tr -d ' ')" 0
expect_eq "no page lost: every page saved" "$(html_count raw)" $PAGES
expect_eq "no page fetched twice by the second run" "$(uniq -d run2-paths.txt | wc -l | tr -d ' ')" 0
expect_eq "the crawl counts every page once" "$(json_field run2.json pages_in_generation)" $PAGES

# The page limit holds across a kill (a slower site, so that the kill lands mid-way).
main_base=$BASE
serve --pages $PAGES --latency 40 --log "$T/slow.log"
LIMITED="--seeds $BASE/p/0.html --delay 0 --concurrency 2 --per-host-concurrency 2 --max-depth -1 --quiet --json --max-pages 60"
"$CRAWLER" $LIMITED --out limited >/dev/null 2>&1 &
kill_when_saved limited 15 $!
killed_at=$(html_count limited)
check "page limit: killed before the limit ($killed_at pages)" test "$killed_at" -lt 60
"$CRAWLER" $LIMITED --out limited >limited.json 2>/dev/null
expect_eq "page limit: rerun exits 0" "$?" 0
expect_eq "page limit: exactly 60 pages over both runs" "$(html_count limited)" 60
expect_eq "page limit: the summary agrees" "$(json_field limited.json pages_in_generation)" 60

# SIGTERM: stops soon, keeps what it saved, exits 75; the next run completes the crawl.
serve --pages 100 --latency 40 --log "$T/term.log"
TERM_ARGS="--seeds $BASE/p/0.html --delay 0 --concurrency 2 --per-host-concurrency 2 --max-depth -1 --quiet --json"
"$CRAWLER" $TERM_ARGS --out term >term1.json 2>/dev/null &
pid=$!
wait_for 30 sh -c "[ \$(ls term 2>/dev/null | grep -c '\.html\$') -ge 10 ]"
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM: exit 75 (run again to continue)" "$?" 75
expect_eq "SIGTERM: the summary says interrupted" "$(json_field term1.json interrupted)" True
expect_eq "SIGTERM: every page it counted is on disk" "$(json_field term1.json pages_saved)" "$(html_count term)"
"$CRAWLER" $TERM_ARGS --out term >term2.json 2>/dev/null
expect_eq "after SIGTERM: the next run completes the crawl" "$(html_count term)" 100

# Killed between writing a page and recording it: the next run finds the file and counts the
# page as saved instead of fetching it again (simulated on the finished crawl's state).
BASE=$main_base
db=raw/.crawler-state/state.sqlite
sqlite3 "$db" "UPDATE pages SET state=1 WHERE url='$BASE/p/7.html'; UPDATE meta SET value=0 WHERE key='complete';"
mark=$(wc -l <server.log)
crawl --out raw >recover.json 2>/dev/null
expect_eq "recovery: exit 0" "$?" 0
expect_eq "recovery: the page is counted as saved" "$(json_field recover.json pages_recovered)" 1
expect_eq "recovery: nothing fetched again" "$(requests_after "$mark" | grep -c '^/p/')" 0
expect_eq "recovery: recorded as saved" "$(sqlite3 "$db" "SELECT state FROM pages WHERE url='$BASE/p/7.html'")" 2
finish
