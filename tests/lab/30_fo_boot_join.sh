#!/bin/sh
# Failover: boot alone, then the second unit joins (seed 003, "Primary and
# secondary status"): unit A boots while B is down -> both groups Active
# on A; B boots while A is active -> B takes standby for both groups
# whatever their preference (group 2 prefers B); the pair sees versions,
# the LAN failover interface and each other's states; traffic from the
# context1 inside host reaches context1's inside address (on A).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd ping timeout
lab_init 30_fo_boot_join
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B

# ---- boot alone ---------------------------------------------------------
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 1 Active 10 || lab_fail "A: group 1 not Active alone"
topo_fo_wait A 2 Active 10 || lab_fail "A: group 2 not Active alone"
out=$(topo_cli A show failover)
lab_assert_contains "$out" "^Failover On" "failover is on"
lab_assert_contains "$out" "^Failover unit Primary" "A is primary"
lab_assert_contains "$out" "^Failover LAN Interface: LANFailover Ethernet3 \(up\)" "LAN interface up"
lab_assert_contains "$out" "^Unit Poll frequency 200 milliseconds, holdtime 800 milliseconds" "poll/hold"
lab_assert_contains "$out" "^Failover link transport: (tcp|mptcp|sctp)" "transport shown"
lab_assert_contains "$out" "^Version: Ours 1.0\(1\), Mate Unknown" "no mate yet"
lab_assert_contains "$out" "Other host:.*Secondary" "other host block"
topo_fo_log_has A 104001 || lab_fail "A: no 104001 (switching to active) logged"
lab_assert_contains "$(topo_cli A show failover history)" "No Active unit found" "history reason"
lab_wait_for "lab_ping c1in $TOPO_C1_INSIDE_ACTIVE" 10 || lab_fail "c1in cannot ping context1's active inside address"

# ---- the secondary joins ----------------------------------------------------
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait B 1 "Standby Ready" 15 || lab_fail "B: group 1 not Standby Ready"
topo_fo_wait B 2 "Standby Ready" 15 || lab_fail "B: group 2 not Standby Ready (preference must not matter)"
lab_assert_eq "$(topo_fo_state A 1)" Active "A keeps group 1"
lab_assert_eq "$(topo_fo_state A 2)" Active "A keeps group 2"
out=$(topo_cli B show failover)
lab_assert_contains "$out" "^Failover unit Secondary" "B is secondary"
lab_assert_contains "$out" "^Version: Ours 1.0\(1\), Mate 1.0\(1\)" "versions exchanged"
# The monitored interface shows the standby address at once and turns
# Normal once the data-interface hellos are heard (a few interface polls).
lab_assert_contains "$out" "context1 Interface inside \(192.168.1.2\): " "B's context1 inside has the standby address"
lab_wait_for "topo_cli B show failover | grep -q 'context1 Interface inside (192.168.1.2): Normal'" 30 ||
	{ topo_cli B show failover >&2; lab_fail "B: context1 inside never became Normal"; }
out=$(topo_cli A show failover state)
lab_assert_contains "$out" "Other host -   Secondary" "A sees B"
lab_assert_contains "$(topo_cli A show failover interface)" "Other IP Address : $TOPO_FOVER_STANDBY" "show failover interface"
topo_fo_log_has B 104002 || lab_fail "B: no 104002 (switching to standby) logged"
# B's context1 holds the standby address, A the active one.
lab_assert_contains "$(ip -n "$(topo_ctx_prefix B)context1" -4 -o addr show)" "192\.168\.1\.2/24" "B context1 standby address"
lab_ping c1in "$TOPO_C1_INSIDE_ACTIVE" 2 || { ip -n "$(topo_ctx_prefix A)context1" -4 -o addr show >&2; ip -n "$(topo_ctx_prefix B)context1" -4 -o addr show >&2; ip -n "$(topo_ctx_prefix B)context1" link >&2; ip -n "$(topo_ctx_prefix A)context1" link >&2; lab_in c1in ip neigh >&2; lab_fail "c1in lost context1 after B joined"; }
lab_log "pair formed in $(lab_elapsed)"
exit 0
