#!/bin/sh
# Failover: interface monitoring (seed 003, "monitor-interface",
# "interface-policy"; issue 4 item 5).  A is active for both groups, B
# standby; both monitor context1's and context2's inside and outside.
#   - with the pair formed, every monitored interface is Normal on both
#     units (hellos over each data interface);
#   - pulling A's context1 inside cable (Ethernet0.1 at the switch) makes
#     that interface "No Link" on A: group 1 (policy 1) moves to B, group 2
#     stays on A;
#   - B shows A's context1 inside as failed, its own as Normal.
# Skips while the daemon has no `show monitor-interface`.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_init 36_fo_monitor_if
topo_need_daemon
grep -aq "monitor-interface" "$MCTX_BUILD/mctxd" ||
	lab_skip "$MCTX_BUILD/mctxd has no monitor-interface support yet"
topo_up
topo_fo_prepare A
topo_fo_prepare B

# ctx_cli UNIT CONTEXT CMD: one command inside a context.
ctx_cli() {
	local u c
	u=$1; c=$2; shift 2
	printf 'changeto context %s\n%s\n' "$c" "$*" |
		"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$u")" 2>&1 || true
}

topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 1 Active 15 || lab_fail "A: group 1 not Active"
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait B 1 "Standby Ready" 30 || lab_fail "B: group 1 not Standby Ready"
topo_fo_wait B 2 "Standby Ready" 30 || lab_fail "B: group 2 not Standby Ready"

# Hellos on the data interfaces: Normal everywhere (default interface poll
# 5 s: the first hello of each side goes out at once).
lab_wait_for "ctx_cli A context1 show monitor-interface | grep -q 'Interface inside (192.168.1.1): Normal'" 20 ||
	{ ctx_cli A context1 show monitor-interface >&2; lab_fail "A: context1 inside not Normal"; }
# B hears A's hello at about the time A hears B's: wait for it too.
lab_wait_for "ctx_cli B context1 show monitor-interface | grep -q 'Interface inside (192.168.1.2): Normal'" 20 ||
	{ ctx_cli B context1 show monitor-interface >&2; lab_fail "B: context1 inside not Normal"; }
out=$(ctx_cli B context1 show monitor-interface)
lab_assert_contains "$out" "Interface inside \(192\.168\.1\.2\): Normal" "B: context1 inside Normal"
lab_assert_contains "$out" "Interface outside \(172\.16\.1\.2\): Normal" "B: context1 outside Normal"
out=$(topo_cli A show failover)
lab_assert_contains "$out" "context2 Interface outside \(172\.16\.2\.1\): Normal" "show failover lists context2"
lab_assert_contains "$out" "Interface Policy 1" "default interface-policy"

# Pull A's context1 inside cable.
topo_data_link A Ethernet0.1 down
topo_fo_wait B 1 Active 10 || { topo_cli A show failover >&2; lab_fail "group 1 did not move to B"; }
lab_assert_eq "$(topo_fo_state A 2)" Active "group 2 stays on A"
out=$(ctx_cli A context1 show monitor-interface)
lab_assert_contains "$out" "Interface inside \(192\.168\.1\.[12]\): (No Link|Failed)" "A: context1 inside failed"
lab_assert_contains "$(topo_cli A show failover state)" "Group 1 +Failed|Interface check" "A: group 1 failed by the interface check"
topo_fo_log_has A 920200 || lab_fail "A: no 920200 (No Link) logged"

# Cable back: A's interface recovers, group 1 stays where it is (no preempt).
topo_data_link A Ethernet0.1 up
lab_wait_for "ctx_cli A context1 show monitor-interface | grep -Eq 'Interface inside \(192\.168\.1\.[12]\): Normal'" 40 ||
	{ ctx_cli A context1 show monitor-interface >&2; lab_fail "A: context1 inside did not recover"; }
lab_assert_eq "$(topo_fo_state B 1)" Active "group 1 stays on B"
lab_log "interface monitoring checked in $(lab_elapsed)"
exit 0
