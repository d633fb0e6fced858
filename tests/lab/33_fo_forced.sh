#!/bin/sh
# Failover: forced failover both ways (seed 003 "Forced Failover" and the
# functionality test): `no failover active group 1` on A moves group 1 to
# B, `failover active group 1` on A takes it back; group 2 never moves;
# each move is in `show failover history` with "Set by the config command"
# and traffic to context1 follows; a refused command says why.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd ping
lab_init 33_fo_forced
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B
topo_start_unit A
topo_start_unit B
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait A 1 Active 15 || lab_fail "A: group 1 not Active"
topo_fo_wait B 1 "Standby Ready" 15 || lab_fail "B: group 1 not Standby Ready"
topo_fo_wait B 2 Active 15 || lab_fail "B: group 2 not Active"

# Refusal: group 2 is not active on A.
out=$(topo_cli A no failover active group 2 2>&1 || true)
lab_assert_contains "$out" "ERROR" "no failover active of a standby group is refused"

topo_cli A no failover active group 1 >/dev/null || lab_fail "no failover active group 1 failed"
topo_fo_wait B 1 Active 5 || lab_fail "group 1 did not move to B"
topo_fo_wait A 1 "Standby Ready" 5 || lab_fail "A: group 1 not Standby Ready"
lab_assert_eq "$(topo_fo_state B 2)" Active "group 2 untouched"
lab_wait_for "lab_ping c1in $TOPO_C1_INSIDE_ACTIVE" 5 || lab_fail "context1 unreachable after the move to B"
lab_assert_contains "$(topo_cli B show failover history)" "Other unit wants me Active|Set by the config command" "history on B"

topo_cli A failover active group 1 >/dev/null || lab_fail "failover active group 1 failed"
topo_fo_wait A 1 Active 5 || lab_fail "group 1 did not come back to A"
topo_fo_wait B 1 "Standby Ready" 5 || lab_fail "B: group 1 not Standby Ready again"
lab_assert_eq "$(topo_fo_state B 2)" Active "group 2 still untouched"
lab_assert_contains "$(topo_cli A show failover history)" "Set by the config command" "history on A"
lab_wait_for "lab_ping c1in $TOPO_C1_INSIDE_ACTIVE" 5 || lab_fail "context1 unreachable after the move back"
mac=$(ip -n "$(topo_ctx_prefix A)context1" link show inside_context1 | awk '/link\/ether/ {print $2}')
lab_assert_contains "$(lab_in c1in ip neigh show "$TOPO_C1_INSIDE_ACTIVE")" "$mac" "context1 answered by A again"

# failover exec: runs on the mate (asynchronous reply: check the effect).
topo_cli A failover exec mate hostname EXECDONE >/dev/null || lab_fail "failover exec refused"
lab_wait_for "topo_cli B show running-config | grep -q '^hostname EXECDONE'" 5 || lab_fail "failover exec did not run on B"

# failover reset: nothing failed -> refused, nothing moves.
out=$(topo_cli A failover reset group 1 2>&1 || true)
lab_assert_contains "$out" "ERROR" "failover reset of a group that is not failed is refused"
lab_assert_eq "$(topo_fo_state A 1)" Active "reset moved nothing"
