#!/bin/sh
# The failover lab over SCTP: boots Debian's generic kernel (which has
# SCTP) under qemu (TCG), chroots into the host's / over 9p, and runs the
# two-unit failover lab tests there (tests/lab/3x_fo_*.sh, the same scripts
# this machine runs over the MPTCP/TCP fallback).  For every test it also
# checks, from both daemons' logs, that the failover link really used SCTP
# (MSG 920100 "failover link transport: sctp (...)") and never a fallback.
# Exit 0 pass, 77 skip (reason printed), anything else fail.
#
# Environment:
#   VM_LAB_BUILD   build the guest runs (default build, the release one,
#                  brought up to date with make first; build/asan works
#                  but is about twice as slow under TCG: about 90 s a test)
#   VM_LAB_TESTS   lab test numbers to run (default "30 32 33 35": about
#                  5 minutes; "30 31 32 33 35 37 38" passes too, 9 minutes)
#   VM_TIMEOUT     seconds for the whole guest run (default 600)
#   VM_TIME_SCALE  LAB_TIME_SCALE given to the lab tests (default 3)
#   VM_MEM_MB      guest memory (default 2048)
#   VM_FO_POLL_MS, VM_FO_HOLD_MS  the pair's unit poll/hold times in the
#                  guest (default 1000/5000; the lab's own are 200/800)
#   VM_LAB_DEFAULT_TIMERS  tests run with the lab's 200/800 ms because
#                  they assert that text (default "30")
#
# Why longer failover timers in the guest: under TCG the daemon's event
# loop stalls for seconds while it applies a context's configuration
# (namespaces, nftables, addresses), and a mate that hears no hello for
# 800 ms is declared failed, so the pair would flap on emulation speed
# alone.  The tests' own bounds follow TOPO_FO_HOLD_MS, and their waits
# are multiplied by LAB_TIME_SCALE (tests/lab/lib.sh).
set -eu
cd "$(dirname "$0")/../.."
B=${VM_LAB_BUILD:-build}
TESTS=${VM_LAB_TESTS:-30 32 33 35}
# make test builds only build/asan; the release daemon is ours to refresh.
if [ "$B" = build ] && [ -f Makefile ] && command -v make >/dev/null 2>&1; then
	make --no-print-directory -s build/mctxd build/mctx >/dev/null ||
		{ echo "vm: cannot build the release daemon (make build/mctxd)"; exit 1; }
fi
for f in mctxd mctx; do
	[ -x "$B/$f" ] || { echo "vm: $B/$f not built (make)"; exit 77; }
done
[ "$(uname -m)" = x86_64 ] || { echo "vm: needs an x86_64 host"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "vm: needs root (the guest chroots as root)"; exit 77; }
for n in $TESTS; do
	set -- tests/lab/"$n"_*.sh
	[ -f "$1" ] || { echo "vm: no lab test $n (tests/lab/${n}_*.sh)"; exit 1; }
done

# One guest at a time on this machine (the lock is outside the tree, so
# other checkouts' runs take turns too): two TCG guests on its cores halve
# each other's speed and the failover timers in them start to flap.  Taken
# before build-initrd.sh, which rebuilds build/vm/ in place.
command -v flock >/dev/null 2>&1 || { echo "vm: missing flock (util-linux)"; exit 77; }
exec 9>"${VM_LOCK:-/tmp/mctx-vm.lock}"
if ! flock -w "${VM_LOCK_WAIT:-300}" 9; then
	echo "vm: another VM test held ${VM_LOCK:-/tmp/mctx-vm.lock} for ${VM_LOCK_WAIT:-300}s"; exit 77
fi

