#!/bin/sh
# Loss is visible, never silent (issue 5): an update the standby's kernel
# refuses is counted in `show failover` (rerr of TCP conn / UDP conn) and
# repaired by the next periodic update, and by a `clear failover ha
# sessions-all` bulk.
#
# How an update really fails: B's context1 table already holds a stale
# entry for the flow's original tuple, marked SEEN_REPLY|ASSURED.  c1in
# sends a one-way UDP flow through context1 (static NAT 192.168.1.5 ->
# 172.16.1.1), so the active unit's entry has neither bit.  On B the
# replicated create meets the stale entry (EEXIST), its retry as an update
# would clear SEEN_REPLY/ASSURED, which the kernel refuses (EBUSY: those
# bits can only be set).  Removing the stale entry is "removing the cause":
# the next update (periodic, or a bulk) installs the real, NATed entry.
#
# Case 3, a collision of the REPLY tuple: B holds an entry of another
# original tuple (172.16.1.1:P -> 172.16.1.3:D, not NATed) whose reply is
# the replicated flow's NATed reply (172.16.1.3:D -> 172.16.1.1:P).  The
# create fails (EEXIST), its retry as an update finds no entry of that
# original tuple (ENOENT): the record is lost and must be counted in rerr
# like any other, then repaired once the colliding entry is gone.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd python3 conntrack
lab_init 42_repl_loss
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B

CTXB="$(topo_ctx_prefix B)context1"

# ---- a one-way UDP sender ----------------------------------------------------------
cat >"$LAB_DIR/udp.py" <<'PY'
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    u.sendto(b"x", ("172.16.1.3", int(sys.argv[2])))
    time.sleep(0.2)
PY

# rerr UNIT: TCP conn rerr + UDP conn rerr of `show failover` (numbers).
rerr() {
	topo_cli "$1" show failover 2>/dev/null | awk '
		$1 == "TCP" && $2 == "conn" { t = $6 }
		$1 == "UDP" && $2 == "conn" { u = $6 }
		END { if (t == "" || u == "") print "none"; else print t + u }'
}
# rcv UNIT: TCP conn rcv + UDP conn rcv.
rcv() {
	topo_cli "$1" show failover 2>/dev/null | awk '
		$1 == "TCP" && $2 == "conn" { t = $5 }
		$1 == "UDP" && $2 == "conn" { u = $5 }
		END { print t + u }'
}
# plant SPORT DPORT: the stale entry on B.
plant() {
	ip netns exec "$CTXB" conntrack -I -p udp -s 192.168.1.5 -d 172.16.1.3 \
		--sport "$1" --dport "$2" --status SEEN_REPLY,ASSURED -t 600 \
		>/dev/null 2>&1 || lab_fail "cannot plant the stale entry in $CTXB"
}
unplant() {
	ip netns exec "$CTXB" conntrack -D -p udp --sport "$1" --dport "$2" \
		>/dev/null 2>&1 || lab_fail "cannot remove the stale entry from $CTXB"
}
# b_entry DPORT: B's entry for the flow, or nothing.
b_entry() {
	ip netns exec "$CTXB" conntrack -L -p udp --dport "$1" 2>/dev/null |
		grep "dport=$1 " || true
}
# b_repaired DPORT: B holds the replicated entry, NAT included (its reply
# goes to the translated address 172.16.1.1, the stale one's to .5).
b_repaired() {
	b_entry "$1" | grep -q "src=172.16.1.3 dst=172.16.1.1 sport=$1"
}
# grows UNIT BASE SECS: rerr on UNIT exceeds BASE within SECS.
grows() {
	lab_wait_for "r=\$(rerr $1); [ \"\$r\" != none ] && [ \"\$r\" -gt $2 ]" "$3"
}

# ---- pair up: A active for both groups, B standby -----------------------------------
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 1 Active 10 || lab_fail "A: group 1 not Active"
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait B 1 "Standby Ready" 20 || lab_fail "B: group 1 not Standby Ready"
r0=$(rerr B)
[ "$r0" != none ] || lab_fail "no TCP conn / UDP conn rows in B's show failover"
lab_log "B's conn rerr at the start: $r0"

