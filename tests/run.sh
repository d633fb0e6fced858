#!/bin/sh
# Runs every test and prints one closing line: "N passed, N failed, N skipped".
#   tests/run.sh BUILD_DIR [unit|lab|vm]
# Unit tests are cmocka binaries (each case counted); lab and VM tests are
# scripts (each counted once): exit 0 passed, 77 skipped (reason printed by
# the script), anything else failed.
set -u
B=${1:-build/asan}
WHAT=${2:-all}
export MCTX_BUILD="$B"
# Leak reports from short-lived test processes are real bugs too, but the
# lab's daemons are killed with signals; keep ASan quiet about leaks there.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0; fail=0; skip=0; failed_names=""

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
  for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$(CMOCKA_MESSAGE_OUTPUT=stdout timeout 300 "$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    [ "$f" -gt 0 ] && failed_names="$failed_names $(basename "$t")"
  done
fi

run_scripts() {
  for t in "$@"; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    echo "[ RUN      ] $name"
    timeout 900 sh "$t"; rc=$?
    case $rc in
      0)  echo "[       OK ] $name"; pass=$((pass + 1)) ;;
      77) echo "[  SKIPPED ] $name"; skip=$((skip + 1)) ;;
      *)  echo "[  FAILED  ] $name (exit $rc)"; fail=$((fail + 1))
          failed_names="$failed_names $name" ;;
    esac
  done
}
if [ "$WHAT" = all ] || [ "$WHAT" = lab ]; then
  run_scripts tests/lab/[0-9]*.sh
fi
if [ "$WHAT" = all ] || [ "$WHAT" = vm ]; then
  run_scripts tests/vm/[0-9]*.sh
fi

[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
