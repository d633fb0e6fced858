#!/bin/sh
# Failover: the failover link is down at startup -> both failover groups
# become active on both units (seed 003 failure table), with "Failover
# link down at startup" in the history.  When the link comes back the
# dual-active groups are resolved: the secondary yields (920007).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_init 35_fo_link_down_startup
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B
topo_fover_link down
topo_start_unit A
topo_start_unit B
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_wait_console B 20 || lab_fail "unit B did not start"
for u in A B; do
	for g in 1 2; do
		topo_fo_wait "$u" "$g" Active 10 || lab_fail "$u: group $g not Active with the link down"
	done
	lab_assert_contains "$(topo_cli "$u" show failover history)" "Failover link down at startup" "$u history"
	lab_assert_contains "$(topo_cli "$u" show failover)" "LANFailover Ethernet3 \(down\)" "$u shows the link down"
done
topo_fover_link up
topo_fo_wait B 1 "Standby Ready" 15 || lab_fail "B: group 1 did not yield"
topo_fo_wait B 2 "Standby Ready" 15 || lab_fail "B: group 2 did not yield"
lab_assert_eq "$(topo_fo_state A 1)" Active "A keeps group 1"
lab_assert_eq "$(topo_fo_state A 2)" Active "A keeps group 2"
topo_fo_log_has B 920007 || lab_fail "B: no 920007 (dual active)"
