#!/bin/sh
# Failover: preempt with delay.  Group 2 prefers B and has `preempt 2`.
# A boots alone (both groups Active); B joins (standby for both); after
# the 2 s delay B takes group 2 back, not earlier; group 1 (no preempt)
# stays on A.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_init 34_fo_preempt
topo_need_daemon
topo_up
topo_fo_prepare A "" "" " preempt 2"
topo_fo_prepare B "" "" " preempt 2"
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 2 Active 10 || lab_fail "A: group 2 not Active alone"
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait B 2 "Standby Ready" 10 || lab_fail "B: group 2 never Standby Ready"
t0=$(date +%s%N)
topo_fo_wait B 2 Active 10 || lab_fail "B did not preempt group 2"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
lab_log "group 2 preempted about $ms ms after B was Standby Ready"
[ "$ms" -ge 1500 ] || lab_fail "preempt came after $ms ms, before the 2 s delay"
topo_fo_wait A 2 "Standby Ready" 5 || lab_fail "A: group 2 not Standby Ready"
lab_assert_eq "$(topo_fo_state A 1)" Active "group 1 (no preempt) stays on A"
lab_assert_contains "$(topo_cli B show failover history)" "Preempt" "preempt in the history"
lab_assert_contains "$(topo_cli B show running-config failover)" "preempt 2" "preempt in the configuration"
