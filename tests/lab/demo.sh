#!/bin/sh
# make demo: builds the two-unit Active/Active lab of the seed's LAN-based
# failover example (see topo.sh), starts the daemons, shows a few console
# commands and tears everything down.
#   sh tests/lab/demo.sh [BUILD_DIR]      (default build)
# Environment: DEMO_KEEP=1 leaves the lab running and prints how to reach
# the consoles and how to tear it down; DEMO_UNITS (default "A") says which
# units get a daemon; TOPO_LOG_LEVEL sets the daemons' log level.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
MCTX_BUILD=${1:-build}
. "$HERE/lib.sh"
. "$HERE/topo.sh"
: "${DEMO_UNITS:=A}"
: "${DEMO_KEEP:=0}"

lab_need_root
lab_init demo
[ -x "$MCTX_BUILD/mctxd" ] || lab_fail "no $MCTX_BUILD/mctxd: run make first"
[ -x "$MCTX_BUILD/mctx" ] || lab_fail "no $MCTX_BUILD/mctx: run make first"
if topo_daemon_is_placeholder; then
	echo "demo: $MCTX_BUILD/mctxd is still the placeholder (it exits 0 without reading"
	echo "demo: its bootstrap); there is no daemon to show yet."
	exit 0
fi

topo_up
for u in A B; do
	topo_write_bootstrap "$u"
done
for u in $DEMO_UNITS; do
	topo_start_unit "$u"
done
for u in $DEMO_UNITS; do
	topo_wait_console "$u" 15 || lab_fail "unit $u: the console did not come up"
done

# console UNIT CMD: shows the command and its output like a session.
console() {
	local u
	u=$1; shift
	printf '\n===== unit %s (%s) > %s\n' "$u" "$(topo_unit_ns "$u")" "$*"
	topo_cli "$u" "$@" || lab_fail "unit $u: '$*' failed"
}
for u in $DEMO_UNITS; do
	console "$u" show version
	console "$u" show running-config
done
echo

if [ "$DEMO_KEEP" = 1 ]; then
	lab_keep
	echo "The lab $LAB_ID stays up."
	for u in $DEMO_UNITS; do
		echo "  unit $u console:   $MCTX_BUILD/mctx -S $(topo_console_socket "$u")"
		echo "  unit $u logs:      $(topo_unit_dir "$u")/"
	done
	echo "  namespaces:        $(lab_our_netns "$LAB_ID" | tr '\n' ' ')"
	echo "  a host's shell:    ip netns exec $(lab_nsname c1in) sh"
	echo "  cut failover link: ip -n $(lab_nsname sw) link set A_e3 down   (B_e3 for unit B)"
	echo "  tear down:         sh $HERE/teardown.sh $LAB_ID"
	exit 0
fi

for u in $DEMO_UNITS; do
	topo_stop_unit "$u" || lab_log "unit $u: mctxd exit status $? on SIGTERM"
done
topo_down
lab_log "demo done in $(lab_elapsed)"
