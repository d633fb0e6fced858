#!/bin/sh
# Stateful handover of NATed TCP connections between two router namespaces.
#
#   cli (10.50.1.10) --[inside bridge]-- ra | rb --[outside bridge]-- srv (203.0.113.10)
#
# Routers A and B carry the same gateway addresses and (virtual) MACs, the
# same firewall (new TCP must start with SYN, invalid dropped, loose pickup
# off) and NAT: masquerade out of "outside", DNAT 203.0.113.1:8080 to the
# client.  A is active; B's interfaces are down.  Two long-lived TCP
# connections run through A: cli -> srv:5001 (masqueraded) and
# srv -> 203.0.113.1:8080 (DNATed to cli).
#   control: switch to B with an empty table: both connections must stall;
#   proof:   new connections, A's table replicated into B (repl_ct dump ->
#            repl_mode batches -> repl_ct inject), switch: both connections
#            keep exchanging data through B.
# Exit 0 pass, 77 skip, 1 fail.
set -eu
B=${MCTX_BUILD:-build/asan}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P="l$$x"
NS_CLI=${P}cli NS_SRV=${P}srv NS_RA=${P}ra NS_RB=${P}rb NS_BR=${P}br
TMP=$(mktemp -d)
PIDS=""

cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for n in $NS_CLI $NS_SRV $NS_RA $NS_RB $NS_BR; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; for f in "$TMP"/*.log; do echo "== $f"; tail -5 "$f"; done; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
command -v nft >/dev/null || skip "nft missing"
command -v python3 >/dev/null || skip "python3 missing"
command -v conntrack >/dev/null || skip "conntrack (tool) missing"
for n in $NS_CLI $NS_SRV $NS_RA $NS_RB $NS_BR; do
  [ ! -e "/var/run/netns/$n" ] || { echo "namespace $n exists: refusing"; exit 1; }
done

# ---- the replication helper, built from the tree's sources ----
PKG="libnetfilter_conntrack"
cc -std=gnu11 -O1 -g -D_GNU_SOURCE -I"$ROOT" $(pkg-config --cflags $PKG) \
   -o "$TMP/ct_sync" "$ROOT/tests/lab/50_ct_sync.c" \
   "$ROOT/replication/repl_ct.c" "$ROOT/replication/repl_ct_child.c" "$ROOT/replication/repl_ct_codec.c" \
   "$ROOT/replication/repl_mode.c" "$ROOT/system/sys_buf.c" \
   "$ROOT/system/sys_log.c" "$ROOT/system/sys_netns.c" \
   $(pkg-config --libs $PKG) || fail "cannot build the sync helper"

# ---- topology ----
for n in $NS_CLI $NS_SRV $NS_RA $NS_RB $NS_BR; do
  ip netns add "$n" || skip "cannot create namespaces"
  ip -n "$n" link set lo up
done
ip -n $NS_BR link add bin type bridge
ip -n $NS_BR link add bout type bridge
ip -n $NS_BR link set bin up
ip -n $NS_BR link set bout up

# plug NS IFNAME BRIDGE [MAC]
plug() {
  ip link add "${P}t" type veth peer name "${P}p"
  ip link set "${P}t" netns "$1"
  ip -n "$1" link set "${P}t" name "$2"
  [ -z "${4:-}" ] || ip -n "$1" link set "$2" address "$4"
  ip link set "${P}p" netns $NS_BR
  port="$(echo "$1$2" | md5sum | cut -c1-10)"
  ip -n $NS_BR link set "${P}p" name "p$port"
  ip -n $NS_BR link set "p$port" master "$3" up
}
plug $NS_CLI eth0 bin
plug $NS_SRV eth0 bout
for r in $NS_RA $NS_RB; do
  plug $r inside bin 02:00:5e:50:01:01
  plug $r outside bout 02:00:5e:50:02:01
  ip -n $r addr add 10.50.1.1/24 dev inside
  ip -n $r addr add 203.0.113.1/24 dev outside
  ip netns exec $r sysctl -qw net.ipv4.ip_forward=1
  ip netns exec $r sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
  ip netns exec $r nft -f - <<'EOF'
table inet fw {
  chain filter_forward {
    type filter hook forward priority 0; policy drop;
    ct state invalid drop
    ct state established,related accept
    ct state new tcp flags != syn drop
    iifname "inside" accept
    ip daddr 10.50.1.10 tcp dport 8080 accept
  }
}
table ip nat {
  chain nat_pre { type nat hook prerouting priority -100; iifname "outside" tcp dport 8080 dnat to 10.50.1.10; }
  chain nat_post { type nat hook postrouting priority 100; oifname "outside" masquerade; }
}
EOF
done
ip -n $NS_CLI addr add 10.50.1.10/24 dev eth0
ip -n $NS_CLI link set eth0 up
ip -n $NS_CLI route add default via 10.50.1.1
ip -n $NS_SRV addr add 203.0.113.10/24 dev eth0
ip -n $NS_SRV link set eth0 up

# active ROUTER: only its interfaces are up (same IPs and MACs on both).
activate() {
  other=$NS_RB; [ "$1" = $NS_RA ] || other=$NS_RA
  ip -n $other link set inside down
  ip -n $other link set outside down
  ip -n "$1" link set inside up
  ip -n "$1" link set outside up
}
activate $NS_RA

# ---- traffic ----
cat > "$TMP/echo_server.py" <<'EOF'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8)
def serve(c):
    while True:
        d = c.recv(4096)
        if not d: return
        c.sendall(d)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
cat > "$TMP/echo_client.py" <<'EOF'
# Sends a numbered line every 100 ms on ONE connection and prints the count
# of echoes received; exits 1 if an echo takes longer than 4 s.
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.settimeout(4)
n = 0
while True:
    c.sendall(b"ping %d\n" % n)
    got = b""
    try:
        while not got.endswith(b"\n"):
            d = c.recv(100)
            if not d: print("closed", flush=True); sys.exit(1)
            got += d
    except OSError as e:
        print("broken", e, flush=True); sys.exit(1)
    n += 1
    print(n, flush=True)
    time.sleep(0.1)
EOF
ip netns exec $NS_SRV python3 "$TMP/echo_server.py" 5001 & PIDS="$PIDS $!"
ip netns exec $NS_CLI python3 "$TMP/echo_server.py" 8080 & PIDS="$PIDS $!"
sleep 0.5

# start NAME NS HOST PORT: a client in the background, pid in $NAME.pid
start() {
  ip netns exec "$2" python3 "$TMP/echo_client.py" "$3" "$4" > "$TMP/$1.log" 2>&1 &
  echo $! > "$TMP/$1.pid"; PIDS="$PIDS $!"
}
count() { tail -1 "$TMP/$1.log" 2>/dev/null | grep -E '^[0-9]+$' || echo 0; }
alive() { kill -0 "$(cat "$TMP/$1.pid")" 2>/dev/null; }
# progressing NAME: the echo count grew by 10 or more within 4 s
progressing() {
  a=$(count "$1"); i=0
  while [ $i -lt 40 ]; do
    sleep 0.1; i=$((i + 1))
    [ $(( $(count "$1") - a )) -ge 10 ] && return 0
  done
  return 1
}

# ---- control: no replication ----
start c_masq $NS_CLI 203.0.113.10 5001
start c_dnat $NS_SRV 203.0.113.1 8080
progressing c_masq || fail "control: masqueraded connection does not work through A"
progressing c_dnat || fail "control: DNATed connection does not work through A"
ip netns exec $NS_RA conntrack -L 2>/dev/null | grep -q 'dport=5001' || fail "no conntrack entry in A"
activate $NS_RB
sleep 5
if alive c_masq && progressing c_masq; then fail "control: masqueraded connection survived without replication (the proof would prove nothing)"; fi
if alive c_dnat && progressing c_dnat; then fail "control: DNATed connection survived without replication"; fi
echo "control: without replication both connections died at the switch (as expected)"
kill "$(cat "$TMP/c_masq.pid")" "$(cat "$TMP/c_dnat.pid")" 2>/dev/null || true
activate $NS_RA
ip netns exec $NS_RB conntrack -F 2>/dev/null || true

# ---- proof: replicate A -> B, then switch ----
start masq $NS_CLI 203.0.113.10 5001
start dnat $NS_SRV 203.0.113.1 8080
progressing masq || fail "masqueraded connection does not work through A"
progressing dnat || fail "DNATed connection does not work through A"
"$TMP/ct_sync" $NS_RA $NS_RB || fail "replication A -> B failed"
ip netns exec $NS_RB conntrack -L 2>/dev/null > "$TMP/rb_table.txt" || true
grep 'dport=5001' "$TMP/rb_table.txt" | grep -q ESTABLISHED || fail "B lacks the masqueraded ESTABLISHED entry: $(cat "$TMP/rb_table.txt")"
grep 'dport=8080' "$TMP/rb_table.txt" | grep -q 'src=10.50.1.10' || fail "B lacks the DNAT entry: $(cat "$TMP/rb_table.txt")"
before_m=$(count masq); before_d=$(count dnat)
activate $NS_RB
sleep 1
progressing masq || fail "masqueraded connection stalled after takeover by B"
progressing dnat || fail "DNATed connection stalled after takeover by B"
alive masq || fail "masqueraded client died"
alive dnat || fail "DNATed client died"
echo "proof: after takeover by B the masqueraded connection went from $before_m to $(count masq) echoes, the DNATed one from $before_d to $(count dnat), same sockets"
# B really carried them: its counters moved and A is down.
ip -n $NS_RA link show inside | grep -q 'state DOWN' || fail "A still up"
exit 0
