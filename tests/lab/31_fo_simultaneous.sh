#!/bin/sh
# Failover: both units boot at the same time -> each failover group goes
# active on its preferred unit (group 1 primary A, group 2 secondary B),
# the other unit's copy Standby Ready (seed 003, "Primary and secondary
# status").  Then traffic: context1 (group 1) answers from A, context2
# (group 2) from B.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd ping
lab_init 31_fo_simultaneous
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
topo_fo_wait A 2 "Standby Ready" 15 || lab_fail "A: group 2 not Standby Ready"
topo_fo_wait B 1 "Standby Ready" 15 || lab_fail "B: group 1 not Standby Ready"
# Normal once the data-interface hellos (fo_ifmon) were heard both ways.
lab_wait_for "topo_cli A show failover | grep -q 'context2 Interface inside (192.168.2.2): Normal'" 20 || true
out=$(topo_cli A show failover)
lab_assert_contains "$out" "context1 Interface inside \(192.168.1.1\): Normal" "A: context1 active address"
lab_assert_contains "$out" "context2 Interface inside \(192.168.2.2\): Normal" "A: context2 standby address"
lab_wait_for "lab_ping c1in $TOPO_C1_INSIDE_ACTIVE" 5 || lab_fail "c1in cannot reach context1"
lab_wait_for "lab_ping c2in $TOPO_C2_INSIDE_ACTIVE" 5 || lab_fail "c2in cannot reach context2"
mac_b2=$(ip -n "$(topo_ctx_prefix B)context2" link show inside_context2 | awk '/link\/ether/ {print $2}')
lab_assert_contains "$(lab_in c2in ip neigh show "$TOPO_C2_INSIDE_ACTIVE")" "$mac_b2" "context2's active address is on B"
lab_log "simultaneous boot settled in $(lab_elapsed)"
