#!/bin/sh
# Issue 3 end to end through the daemon: security contexts as network
# namespaces, configured from the seed and applied to the kernel.
#
# Unit A of the topology (tests/lab/topo.sh) runs mctxd with the kernel on.
# The seed's system configuration (tests/data/seed/pix1_system_lan.cfg) and
# context configurations (context1.cfg, context2.cfg) are pasted through
# the console as they are: the topology already gives the hosts the seed's
# addresses, inside the run's private namespaces.  Then:
#   1. lifecycle: namespaces <prefix>context1/2 exist with their two
#      interfaces (moved and renamed), addresses, routes, nftables table,
#      ip_forward=1; `show context`, the show commands read the kernel;
#   2. traffic: TCP to www through the static passes (inside host port 80,
#      outside client to the mapped address), other ports and the real
#      address do not; ACL hit counts rise only for permitted traffic; the
#      static shows in `show xlate`, the connection in `show conn` and in
#      the namespace's conntrack with its translation;
#   3. isolation: context1's hosts and namespace cannot reach context2's;
#      a context's confined console (context_console_dir) stays in it;
#   4. bad input gets ASA's error and changes nothing (show running-config
#      and the kernel compared before and after);
#   5. resource class: `limit-resource conns N` + `member`: the N+1th
#      connection fails;
#   6. write memory all, unsaved changes, kill -9, restart: the namespaces
#      are adopted (no duplicates, no lost interface: an unsaved context's
#      namespace is removed and its links returned), traffic passes again;
#   7. mac-address auto; no allocate-interface gives the link back; no
#      context removes the namespace and returns its links; a context
#      created again loads its config-url.
# Everything is removed by the lab's trap, also when the test fails.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"

SEED=$ROOT/tests/data/seed
CONN_LIMIT=4

lab_need_root
lab_need_cmd socat conntrack nft ping timeout
lab_init 20_contexts
topo_need_daemon
topo_up
# The seed's system configuration also names Ethernet4 and Ethernet5.
lab_veth uA Ethernet4 sw A_e4
lab_veth uA Ethernet5 sw A_e5
topo_write_bootstrap A
CTX_DIR=$(topo_unit_dir A)/ctx
printf 'context_console_dir = "%s";\n' "$CTX_DIR" >>"$(topo_bootstrap_file A)"
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"

NS1=$(topo_ctx_prefix A)context1
NS2=$(topo_ctx_prefix A)context2
UNS=$(topo_unit_ns A)
SOCK=$(topo_console_socket A)

# mctx_paste [-C CONTEXT] FILE...: the files as one console session (stdin
# mode) after `configure terminal`, in CONTEXT when given; prints the output.
mctx_paste() {
	local pre
	pre=""
	if [ "$1" = -C ]; then pre="changeto context $2"; shift 2; fi
	{ [ -z "$pre" ] || echo "$pre"; echo "configure terminal"; cat "$@"; } |
		"$MCTX_BUILD/mctx" -S "$SOCK" 2>&1 || true
}
# in_ctx CONTEXT CMD: one session: changeto CONTEXT, then CMD.
in_ctx() {
	"$MCTX_BUILD/mctx" -S "$SOCK" -c "changeto context $1" -c "$2"
}
# sys_cfg CMD...: one session in configuration mode of the system space;
# prints the output (errors included), never fails.
sys_cfg() {
	local line
	for line in "$@"; do printf '%s\n' "$line"; done |
		{ echo "configure terminal"; cat; } | "$MCTX_BUILD/mctx" -S "$SOCK" 2>&1 || true
}
# ctx_cfg CONTEXT CMD...: the same inside CONTEXT.
ctx_cfg() {
	local c line
	c=$1; shift
	for line in "$@"; do printf '%s\n' "$line"; done |
		{ echo "changeto context $c"; echo "configure terminal"; cat; } |
		"$MCTX_BUILD/mctx" -S "$SOCK" 2>&1 || true
}

# A web server on each inside host: every connection gets a line, then is
# held open for a while (so it is still in `show conn`).
lab_bg c1in "$LAB_DIR/www1.log" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo www-c1; sleep 15'
lab_bg c2in "$LAB_DIR/www2.log" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo www-c2; sleep 15'
# Other services on the inside host (must stay unreachable from outside).
lab_bg c1in "$LAB_DIR/ssh1.log" socat TCP-LISTEN:22,fork,reuseaddr SYSTEM:'echo ssh-c1'