set +e
paths=$(sh tests/vm/build-initrd.sh)
rc=$?
set -e
[ $rc -eq 0 ] || exit $rc
KERNEL=${paths% *}
INITRD=${paths#* }

RUN="$PWD/build/vm/lab-$$.sh"
LOG="$PWD/build/vm/lab-console-$$.log"
# The guest runs a copy of the binaries: a rebuild of $B during the run
# (others share this tree) must not change them under the 9p cache.
SNAP=build/vm/bin-$$
cleanup() { rm -rf "$RUN" "$SNAP"; }
trap cleanup EXIT INT TERM
mkdir -p "$SNAP"
cp "$B/mctxd" "$B/mctx" "$SNAP/"

# The guest script.  Each lab test keeps its work dir (LAB_KEEP_DIR=1, on
# the guest's tmpfs) so its daemon logs can be read afterwards; the per
# test verdict lines "VM-LAB <test> <rc> <transport A> <transport B> <secs>"
# are what this script reads back from the console.
cat > "$RUN" <<GUEST
cd "$PWD"
export MCTX_BUILD="$SNAP" LAB_TIME_SCALE=${VM_TIME_SCALE:-3} LAB_KEEP_DIR=1
default_timers=" ${VM_LAB_DEFAULT_TIMERS-30} "
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "vm: kernel \$(uname -r), \$(nproc) cpus"
# Transport a unit's daemon chose, from its MSG 920100 lines: "sctp", or
# every other transport it used, or "none".
transport_of() {
	t=\$(sed -n 's/.*-920100: failover link transport: \([a-z]*\).*/\1/p' "\$1" 2>/dev/null | sort -u | tr '\n' '+')
	t=\${t%+}
	echo "\${t:-none}"
}
fail=0
for n in $TESTS; do
	for f in tests/lab/\${n}_*.sh; do
		name=\$(basename "\$f" .sh)
		id="v\${n}x\$\$"
		t0=\$(date +%s)
		case \$default_timers in
		*" \$n "*) LAB_ID=\$id sh "\$f" ;;
		*) LAB_ID=\$id TOPO_FO_POLL_MS=${VM_FO_POLL_MS:-1000} \\
			TOPO_FO_HOLD_MS=${VM_FO_HOLD_MS:-5000} sh "\$f" ;;
		esac
		rc=\$?
		secs=\$(( \$(date +%s) - t0 ))
		dir=/tmp/mctx-lab-\$id
		ta=\$(transport_of "\$dir/uA/mctxd.log")
		tb=\$(transport_of "\$dir/uB/mctxd.log")
		if [ "\$rc" != 0 ]; then
			for o in "\$dir"/u?/stdout.log; do
				echo "----- \$o"; tail -n 20 "\$o"
			done
		fi
		echo "VM-LAB \$name \$rc \$ta \$tb \$secs"
		rm -rf "\$dir"
	done
done
GUEST

echo "vm: booting $(basename "$KERNEL") (TCG) for lab tests: $TESTS (build $B)"
t0=$(date +%s)
set +e
timeout "${VM_TIMEOUT:-600}" qemu-system-x86_64 -machine q35,accel=tcg -m "${VM_MEM_MB:-2048}" \
	-smp 2 -kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 quiet mctx.run=$RUN" \
	-nographic -no-reboot -monitor none \
	-virtfs local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap \
	> "$LOG" 2>&1
qrc=$?
set -e
wall=$(( $(date +%s) - t0 ))
sed -n '/vm: running/,$p' "$LOG" | tr -d '\r' | grep -v '^\s*$' |
	grep -v '^VM-LAB ' | tail -n 200
code=$(sed -n 's/.*VM-EXIT-CODE=\([0-9]*\).*/\1/p' "$LOG" | tail -1)
if [ -z "$code" ] && ! grep -q '^VM-LAB ' "$LOG"; then
	if [ $qrc -eq 124 ]; then
		echo "vm: guest did not finish within ${VM_TIMEOUT:-600}s; console: $LOG"; exit 1
	fi
	echo "vm: guest did not boot (qemu exit $qrc); console: $LOG"
	tail -20 "$LOG"
	exit 77
fi

# Verdicts: a lab test passes here only if it passed in the guest AND both
# daemons used SCTP.  A test that skipped in the guest is a failure: the
# guest has everything the lab needs.
failed=0 passed=0
echo "vm: results (guest wall time ${wall}s):"
for n in $TESTS; do
	for f in tests/lab/"$n"_*.sh; do
		name=$(basename "$f" .sh)
		line=$(tr -d '\r' <"$LOG" | grep "^VM-LAB $name " | tail -1 || true)
		if [ -z "$line" ]; then
			echo "  $name: did not run (guest stopped early)"
			failed=$((failed + 1)); continue
		fi
		# shellcheck disable=SC2086
		set -- $line
		rc=$3 ta=$4 tb=$5 secs=$6
		verdict=PASS
		[ "$rc" = 0 ] || verdict="FAIL (exit $rc)"
		if [ "$rc" = 0 ] && { [ "$ta" != sctp ] || [ "$tb" != sctp ]; }; then
			verdict="FAIL (transport A=$ta B=$tb, want sctp)"
		fi
		echo "  $name: $verdict, transport A=$ta B=$tb, ${secs}s"
		if [ "$verdict" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
	done
done
echo "vm: $passed passed, $failed failed over SCTP"
[ $failed -eq 0 ] || { echo "vm: console kept: $LOG"; exit 1; }
rm -f "$LOG"
exit 0
