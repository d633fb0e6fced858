#!/bin/sh
# Stateful failover of connections through a context with NAT (seed 003
# "Stateful Failover", seed 004): c1in (192.168.1.5, static-NATed to
# 172.16.1.1 by context1's `static`) keeps a TCP connection and a UDP flow
# to c1out (172.16.1.3) exchanging data
#   - across a planned switchover (`no failover active group 1` on A), and
#   - across kill -9 of the daemon of the unit then active (B),
# because the standby's kernel already holds the connections (replicated
# by conntrack events and the join's bulk).  `show conn` on the new active
# unit shows the TCP connection.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd python3 conntrack
lab_init 41_repl_conn_failover
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B

# ---- traffic programs -------------------------------------------------------
cat >"$LAB_DIR/srv.py" <<'PY'
import socket, sys, threading
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 5001)); s.listen(4)
    while True:
        c, _ = s.accept()
        def echo(c=c):
            while True:
                d = c.recv(4096)
                if not d: return
                c.sendall(d)
        threading.Thread(target=echo, daemon=True).start()
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5002))
    while True:
        d, a = u.recvfrom(2048); u.sendto(d, a)
threading.Thread(target=udp, daemon=True).start()
tcp()
PY
# Client: one TCP connection and one UDP socket (fixed source ports), a
# message every 50 ms on each; writes "tcp N udp M" (echoes received) to
# the progress file; a TCP error ends it with "ERROR".
cat >"$LAB_DIR/cli.py" <<'PY'
import socket, sys, time, select
prog = sys.argv[1]
t = socket.socket(); t.bind(("0.0.0.0", 40001)); t.settimeout(30)
t.connect(("172.16.1.3", 5001)); t.setblocking(False)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 40002))
u.setblocking(False)
nt = nu = i = 0; buf = b""
while True:
    i += 1
    try:
        t.send(b"%08d\n" % i)
    except BlockingIOError:
        pass
    except OSError as e:
        open(prog, "w").write("ERROR %s tcp %d udp %d\n" % (e, nt, nu)); sys.exit(1)
    u.sendto(b"%08d" % i, ("172.16.1.3", 5002))
    end = time.time() + 0.05
    while time.time() < end:
        r, _, _ = select.select([t, u], [], [], max(0, end - time.time()))
        for s in r:
            try:
                d = s.recv(4096)
            except OSError as e:
                if s is t and not isinstance(e, BlockingIOError):
                    open(prog, "w").write("ERROR %s tcp %d udp %d\n" % (e, nt, nu)); sys.exit(1)
                continue
            if s is t:
                if not d:
                    open(prog, "w").write("ERROR closed tcp %d udp %d\n" % (nt, nu)); sys.exit(1)
                buf += d; nt += buf.count(b"\n"); buf = buf[buf.rfind(b"\n") + 1:]
            else:
                nu += 1
    open(prog + ".tmp", "w").write("tcp %d udp %d\n" % (nt, nu))
    import os; os.replace(prog + ".tmp", prog)
PY
PROG="$LAB_DIR/progress"
tcp_n() { awk '{print $2}' "$PROG" 2>/dev/null || echo 0; }
udp_n() { awk '{print $4}' "$PROG" 2>/dev/null || echo 0; }
# flowing SECS: both counters grow by at least 10 within SECS.
flowing() {
	local t0 u0
	t0=$(tcp_n); u0=$(udp_n)
	lab_wait_for "[ \$(tcp_n) -ge $((t0 + 10)) ] && [ \$(udp_n) -ge $((u0 + 10)) ]" "$1"
}
check_alive() { ! grep -q ERROR "$PROG" 2>/dev/null || lab_fail "client: $(cat "$PROG")"; }
ctx_conn() { printf 'changeto context context1\nshow conn\n' |
	"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$1")" 2>&1 || true; }
ct_has() { ip netns exec "$(topo_ctx_prefix "$1")context1" conntrack -L -p "$2" --dport "$3" 2>/dev/null | grep -q "dport=$3"; }

# ---- pair up: A active for both groups, B standby ------------------------------
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 1 Active 10 || lab_fail "A: group 1 not Active"
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait B 1 "Standby Ready" 20 || lab_fail "B: group 1 not Standby Ready"

lab_bg c1out "$LAB_DIR/srv.log" python3 "$LAB_DIR/srv.py"
sleep 0.3
lab_bg c1in "$LAB_DIR/cli.log" python3 "$LAB_DIR/cli.py" "$PROG"
flowing 10 || lab_fail "no traffic through context1 on A ($(cat "$PROG" 2>/dev/null))"
lab_wait_for "ct_has B tcp 5001 && ct_has B udp 5002" 3 ||
	lab_fail "B's context1 kernel does not hold the replicated connections"
lab_log "connections replicated to B: $(ip netns exec "$(topo_ctx_prefix B)context1" conntrack -L -p tcp --dport 5001 2>/dev/null | head -1)"

# ---- planned switchover -----------------------------------------------------------
printf 'no failover active group 1\n' | topo_cfg A >/dev/null
topo_fo_wait B 1 Active 10 || lab_fail "B did not take group 1"
flowing 10 || lab_fail "traffic stopped after the switchover ($(cat "$PROG"))"
check_alive
lab_assert_contains "$(ctx_conn B)" "5001" "show conn on B shows the TCP connection"
topo_fo_wait A 1 "Standby Ready" 10 || lab_fail "A: group 1 not Standby Ready after the switchover"
lab_log "switchover passed: $(cat "$PROG")"

# ---- kill -9 of the active daemon ----------------------------------------------------
sleep 1   # B's updates of the moved connections reach A
lab_log "A's copy before the kill: $(ip netns exec "$(topo_ctx_prefix A)context1" conntrack -L -p tcp --dport 5001 2>/dev/null | head -1)"
topo_kill_unit B
topo_fo_wait A 1 Active 10 || lab_fail "A did not take group 1 back"
lab_log "A's copy after the kill: $(ip netns exec "$(topo_ctx_prefix A)context1" conntrack -L -p tcp --dport 5001 2>/dev/null | head -1)"
flowing 15 || lab_fail "traffic stopped after kill -9 of B ($(cat "$PROG"))"
check_alive
lab_assert_contains "$(ctx_conn A)" "5001" "show conn on A shows the TCP connection"
lab_log "kill -9 passed: $(cat "$PROG")"
out=$(topo_cli A show failover)
lab_assert_contains "$out" "TCP conn[[:space:]]+[1-9]" "TCP conn updates counted"
lab_assert_contains "$out" "UDP conn[[:space:]]+[1-9]" "UDP conn updates counted"
exit 0
