#!/bin/sh
# Failover: kill -9 of the unit that owns group 1 (A, after a simultaneous
# boot: A owns group 1, B group 2).  B takes group 1 within the hold time
# (plus poll slack), group 2 stays Active on B untouched, the inside host
# reaches context1's active address again (now on B), and B logs 105005
# (lost failover communications) and 104001 (switching to active).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd ping
lab_init 32_fo_kill_active
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B
topo_start_unit A
topo_start_unit B
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait A 1 Active 15 || lab_fail "A: group 1 not Active"
topo_fo_wait B 2 Active 15 || lab_fail "B: group 2 not Active"
topo_fo_wait B 1 "Standby Ready" 15 || lab_fail "B: group 1 not Standby Ready"
before=$(grep -c -- "-104001: .*Group 2" "$(topo_log_file B)" || true)
t0=$(date +%s%N)
topo_kill_unit A
topo_fo_wait B 1 Active 5 || lab_fail "B did not take group 1"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
lab_log "group 1 moved to B in about $ms ms (hold $TOPO_FO_HOLD_MS ms; includes console polling)"
[ "$ms" -le $((TOPO_FO_HOLD_MS + 1500)) ] || lab_fail "takeover took $ms ms"
lab_assert_eq "$(topo_fo_state B 2)" Active "group 2 stays Active on B"
after=$(grep -c -- "-104001: .*Group 2" "$(topo_log_file B)" || true)
lab_assert_eq "$after" "$before" "group 2 was not touched"
topo_fo_log_has B 105005 || lab_fail "B: no 105005 (lost failover communications)"
topo_fo_log_has B 104001 || lab_fail "B: no 104001"
lab_assert_contains "$(topo_cli B show failover state)" "Comm Failure" "mate marked failed"
lab_wait_for "lab_ping c1in $TOPO_C1_INSIDE_ACTIVE" 5 || lab_fail "c1in cannot reach context1 on B"
mac=$(ip -n "$(topo_ctx_prefix B)context1" link show inside_context1 | awk '/link\/ether/ {print $2}')
lab_assert_contains "$(lab_in c1in ip neigh show "$TOPO_C1_INSIDE_ACTIVE")" "$mac" "context1's address answered by B (gratuitous ARP)"
