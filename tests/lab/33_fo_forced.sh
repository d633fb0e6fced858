#!/bin/sh
# Failover: forced failover both ways (seed 003 "Forced Failover" and the
# functionality test): `no failover active group 1` on A moves group 1 to
# B, `failover active group 1` on A takes it back; group 2 never moves;
# each move is in `show failover history` with "Set by the config command"
# and traffic to context1 follows; after each move the standby context1
# passes no traffic (frames sent to its MAC are not routed) and the active
# one does; a refused command says why.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd ping
lab_init 33_fo_forced
topo_need_daemon

# ctx1_passes UNIT: 20 pings from c1in to c1out with UNIT's context1
# inside MAC as the gateway's (whatever the unit's role); prints how many
# packets that context1 sent out of its other interfaces meanwhile.
ctx1_tx() {
	local ns=$1 l n=0 t
	for l in $(ip -n "$ns" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		case $l in lo|inside_context1) continue ;; esac
		t=$(ip netns exec "$ns" cat "/sys/class/net/$l/statistics/tx_packets")
		n=$((n + t))
	done
	echo "$n"
}
ctx1_passes() {
	local ns mac before after
	ns="$(topo_ctx_prefix "$1")context1"
	mac=$(ip -n "$ns" -br link show inside_context1 | awk '{ print $3 }')
	ip -n "$(lab_nsname c1in)" neigh replace "$TOPO_C1IN_GW" lladdr "$mac" dev eth0 nud permanent
	before=$(ctx1_tx "$ns")
	lab_in c1in ping -n -q -c 20 -i 0.01 -W 1 "${TOPO_C1OUT_ADDR%/*}" >/dev/null 2>&1 || true
	after=$(ctx1_tx "$ns")
	ip -n "$(lab_nsname c1in)" neigh del "$TOPO_C1IN_GW" dev eth0 2>/dev/null || true
	echo $((after - before))
}
# ctx1_roles ACTIVE STANDBY: the standby context1 forwards nothing, the
# active one forwards the pings.
ctx1_roles() {
	local n
	lab_assert_eq "$(ip netns exec "$(topo_ctx_prefix "$2")context1" cat /proc/sys/net/ipv4/ip_forward)" 0 "$2's standby context1 does not forward"
	n=$(ctx1_passes "$2")
	[ "$n" -lt 5 ] || lab_fail "$2's standby context1 passed $n packets"
	n=$(ctx1_passes "$1")
	[ "$n" -ge 20 ] || lab_fail "$1's active context1 passed only $n of 20 packets"
	lab_log "context1: active on $1 passes traffic, standby on $2 passes none"
}

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
ctx1_roles B A

topo_cli A failover active group 1 >/dev/null || lab_fail "failover active group 1 failed"
topo_fo_wait A 1 Active 5 || lab_fail "group 1 did not come back to A"
topo_fo_wait B 1 "Standby Ready" 5 || lab_fail "B: group 1 not Standby Ready again"
lab_assert_eq "$(topo_fo_state B 2)" Active "group 2 still untouched"
lab_assert_contains "$(topo_cli A show failover history)" "Set by the config command" "history on A"
lab_wait_for "lab_ping c1in $TOPO_C1_INSIDE_ACTIVE" 5 || lab_fail "context1 unreachable after the move back"
mac=$(ip -n "$(topo_ctx_prefix A)context1" link show inside_context1 | awk '/link\/ether/ {print $2}')
lab_assert_contains "$(lab_in c1in ip neigh show "$TOPO_C1_INSIDE_ACTIVE")" "$mac" "context1 answered by A again"
ctx1_roles A B

# failover exec: runs on the mate (asynchronous reply: check the effect).
topo_cli A failover exec mate hostname EXECDONE >/dev/null || lab_fail "failover exec refused"
lab_wait_for "topo_cli B show running-config | grep -q '^hostname EXECDONE'" 5 || lab_fail "failover exec did not run on B"

# failover reset: nothing failed -> refused, nothing moves.
out=$(topo_cli A failover reset group 1 2>&1 || true)
lab_assert_contains "$out" "ERROR" "failover reset of a group that is not failed is refused"
lab_assert_eq "$(topo_fo_state A 1)" Active "reset moved nothing"
