# tap.sh — the one way crystalline writes a shell test (sourced by tests/*/test_*.sh).
#
#   . "$(dirname "$0")/../tap.sh"
#   check "crawler --help exits 0" "$CR_BIN/crawler" --help
#   expect_eq "page count" "$(ls out | wc -l)" 4
#   finish
#
# Each check prints "ok - name" or "not ok - name" (TAP) and tests/run.sh counts them.
# T is a fresh temporary folder, removed at exit; background servers started with
# start_bg are stopped by their PID at exit. KEEP_T=1 keeps T for a look after a failure.

set -u
: "${CR_BIN:?CR_BIN must name the folder of the built programs (make test sets it)}"
PY=/usr/bin/python3
TAP_PASSED=0
TAP_FAILED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/crtest.XXXXXX")
TAP_PIDS=""

tap_cleanup() {
    for pid in $TAP_PIDS; do kill "$pid" 2>/dev/null; done
    for pid in $TAP_PIDS; do wait "$pid" 2>/dev/null; done
    if [ -n "${KEEP_T:-}" ]; then echo "# kept $T (KEEP_T is set)"; else rm -rf "$T"; fi
}
trap tap_cleanup EXIT

ok() { TAP_PASSED=$((TAP_PASSED + 1)); echo "ok - $1"; }
not_ok() {
    TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok - $1"
    shift
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
}

# check NAME COMMAND...: passes when the command exits 0.
check() {
    name=$1; shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "exit $?: $(printf '%s' "$out" | tail -5)"; fi
}

# check_exit NAME STATUS COMMAND...: passes when the command exits with STATUS.
check_exit() {
    name=$1; want=$2; shift 2
    out=$("$@" 2>&1); got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, expected $want: $(printf '%s' "$out" | tail -5)"; fi
}

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:      $2" "expected: $3"; fi
}

# expect_match NAME TEXT PATTERN (grep -E)
expect_match() {
    if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1" "text: $(printf '%s' "$2" | head -5)" "does not match: $3"; fi
}

# start_bg COMMAND...: runs in the background, stopped by PID at exit; sets BG_PID.
start_bg() {
    "$@" &
    BG_PID=$!
    TAP_PIDS="$TAP_PIDS $BG_PID"
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until the command succeeds. The limit is
# multiplied by CR_TEST_TIME_SCALE (default 1; `make test SANITIZE=thread` sets it, as every
# instrumented process runs several times slower).
wait_for() {
    limit=$1; shift
    tries=$(($(printf '%.0f' "$limit") * 10 * ${CR_TEST_TIME_SCALE:-1}))
    while [ "$tries" -gt 0 ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

finish() {
    echo "# $TAP_PASSED passed, $TAP_FAILED failed"
    [ "$TAP_FAILED" = 0 ]
}