# ---- 1: a refused update, repaired by the periodic update -------------------------------
out=$(printf 'failover replication update-interval 2\n' | topo_cfg A)
lab_assert_not_contains "$out" "ERROR|Invalid" "update interval accepted"
plant 40100 5003
lab_bg c1in "$LAB_DIR/udp1.log" python3 "$LAB_DIR/udp.py" 40100 5003
grows B "$r0" 10 || lab_fail "B counted no rerr for the refused update (rerr $(rerr B), base $r0)"
r1=$(rerr B)
lab_log "B's conn rerr after the refused update: $r1"
# The loss is real: B's kernel still holds only the stale entry.
b_repaired 5003 && lab_fail "B installed the update despite the stale entry: $(b_entry 5003)"
lab_assert_contains "$(b_entry 5003)" "ASSURED" "B still holds the stale entry"
# Every periodic update is refused again, and counted again.
grows B "$r1" 6 || lab_fail "the periodic update's refusal was not counted (rerr $(rerr B))"
unplant 40100 5003
lab_wait_for "b_repaired 5003" 8 ||
	lab_fail "the periodic update did not repair B's table: '$(b_entry 5003)'"
lab_log "repaired by the periodic update: $(b_entry 5003)"

# ---- 2: a refused update, repaired by a bulk on request ---------------------------------
out=$(printf 'failover replication update-interval 3600\n' | topo_cfg A)
lab_assert_not_contains "$out" "ERROR|Invalid" "long update interval accepted"
sleep 3     # a periodic pass started under the short interval has ended
plant 40200 5004
r2=$(rerr B)
lab_bg c1in "$LAB_DIR/udp2.log" python3 "$LAB_DIR/udp.py" 40200 5004
grows B "$r2" 10 || lab_fail "B counted no rerr for the second refused update (rerr $(rerr B), base $r2)"
lab_log "B's conn rerr after the second refused update: $(rerr B)"
unplant 40200 5004
sleep 2
b_repaired 5004 && lab_fail "B's table was repaired without a bulk or periodic update"
[ -z "$(b_entry 5004)" ] || lab_fail "unexpected entry on B: $(b_entry 5004)"
n0=$(rcv B)
out=$(printf 'clear failover ha sessions-all\n' | topo_cfg B)
lab_assert_contains "$out" "requested" "B asks the active unit for a bulk"
lab_wait_for "b_repaired 5004" 8 ||
	lab_fail "the bulk did not repair B's table: '$(b_entry 5004)'"
[ "$(rcv B)" -gt "$n0" ] || lab_fail "the bulk's records were not counted on B"
lab_log "repaired by the bulk: $(b_entry 5004)"
b_repaired 5003 || lab_fail "the bulk lost the first flow on B: '$(b_entry 5003)'"

# ---- 3: the reply tuple taken by another entry (EEXIST, then ENOENT) --------------------
# b_flow3: B holds the replicated flow itself (original tuple from c1in,
# NATed reply), not only the colliding entry that shares its reply.
b_flow3() {
	b_entry 5005 | grep -q "src=192.168.1.5 dst=172.16.1.3 sport=40300 .*src=172.16.1.3 dst=172.16.1.1 sport=5005"
}
ip netns exec "$CTXB" conntrack -I -p udp -s 172.16.1.1 -d 172.16.1.3 \
	--sport 40300 --dport 5005 -t 600 >/dev/null 2>&1 ||
	lab_fail "cannot plant the colliding entry in $CTXB"
out=$(printf 'failover replication update-interval 2\n' | topo_cfg A)
lab_assert_not_contains "$out" "ERROR|Invalid" "update interval accepted"
r3=$(rerr B)
lab_bg c1in "$LAB_DIR/udp3.log" python3 "$LAB_DIR/udp.py" 40300 5005
grows B "$r3" 10 || lab_fail "B counted no rerr for the record whose reply tuple collides (rerr $(rerr B), base $r3)"
lab_log "B's conn rerr after the reply-tuple collision: $(rerr B)"
b_flow3 && lab_fail "B installed the flow despite the collision: $(b_entry 5005)"
r4=$(rerr B)
grows B "$r4" 6 || lab_fail "the periodic update's collision was not counted (rerr $(rerr B))"
ip netns exec "$CTXB" conntrack -D -p udp -s 172.16.1.1 --sport 40300 --dport 5005 \
	>/dev/null 2>&1 || lab_fail "cannot remove the colliding entry from $CTXB"
lab_wait_for "b_flow3" 8 ||
	lab_fail "the periodic update did not repair the collision: '$(b_entry 5005)'"
lab_log "repaired by the periodic update: $(b_entry 5005)"
exit 0
