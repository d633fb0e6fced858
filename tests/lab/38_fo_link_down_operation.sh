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
# "In operation": the pair is formed (standby copies synchronised) and the
# mate is heard on the monitored data interfaces before the link goes.
topo_fo_wait A 2 "Standby Ready" 30 || lab_fail "A: group 2 not Standby Ready"
topo_fo_wait B 1 "Standby Ready" 30 || lab_fail "B: group 1 not Standby Ready"
lab_wait_for "topo_cli A show failover | grep -q 'context2 Interface inside (192.168.2.2): Normal'" 20 ||
	{ topo_cli A show failover >&2; lab_fail "A: data-interface hellos not Normal"; }
hist_a=$(topo_cli A show failover history | grep -c 'UTC' || true)
hist_b=$(topo_cli B show failover history | grep -c 'UTC' || true)
topo_fover_link down
# Several unit hold times: each expiry tests the mate on the data
# interfaces, finds it alive, and moves nothing.
sleep $(( (TOPO_FO_HOLD_MS * 4 / 1000 + 1) * $(lab_time_scale) ))
lab_assert_eq "$(topo_fo_state A 2)" "Standby Ready" "A did not take group 2"
lab_assert_eq "$(topo_fo_state B 1)" "Standby Ready" "B did not take group 1"
lab_assert_eq "$(topo_fo_state A 1)" Active "group 1 stays on A"
lab_assert_eq "$(topo_fo_state B 2)" Active "group 2 stays on B"
topo_fo_log_has A 105043 || lab_fail "A: failover interface not marked failed"
topo_fo_log_has B 105043 || lab_fail "B: failover interface not marked failed"
# A unit learns of the cut either from the carrier of its failover
# interface (920112) or from the hold time and a test of the mate on the
# data interfaces (920204); either way nothing may move.
topo_fo_log_has A 920204 || topo_fo_log_has A 920112 ||
	lab_fail "A: neither the carrier loss nor a mate test on the data interfaces was seen"
lab_assert_contains "$(topo_cli A show failover state)" "Failover interface failed" "A: show failover state"
lab_assert_eq "$(topo_cli A show failover history | grep -c 'UTC' || true)" "$hist_a" "A: no transition"
lab_assert_eq "$(topo_cli B show failover history | grep -c 'UTC' || true)" "$hist_b" "B: no transition"
lab_log "link down in operation checked in $(lab_elapsed)"
exit 0
