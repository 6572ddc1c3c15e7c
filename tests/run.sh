#!/bin/sh
# run.sh — runs every test file and prints the closing "N passed, N failed".
# C tests: the binaries built from tests/*/test_*.c; shell tests: tests/*/test_*.sh.
# Each prints TAP lines ("ok - name" / "not ok - name"); a file that exits non-zero without
# reporting a failure (a crash, a timeout) counts as one failure. A TAP skip ("ok - name
# # SKIP why": this machine cannot run it) is counted apart, neither passed nor failed.
# Arguments filter by path.
# Each file runs under a time limit (CR_TEST_TIMEOUT, default 600 s).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${CR_BUILD:?}" "${CR_BIN:?}"
export CR_BIN CR_BUILD
timeout_s=${CR_TEST_TIMEOUT:-600}
passed=0
failed=0
skipped=0
failed_files=""
log=$(mktemp)
# A sanitizer build that logs its reports to files (SANITIZE=thread, see the Makefile): each
# report a test file leaves counts as one failure of that file, whatever its own exit status.
reports=${CR_SANITIZER_REPORTS:-}
if [ -n "$reports" ]; then
    mkdir -p "$reports" && rm -f "$reports"/tsan.*
fi

files=$( (find "$CR_BUILD/tests" -type f -name 'test_*' ! -name '*.o' ! -name '*.d' ! -name '*.tmp.*' 2>/dev/null;
          find "$here" -mindepth 2 -name 'test_*.sh') | sort)
for file in $files; do
    if [ $# -gt 0 ]; then
        keep=0
        for pattern in "$@"; do case "$file" in *"$pattern"*) keep=1 ;; esac; done
        [ $keep = 1 ] || continue
    fi
    case "$file" in
        *.sh) name=${file#"$here"/}; runner="sh" ;;
        *) name=${file#"$CR_BUILD"/}; runner="" ;;
    esac
    echo "== $name"
    start=$(date +%s)
    (cd "$here/.." && timeout -k 10 "$timeout_s" $runner "$file") >"$log" 2>&1
    status=$?
    cat "$log"
    file_skipped=$(grep -c '^ok .*# SKIP' "$log")
    file_passed=$(($(grep -c '^ok ' "$log") - file_skipped))
    file_failed=$(grep -c '^not ok ' "$log")
    if [ "$status" != 0 ] && [ "$file_failed" = 0 ]; then
        echo "not ok - $name exited with status $status"
        file_failed=1
    fi
    if [ -n "$reports" ]; then
        for report in "$reports"/tsan.*; do
            [ -f "$report" ] || continue
            cat "$report"
            echo "not ok - $name: sanitizer report $(basename "$report")"
            file_failed=$((file_failed + 1))
            mv -f "$report" "$reports/seen-$(basename "$name")-$(basename "$report")"
        done
    fi
    passed=$((passed + file_passed))
    skipped=$((skipped + file_skipped))
    failed=$((failed + file_failed))
    [ "$file_failed" = 0 ] || failed_files="$failed_files $name"
    echo "   ($(( $(date +%s) - start ))s)"
done
rm -f "$log"
[ -z "$failed_files" ] || echo "failed in:$failed_files"
[ "$skipped" = 0 ] || echo "$skipped skipped (this machine cannot run them: grep '# SKIP' above)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
