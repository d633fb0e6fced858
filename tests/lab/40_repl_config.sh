#!/bin/sh
# Replication of configuration (seed 003: "Device Initialization and
# Configuration Synchronization", "Command Replication", write standby):
#   - unit A runs alone; context1 and the system space change while B is
#     down; B joins and gets every context's configuration (running memory
#     only), reaching Standby Ready; A's console said so (709003/709004);
#   - a command typed in context1 on A appears in B's show running-config
#     within a second;
#   - a burst of access-list lines pasted on A reaches B's kernel whole
#     (nft ruleset of B's context1 namespace), B having ACKed each line
#     before its kernel work and applied the burst in a few nft loads;
#   - a command typed on B (standby for group 1) gets ASA's warning and
#     stays local; the digests say so (930201, "Config Mismatch");
#   - write standby in context1 on A repairs it (digests match again);
#   - write memory all on A saves on both units.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_init 40_repl_config
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B

ctx_cmd() { # UNIT CONTEXT LINES...: a console in CONTEXT, config mode
	local u c
	u=$1; c=$2; shift 2
	{ echo "changeto context $c"; echo "configure terminal"; printf '%s\n' "$@"; } |
		"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$u")" 2>&1 || true
}
run_ctx() { # UNIT CONTEXT COMMAND: one exec command in CONTEXT
	printf 'changeto context %s\n%s\n' "$2" "$3" |
		"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$1")" 2>&1 || true
}

topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 1 Active 10 || lab_fail "A: group 1 not Active alone"

# ---- changes while B is away, then B joins ---------------------------------
ctx_cmd A context1 "route outside 10.40.0.0 255.255.0.0 172.16.1.3 1" \
	"access-list lab40 extended permit tcp any any eq 4040" >/dev/null
printf 'pager lines 40\n' | topo_cfg A >/dev/null
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait B 1 "Standby Ready" 20 || lab_fail "B: group 1 not Standby Ready"
topo_fo_wait B 2 "Standby Ready" 20 || lab_fail "B: group 2 not Standby Ready"
out=$(run_ctx B context1 "show running-config")
lab_assert_contains "$out" "route outside 10.40.0.0 255.255.0.0 172.16.1.3" "B got context1's route"
lab_assert_contains "$out" "access-list lab40 extended permit tcp any any eq 4040" "B got context1's ACL"
lab_assert_contains "$(topo_cli B show running-config)" "pager lines 40" "B got the system space"
lab_assert_contains "$(topo_cli B show running-config)" "failover lan unit secondary" "B kept its own role"
lab_assert_not_contains "$(topo_cli B show startup-config)" "pager lines 40" "received config is in running memory only"
topo_fo_log_has A 709003 || lab_fail "A: no 709003 (Beginning configuration replication: Sending to mate)"
topo_fo_log_has A 709004 || lab_fail "A: no 709004 (End Configuration Replication)"
topo_fo_log_has B 709006 || lab_fail "B: no 709006 (End Configuration Replication STB)"
# B applied the sync in bounded steps, one per loop turn (at least: the
# check, each of its 3 contexts' interfaces released, the system space's
# first block, then a block and a text per context).
steps=$(topo_cli B show failover statistics | sed -n 's/.*applied in \([0-9]*\) steps.*/\1/p')
[ -n "$steps" ] && [ "$steps" -ge 8 ] ||
	lab_fail "B did not apply the sync in steps (steps: '$steps')"
lab_log "B applied the configuration sync in $steps loop turns"

# ---- command replication within a second ------------------------------------
ctx_cmd A context1 "route inside 10.41.0.0 255.255.0.0 192.168.1.5" >/dev/null
lab_wait_for "run_ctx B context1 'show running-config' | grep -q 'route inside 10.41.0.0 255.255.0.0 192.168.1.5'" 1 ||
	lab_fail "the command did not reach B within a second"
out=$(ctx_cmd A context1 "interface inside_context1" " description lab40 inside")
lab_wait_for "run_ctx B context1 'show running-config' | grep -q 'description lab40 inside'" 1 ||
	lab_fail "a sub-mode command did not reach B"
lab_assert_contains "$(topo_cli A show failover)" "sys cmd[[:space:]]+[1-9]" "sys cmd xmit counted"

# ---- a pasted burst of ACL lines reaches B's kernel, coalesced ---------------------
kapplies() { # UNIT: kernel applies of the mate's commands so far
	topo_cli "$1" show failover statistics |
		sed -n "s/^Kernel applies of the mate's commands: \([0-9]*\) (\([0-9]*\) failed).*/\1 \2/p"
}
BURST=60
k0=$(kapplies B)
[ -n "$k0" ] || lab_fail "B's statistics have no kernel apply line"
lines=$(i=0; while [ $i -lt $BURST ]; do
	echo "access-list lab40b extended permit tcp any host 10.47.1.$((i + 1)) eq $((4100 + i))"
	i=$((i + 1)); done)
