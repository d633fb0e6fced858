#!/bin/sh
# make demo: the seed's LAN-based Active/Active failover pair (seed 003) in
# the two-unit lab (topo.sh).
#   unit A (primary):   tests/data/seed/pix1_system_lan.cfg as its system
#                       space (less Ethernet4/5, which the lab lacks) and the
#                       seed's context1.cfg / context2.cfg;
#   unit B (secondary): bootstrapped with tests/data/seed/pix2_failover.cfg
#                       (plus `failover`), then the same running
#                       configuration (no replication needed for the demo).
# Both boot at the same time: group 1 (context1) goes active on A, group 2
# (context2) on B.  The demo shows `show failover` on both, passes TCP to
# www through context1's static, forces group 1 over to B with `no failover
# active group 1` on A, shows `show failover` again and fetches through B.
#   sh tests/lab/demo.sh [BUILD_DIR]      (default build)
# Environment: DEMO_KEEP=1 leaves the lab running; TOPO_LOG_LEVEL sets the
# daemons' log level.  `failover key *****` in the seed sets the literal
# key "*****" on both units.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
MCTX_BUILD=${1:-build}
. "$HERE/lib.sh"
. "$HERE/topo.sh"
: "${DEMO_KEEP:=0}"
SEED=$HERE/../data/seed

lab_need_root
lab_need_cmd socat timeout
lab_init demo
[ -x "$MCTX_BUILD/mctxd" ] || lab_fail "no $MCTX_BUILD/mctxd: run make first"
[ -x "$MCTX_BUILD/mctx" ] || lab_fail "no $MCTX_BUILD/mctx: run make first"
if topo_daemon_is_placeholder; then
	echo "demo: $MCTX_BUILD/mctxd is still the placeholder; nothing to show yet."
	exit 0
fi

topo_up

# console UNIT CMD: shows the command and its output like a session.
console() {
	local u
	u=$1; shift
	printf '\n===== unit %s > %s\n' "$u" "$*"
	topo_cli "$u" "$@" || lab_fail "unit $u: '$*' failed"
}

# paste UNIT [-C CONTEXT] < lines: one configuration session.
paste_cfg() {
	local u out
	u=$1; shift
	out=$({ [ "${1:-}" != -C ] || echo "changeto context $2"; echo "configure terminal"; cat; } |
		"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$u")" 2>&1 || true)
	if printf '%s\n' "$out" | grep -Eq "ERROR|Invalid input"; then
		printf '%s\n' "$out" >&2
		lab_fail "unit $u: configuration refused"
	fi
}

# Each unit's startup configuration goes into its flash through a first,
# lone run; then both boot together from it.
for u in A B; do
	topo_write_bootstrap "$u"
	topo_start_unit "$u"
	topo_wait_console "$u" 20 || lab_fail "unit $u: the console did not come up"
	if [ "$u" = B ]; then
		# The secondary's bootstrap, as in the seed.
		paste_cfg B <"$SEED/pix2_failover.cfg"
	fi
	# The primary's system space from the seed (its `failover` line held
	# back to the end; Ethernet4/5 do not exist in the lab).
	sed -e '/^interface Ethernet[45]$/,/^!/d' -e '/^failover$/d' \
	    -e "s/^failover lan unit primary/failover lan unit $( [ "$u" = A ] && echo primary || echo secondary)/" \
	    -e '/^[:!]/d' -e '/^PIX Version/d' -e '/^Cryptochecksum/d' \
	    "$SEED/pix1_system_lan.cfg" | paste_cfg "$u"
	paste_cfg "$u" -C context1 <"$SEED/context1.cfg"
	paste_cfg "$u" -C context2 <"$SEED/context2.cfg"
	printf 'failover\nwrite memory all\n' | paste_cfg "$u"
	topo_stop_unit "$u" || true
	topo_ctx_flush "$u"
done

topo_start_unit A
topo_start_unit B
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_wait_console B 20 || lab_fail "unit B did not start"
echo "waiting for the pair to settle (each group active on its preferred unit)..."
topo_fo_wait A 1 Active 40 || lab_fail "A: group 1 not Active"
topo_fo_wait B 2 Active 40 || lab_fail "B: group 2 not Active"
topo_fo_wait B 1 "Standby Ready" 40 || lab_fail "B: group 1 not Standby Ready"

console A show failover
console B show failover
console A show failover state

# Traffic: www on context1's inside host, fetched from the outside host
# through the static (172.16.1.1 -> 192.168.1.5).
lab_bg c1in "$LAB_DIR/www1.log" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo www-via-context1'
fetch() {
	lab_in c1out timeout 6 socat -u "TCP:$TOPO_C1_OUTSIDE_ACTIVE:80,connect-timeout=3" - 2>/dev/null | head -n 1 || true
}
sleep 0.3
printf '\n===== c1out: TCP to %s:80 (the static) -> "%s"\n' "$TOPO_C1_OUTSIDE_ACTIVE" "$(fetch)"

console A no failover active group 1
topo_fo_wait B 1 Active 20 || lab_fail "group 1 did not move to B"
console A show failover
console B show failover
console B show failover history
printf '\n===== c1out: TCP to %s:80 again, now through B -> "%s"\n' "$TOPO_C1_OUTSIDE_ACTIVE" "$(fetch)"
echo

if [ "$DEMO_KEEP" = 1 ]; then
	lab_keep
	echo "The lab $LAB_ID stays up."
	for u in A B; do
		echo "  unit $u console:   $MCTX_BUILD/mctx -S $(topo_console_socket "$u")"
		echo "  unit $u logs:      $(topo_unit_dir "$u")/"
	done
	echo "  a host's shell:    ip netns exec $(lab_nsname c1in) sh"
	echo "  cut failover link: ip -n $(lab_nsname sw) link set A_e3 down   (B_e3 for unit B)"
	echo "  tear down:         sh $HERE/teardown.sh $LAB_ID"
	exit 0
fi

for u in A B; do
	topo_stop_unit "$u" || lab_log "unit $u: mctxd exit status $? on SIGTERM"
done
topo_down
lab_log "demo done in $(lab_elapsed)"
