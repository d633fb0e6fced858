#!/bin/sh
# Failover: the failover link fails during operation -> no failover: each
# unit marks the failover interface failed and keeps its groups as they
# were (seed 003 failure table).  Needs the data-interface test (mate
# alive on the monitored interfaces, fo_ifmon): skipped until the failover
# manager wires fo_ifmon, since without it a silent mate is declared dead.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_init 38_fo_link_down_operation
topo_need_daemon
if ! grep -q "fo_ifmon_create" "$HERE/../../failover/fo_unit_ifmon.c" 2>/dev/null; then
	lab_skip "the data-interface mate test (fo_ifmon) is not wired into fo_unit yet"
fi
topo_up
topo_fo_prepare A
topo_fo_prepare B
topo_start_unit A
topo_start_unit B
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait A 1 Active 15 || lab_fail "A: group 1 not Active"
topo_fo_wait B 2 Active 15 || lab_fail "B: group 2 not Active"
topo_fover_link down
sleep 3
lab_assert_eq "$(topo_fo_state A 2)" "Standby Ready" "A did not take group 2"
lab_assert_eq "$(topo_fo_state B 1)" "Standby Ready" "B did not take group 1"
topo_fo_log_has A 105043 || lab_fail "A: failover interface not marked failed"