out=$(ctx_cmd A context1 "$lines")
lab_assert_not_contains "$out" "ERROR" "the burst ran on A"
NSB=$(topo_ctx_prefix B)context1
in_kernel() { ip netns exec "$NSB" nft list ruleset 2>/dev/null | grep -o '10\.47\.1\.[0-9]*' | sort -u | wc -l; }
lab_wait_for "[ \"\$(in_kernel)\" -eq $BURST ]" 10 ||
	lab_fail "B's kernel holds $(in_kernel) of the $BURST pasted ACL lines"
lab_assert_contains "$(run_ctx B context1 'show running-config')" "host 10.47.1.$BURST eq $((4100 + BURST - 1))" "B's running config has the last line"
k1=$(kapplies B)
set -- $k0; a0=$1; f0=$2
set -- $k1; a1=$1; f1=$2
[ "$f1" = "$f0" ] || lab_fail "B: kernel applies failed during the burst ($f0 -> $f1)"
[ $((a1 - a0)) -ge 1 ] && [ $((a1 - a0)) -le $((BURST / 4)) ] ||
	lab_fail "B applied $BURST replicated lines in $((a1 - a0)) kernel loads (want 1..$((BURST / 4)))"
lab_log "B: $BURST pasted ACL lines in its kernel after $((a1 - a0)) nft loads"

# ---- the standby warning, digests, write standby --------------------------------
out=$(ctx_cmd B context1 "route inside 10.42.0.0 255.255.0.0 192.168.1.5")
lab_assert_contains "$out" "Configuration Replication is NOT performed from Standby unit to Active unit" "standby warning in context1 on B"
out=$(printf 'pager lines 41\n' | topo_cfg B)
lab_assert_contains "$out" "Configuration Replication is NOT performed" "standby warning in the system space on B"
# B joined a unit active for both groups: every group is standby on B.
out=$(ctx_cmd B context2 "route inside 10.43.0.0 255.255.0.0 192.168.2.5")
lab_assert_contains "$out" "NOT performed" "standby warning in context2 on B"
out=$(ctx_cmd A context2 "route inside 10.44.0.0 255.255.0.0 192.168.2.5")
lab_assert_not_contains "$out" "NOT performed" "no warning in context2 on A (active)"
ctx_cmd A context2 "no route inside 10.44.0.0 255.255.0.0 192.168.2.5" >/dev/null
lab_wait_for "topo_cli A show failover statistics | grep -q 'Config Mismatch.*context1'" 5 ||
	lab_fail "A's digests did not detect context1's divergence"
# `show failover state` says "Sync Done" only while the digests match.
out=$(topo_cli A show failover state)
lab_assert_contains "$out" "Config Mismatch:.*context1" "show failover state reports the mismatch"
lab_assert_not_contains "$out" "Sync Done" "show failover state does not say Sync Done while diverged"
topo_fo_log_has A 930201 || lab_fail "A: no 930201 (digest mismatch) logged"
out=$(run_ctx A context1 "write standby")
lab_assert_contains "$out" "\[OK\]" "write standby in context1"
lab_wait_for "! run_ctx B context1 'show running-config' | grep -q 10.42.0.0" 2 ||
	lab_fail "write standby did not repair context1 on B"
# The system space and context2 diverged too: the whole configuration.
out=$(printf 'write standby\n' | "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" 2>&1 || true)
lab_assert_contains "$out" "\[OK\]" "write standby in the system space"
lab_wait_for "topo_cli A show failover statistics | grep -q 'Configuration state: Sync Done'" 5 ||
	lab_fail "digests do not match after write standby"
lab_assert_contains "$(topo_cli A show failover state)" "Sync Done" "show failover state: Sync Done again"

# ---- write memory all saves on both ------------------------------------------------
printf 'write memory all\n' | "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" >/dev/null 2>&1 || true
lab_wait_for "run_ctx B context1 'more flash:/context1.cfg' | grep -q 10.41.0.0" 3 ||
	lab_fail "B did not save context1 after write memory all on A"
lab_assert_contains "$(topo_cli B show startup-config)" "pager lines 40" "B saved its system configuration"
lab_assert_contains "$(topo_cli B show startup-config)" "failover lan unit secondary" "B saved its own role"
lab_log "configuration replication checked in $(lab_elapsed)"
exit 0