# fetch HOST ADDR PORT: the server's first line ("" when refused/timed out).
fetch() {
	lab_in "$1" timeout 6 socat -u "TCP:$2:$3,connect-timeout=2" - 2>/dev/null | head -n 1 || true
}

# ---- 1. the seed, pasted through the console --------------------------------
lab_log "1. the seed, pasted through the console"
out=$(mctx_paste "$SEED/pix1_system_lan.cfg")
lab_assert_not_contains "$out" "ERROR|Invalid input" "the seed's system configuration loads"
lab_assert_contains "$out" "Creating context 'context1'" "context1 is created"
for c in context1 context2; do
	out=$(mctx_paste -C "$c" "$SEED/$c.cfg")
	lab_assert_not_contains "$out" "ERROR|Invalid input" "the seed's $c configuration loads"
done

for c in admin context1 context2; do
	ip netns list | grep -q "^$(topo_ctx_prefix A)$c\b" || lab_fail "no namespace for $c"
done
# The links left the unit and are renamed in the context.
links=$(ip -n "$UNS" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//')
lab_assert_not_contains "$links" "^Ethernet(0|1)\.(1|2)$" "allocated links left the unit namespace"
links1=$(ip -n "$NS1" -o link show)
lab_assert_contains "$links1" ": inside_context1[@:]" "inside_context1 is in context1"
lab_assert_contains "$links1" "mctx:Ethernet1.1:[0-9a-f]{12}:outside_context1" "outside_context1 is in context1 (alias)"
lab_assert_contains "$(ip -n "$NS1" -4 -o addr show)" "192\.168\.1\.1/24" "context1 inside address"
lab_assert_contains "$(ip -n "$NS1" -4 -o addr show)" "172\.16\.1\.1/24" "context1 outside address"
lab_assert_contains "$(ip -n "$NS2" -4 -o addr show)" "192\.168\.2\.1/24" "context2 inside address"
lab_assert_contains "$(ip -n "$NS1" route show)" "^default via 172\.16\.1\.3" "context1 default route"
lab_assert_eq "$(ip netns exec "$NS1" cat /proc/sys/net/ipv4/ip_forward)" 1 "context1 forwards"
lab_assert_eq "$(ip netns exec "$NS2" cat /proc/sys/net/ipv4/ip_forward)" 1 "context2 forwards"
lab_assert_contains "$(ip netns exec "$NS1" nft list table ip mctx)" "dnat to 192\.168\.1\.5" "context1 static in nftables"

out=$(topo_cli A show context)
lab_assert_contains "$out" "^ context1 +default +Ethernet0\.1 +flash:/context1\.cfg" "show context lists context1"
lab_assert_contains "$out" "^ +Ethernet1\.2" "show context lists context2's second interface"
out=$(in_ctx context1 "show interface ip brief")
lab_assert_contains "$out" "^inside_context1 +192\.168\.1\.1 +YES manual up +up" "show interface ip brief"
lab_assert_contains "$(in_ctx context1 "show nameif")" "^outside_context1 +outside +0" "show nameif"
out=$(in_ctx context1 "show route")
lab_assert_contains "$out" "^S\* +0\.0\.0\.0 0\.0\.0\.0 \[1/0\] via 172\.16\.1\.3, outside" "show route (static)"
lab_assert_contains "$out" "^C +192\.168\.1\.0 255\.255\.255\.0 is directly connected, inside" "show route (connected)"
out=$(in_ctx context1 "show running-config")
lab_assert_contains "$out" "<context>" "show running-config in a context has the <context> header"
lab_assert_contains "$out" "^static \(inside,outside\) 172\.16\.1\.1 192\.168\.1\.5 netmask 255\.255\.255\.255" "context running-config"
lab_assert_not_contains "$out" "^context |failover" "a context's running-config has no system lines"
out=$(ctx_cfg context1 "failover lan enable" "context other")
lab_assert_contains "$out" "Invalid input" "system commands do not exist inside a context"

# ---- 2. traffic --------------------------------------------------------------
lab_log "2. traffic"
acl_hits() {
	in_ctx context1 "show access-list" | sed -n 's/.*line 1 extended permit tcp any host 172\.16\.1\.1 eq www (hitcnt=\([0-9]*\)).*/\1/p'
}
h0=$(acl_hits)
lab_assert_eq "$h0" 0 "hit count before traffic"
lab_assert_eq "$(fetch c1out 172.16.1.1 80)" www-c1 "permitted TCP to www through context1's static"
lab_assert_eq "$(fetch c2out 172.16.2.1 80)" www-c2 "permitted TCP to www through context2's static"
h1=$(acl_hits)
[ "$h1" -ge 1 ] || lab_fail "ACL hit count did not rise (was $h0, now $h1)"
# Denied: another port of the static, and the real address (routed there).
lab_assert_eq "$(fetch c1out 172.16.1.1 22)" "" "TCP/22 to the static is denied"
lab_in c1out ip route add 192.168.1.0/24 via 172.16.1.1
lab_assert_eq "$(fetch c1out 192.168.1.5 80)" "" "TCP to the real address is denied (ACL names the mapped one)"
lab_assert_fails "ICMP from outside to the inside host is denied" lab_ping c1out 192.168.1.5 1
lab_assert_eq "$(acl_hits)" "$h1" "denied traffic does not count as a hit"
# Higher to lower security level is allowed (no ACL needed), statefully.
lab_assert_ok "the inside host reaches the outside host" lab_ping c1in 172.16.1.3 2

# A connection held open: show conn, conntrack with its translation, xlate.
lab_bg c1out "$LAB_DIR/held.log" timeout 12 socat -u TCP:172.16.1.1:80 -
lab_wait_for "in_ctx context1 'show conn' | grep -q '^TCP outside 172.16.1.3:[0-9]* inside 192.168.1.5:80'" 5 ||
	lab_fail "show conn does not list the held connection: $(in_ctx context1 'show conn')"
ct=$(ip netns exec "$NS1" conntrack -L -p tcp --dport 80 2>/dev/null)
lab_assert_contains "$ct" "src=172\.16\.1\.3 dst=172\.16\.1\.1 .* src=192\.168\.1\.5 dst=172\.16\.1\.3" "conntrack shows the static's translation"
lab_assert_contains "$(in_ctx context1 'show conn count')" "^[1-9][0-9]* in use" "show conn count"
out=$(in_ctx context1 "show conn detail")
lab_assert_contains "$out" "xlate from inside:192\.168\.1\.5/80 to outside:172\.16\.1\.1/80" "show conn detail names the xlate"
out=$(in_ctx context1 "show xlate")
lab_assert_contains "$out" "^NAT from inside:192\.168\.1\.5 to outside:172\.16\.1\.1" "show xlate lists the static"
lab_assert_contains "$(in_ctx context1 'show arp')" "outside 172\.16\.1\.3 [0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}" "show arp reads the neighbour table"

# ---- 3. isolation --------------------------------------------------------------
lab_log "3. isolation"
lab_assert_fails "context1's inside host cannot reach context2's inside host" lab_ping c1in 192.168.2.5 1
lab_assert_eq "$(fetch c1in 192.168.2.5 80)" "" "context1's host cannot open TCP to context2's host"
lab_assert_eq "$(fetch c1in 172.16.2.1 80)" "" "context1's host cannot reach context2's static"
lab_assert_fails "context1's namespace cannot reach context2's address" \
	ip netns exec "$NS1" ping -c 1 -W 1 192.168.2.1
out=$(ip -n "$NS1" -o link show; ip -n "$NS1" -4 -o addr show)
lab_assert_not_contains "$out" "context2|192\.168\.2\.|172\.16\.2\." "context1 sees none of context2's interfaces"
out=$(in_ctx context1 "show interface ip brief")
lab_assert_not_contains "$out" "context2" "context1's show interface lists only its own"
out=$(in_ctx context1 "show context")
lab_assert_not_contains "$out" "context2|admin" "show context in a context shows only that context"
# The confined console of context1.
[ -S "$CTX_DIR/context1.sock" ] || lab_fail "no confined console socket $CTX_DIR/context1.sock"
CSOCK=$CTX_DIR/context1.sock
out=$("$MCTX_BUILD/mctx" -S "$CSOCK" -c "show running-config")
lab_assert_contains "$out" "^hostname context1" "the confined console starts in its context"
lab_assert_fails "a confined console cannot changeto system" "$MCTX_BUILD/mctx" -S "$CSOCK" -c "changeto system"
lab_assert_fails "a confined console cannot changeto another context" \
	"$MCTX_BUILD/mctx" -S "$CSOCK" -c "changeto context context2"
out=$("$MCTX_BUILD/mctx" -S "$CSOCK" -c "changeto system" 2>&1 || true)
lab_assert_contains "$out" "Command authorization failed" "changeto out of a confined console is refused"

# ---- 4. bad input changes nothing ------------------------------------------------
lab_log "4. bad input changes nothing"
snapshot() {
	topo_cli A show running-config | grep -v '^Cryptochecksum'
	in_ctx context1 "show running-config" | grep -v '^Cryptochecksum'
	ip -n "$NS1" -o link show | awk '{print $2}'
	ip -n "$NS1" -4 -o addr show | awk '{print $2, $4}'
	ip -n "$UNS" -o link show | awk '{print $2}'
}
before=$(snapshot)
out=$(sys_cfg "context context2" "allocate-interface Ethernet7 inside_x")
lab_assert_contains "$out" "ERROR: % Invalid input detected at '\^' marker" "allocating a missing interface"
out=$(sys_cfg "context context2" "allocate-interface Ethernet0.1 stolen")
lab_assert_contains "$out" "ERROR: Interface Ethernet0.1 is already allocated to context context1" "allocating an allocated interface"
out=$(ctx_cfg context1 "interface inside_context1" "ip address 192.168.1.1 255.255.255.0 standby 10.9.9.2")
lab_assert_contains "$out" "ERROR: Standby address 10\.9\.9\.2 is not in the same subnet" "standby outside the subnet"
out=$(ctx_cfg context1 "interface inside_context1" "ip address 172.16.1.9 255.255.255.0")
lab_assert_contains "$out" "ERROR: This address conflicts with another address" "an address in another interface's subnet"
out=$(ctx_cfg context1 "interface inside_context1" "ip address 192.168.1.0 255.255.255.0")
lab_assert_contains "$out" "ERROR: Invalid address" "the subnet's own address"
out=$(ctx_cfg context1 "interface outside_context1" "nameif inside")
lab_assert_contains "$out" "ERROR: Name \"inside\" is assigned to another interface" "a duplicate nameif"
out=$(ctx_cfg context1 "interface Ethernet0.2")
lab_assert_contains "$out" "ERROR: % Invalid input detected at '\^' marker" "an interface of another context"
after=$(snapshot)
[ "$before" = "$after" ] || {
	printf '%s\n' "$before" >"$LAB_DIR/before.txt"; printf '%s\n' "$after" >"$LAB_DIR/after.txt"
	diff "$LAB_DIR/before.txt" "$LAB_DIR/after.txt" >&2 || true
	lab_fail "bad input changed the configuration or the kernel"
}

# ---- 5. resource class -------------------------------------------------------------
lab_log "5. resource class"
out=$(sys_cfg "class gold" "limit-resource conns $CONN_LIMIT" "exit" "context context2" "member gold")
lab_assert_not_contains "$out" "ERROR" "class gold and member gold"
# Hold CONN_LIMIT connections through context2, then one more.
i=0
while [ "$i" -lt "$CONN_LIMIT" ]; do
	lab_bg c2out "$LAB_DIR/limit$i.log" timeout 12 socat -u TCP:172.16.2.1:80,connect-timeout=2 -
	i=$((i + 1))
done
lab_wait_for "[ \$(in_ctx context2 'show conn count' | sed -n 's/ in use.*//p') -ge $CONN_LIMIT ]" 5 ||
	lab_fail "context2 does not hold $CONN_LIMIT connections: $(in_ctx context2 'show conn')"
lab_assert_eq "$(fetch c2out 172.16.2.1 80)" "" "connection $((CONN_LIMIT + 1)) is refused by the class limit"
out=$(in_ctx context2 "show resource usage")
# "Current" counts every tracked flow of the namespace, also to-the-box
# ones such as interface-monitoring hellos; the limit and the denials are
# what this checks.
lab_assert_contains "$out" "^context2 +Conns +[0-9]+ +[0-9]+ +$CONN_LIMIT +[1-9]" "show resource usage counts the denial"
lab_assert_eq "$(fetch c1out 172.16.1.1 80)" www-c1 "context1 (class default) is not limited"

# ---- 6. restart: write memory all, kill -9, adopt ------------------------------------
lab_log "6. restart: write memory all, kill -9, adopt"
out=$(topo_cli A write memory all)
lab_assert_contains "$out" "\[OK\]" "write memory all"
run_before=$(snapshot)
# Changes never saved, then a crash: a new context holding Ethernet4 and an
# extra interface in context1.  The restarted daemon must give both links
# back (the startup configuration has neither), not lose them.
out=$(sys_cfg "context scratch" "allocate-interface Ethernet4 s_in" "exit" \
	"context context1" "allocate-interface Ethernet5 extra")
lab_assert_not_contains "$out" "ERROR" "unsaved context and allocation"
lab_assert_contains "$(ip -n "$NS1" -o link show)" "mctx:Ethernet5:" "Ethernet5 moved into context1 (unsaved)"
topo_kill_unit A
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not restart"
lab_wait_for "topo_cli A show context | grep -q context2" 10 || lab_fail "contexts not back after restart"
# With failover configured, a booting unit holds its groups standby (the
# standby addresses) until it has heard no mate for the hold time; then,
# alone, it takes both groups active again.
lab_wait_for "ip -n $NS1 -4 -o addr show | grep -q ' 192.168.1.1/' && ip -n $NS2 -4 -o addr show | grep -q ' 192.168.2.1/'" 90 ||
	lab_fail "the restarted unit did not become active: $(topo_cli A show failover 2>&1 | head -20)"
nsl=$(ip netns list | awk '{print $1}' | grep "^$(topo_ctx_prefix A)" | sort)
lab_assert_eq "$(printf '%s\n' "$nsl" | tr '\n' ' ')" "${NS1%context1}admin $NS1 $NS2 " "exactly the three namespaces after restart"
run_after=$(snapshot)
[ "$run_before" = "$run_after" ] || {
	printf '%s\n' "$run_before" >"$LAB_DIR/before.txt"; printf '%s\n' "$run_after" >"$LAB_DIR/after.txt"
	diff "$LAB_DIR/before.txt" "$LAB_DIR/after.txt" >&2 || true
	lab_fail "the restarted daemon does not have the same configuration and links"
}
grep -q "refused" "$(topo_out_file A)" && lab_fail "startup configuration lines were refused: $(grep -A3 refused "$(topo_out_file A)")"
lab_assert_eq "$(fetch c1out 172.16.1.1 80)" www-c1 "traffic passes after the restart"
lab_assert_eq "$(ip -n "$NS2" -o link show | grep -c mctx:)" 2 "context2 kept both interfaces"

# ---- 7. mac-address auto, deallocation, removal ----------------------------------------
lab_log "7. mac-address auto, deallocation, removal"
mac_of() { ip -n "$NS1" -o link show inside_context1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
mac_before=$(mac_of)
sys_cfg "mac-address auto" >/dev/null
lab_assert_contains "$(ip -n "$NS1" -o link show inside_context1)" "link/ether a2:" "mac-address auto gives A2xx MACs"
lab_assert_eq "$(fetch c1out 172.16.1.1 80)" www-c1 "traffic passes with the new MACs"
sys_cfg "no mac-address auto" >/dev/null
# The burned-in MAC comes back (a random veth MAC may itself start a2:).
lab_assert_eq "$(mac_of)" "$mac_before" "no mac-address auto restores the MAC"

out=$(sys_cfg "context context2" "no allocate-interface Ethernet1.2")
lab_assert_not_contains "$out" "ERROR" "no allocate-interface"
lab_assert_contains "$(ip -n "$UNS" -o link show)" ": Ethernet1\.2[@:]" "Ethernet1.2 is back in the unit"
lab_assert_not_contains "$(ip -n "$NS2" -o link show)" "outsid" "Ethernet1.2 left context2"
lab_assert_not_contains "$(in_ctx context2 'show running-config')" "outside" "context2's outside config went with it"

out=$(sys_cfg "no context context2")
lab_assert_not_contains "$out" "ERROR" "no context context2"
ip netns list | grep -q "^$NS2\b" && lab_fail "context2's namespace is still there"
lab_assert_contains "$(ip -n "$UNS" -o link show)" ": Ethernet0\.2[@:]" "Ethernet0.2 is back in the unit"
[ ! -e "$CTX_DIR/context2.sock" ] || lab_fail "context2's console socket is still there"
lab_assert_not_contains "$(topo_cli A show context)" "context2" "show context no longer lists context2"

# Created again: the config-url (saved above) is loaded.
out=$(sys_cfg "context context2" "allocate-interface Ethernet0.2 inside_context2" \
	"allocate-interface Ethernet1.2 outside_context2" "config-url flash:/context2.cfg" "join-failover-group 2")
lab_assert_not_contains "$out" "ERROR|WARNING" "context2 created again"
lab_assert_contains "$(ip -n "$NS2" -4 -o addr show)" "172\.16\.2\.1/24" "context2's config-url was loaded"
lab_assert_eq "$(fetch c2out 172.16.2.1 80)" www-c2 "context2 passes traffic again"

topo_stop_unit A 10 || true
if grep -q "ERROR: AddressSanitizer\|runtime error:" "$(topo_out_file A)"; then
	lab_fail "the daemon hit a sanitizer error (see $(topo_out_file A))"
fi
lab_log "passed in $(lab_elapsed)"
