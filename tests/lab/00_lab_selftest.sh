#!/bin/sh
# Self-test of the lab library and topology (no daemon needed):
#  1. the cleanup trap removes namespaces, links and processes when a test
#     fails, errs out, is killed with SIGTERM or skips; a busy run id is
#     refused without touching what exists;
#  2. the two-unit topology has the appliance's interface names, each context
#     VLAN, the failover link and the stateful link are separate L2 segments
#     joining both units and the segment's host, and the cut functions cut;
#  3. the bootstrap parses with libconfig and says what the daemon needs;
#  4. start/stop/kill/console plumbing works against a stand-in daemon;
#  5. after the cleanup nothing of the run is left.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"

lab_need_root
lab_need_cmd ping
lab_init lab_selftest

# ---- 1. the trap -----------------------------------------------------------
cat >"$LAB_DIR/child.sh" <<EOF
set -eu
. "$HERE/lib.sh"
lab_init child_\$2
echo "\$LAB_ID" >"\$1.tmp"
lab_ns a; lab_ns b
lab_veth a x0 b y0
lab_bg a "\$LAB_DIR/sleep.log" sleep 300
echo "\$LAB_LAST_PID" >>"\$1.tmp"
# Not recorded: the namespace sweep must find it.
lab_in b sh -c 'sleep 301 </dev/null >/dev/null 2>&1 & echo \$!' >>"\$1.tmp"
mv "\$1.tmp" "\$1"
case \$2 in
fail) lab_fail "deliberate failure" ;;
errexit) false ;;
skip) lab_skip "deliberate skip" ;;
term) lab_bg - /dev/null sleep 60; wait "\$LAB_LAST_PID" ;;
pass) exit 0 ;;
esac
EOF

# check_child MODE WANT_RC: runs the child, checks its exit status and that
# it left nothing behind.
check_child() {
	local info cid rc p err
	info="$LAB_DIR/child.$1"
	err="$LAB_DIR/child.$1.err"
	rc=0
	if [ "$1" = term ]; then
		sh "$LAB_DIR/child.sh" "$info" "$1" 2>"$err" &
		p=$!
		lab_wait_for "[ -s '$info' ]" 5 || lab_fail "child ($1) did not start"
		kill -TERM "$p"
		wait "$p" || rc=$?
	else
		sh "$LAB_DIR/child.sh" "$info" "$1" 2>"$err" || rc=$?
	fi
	lab_assert_eq "$rc" "$2" "child ($1) exit status"
	[ -s "$info" ] || lab_fail "child ($1) wrote no run id"
	cid=$(sed -n 1p "$info")
	case $cid in l[0-9]*x) ;; *) lab_fail "child ($1) run id '$cid' is not l<pid>x" ;; esac
	lab_assert_eq "$(lab_leftovers "$cid" "/tmp/mctx-lab-$cid")" "" "child ($1) left things behind"
	for p in $(sed -n '2,$p' "$info"); do
		! lab_pid_alive "$p" || lab_fail "child ($1) left process $p running"
	done
	case $1 in
	fail) lab_assert_contains "$(cat "$err")" "child_fail: FAIL: deliberate failure" "lab_fail message" ;;
	skip) lab_assert_contains "$(cat "$err")" "child_skip: SKIP: deliberate skip" "lab_skip message" ;;
	esac
}
check_child pass 0
check_child fail 1
check_child errexit 1
check_child skip 77
check_child term 143
lab_log "trap cleans up after pass, lab_fail, errexit, lab_skip and SIGTERM"

# A busy run id is refused, and what is there stays.
lab_ns rpre
rc=0
LAB_ID="${LAB_ID}r" sh "$LAB_DIR/child.sh" "$LAB_DIR/child.busy" busy 2>"$LAB_DIR/busy.err" || rc=$?
lab_assert_eq "$rc" 1 "busy run id exit status"
lab_assert_contains "$(cat "$LAB_DIR/busy.err")" "is busy, refusing to run: netns ${LAB_ID}rpre" "busy message"
[ -e "/var/run/netns/${LAB_ID}rpre" ] || lab_fail "the refused run deleted a namespace it did not create"
ip netns delete "${LAB_ID}rpre"
lab_log "busy run id refused"

# ---- 2. topology --------------------------------------------------------------
topo_up
want=$(printf '%s\n' lo $TOPO_UNIT_IFS | sort | tr '\n' ' ')
for u in A B; do
	got=$(ip -n "$(topo_unit_ns $u)" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')
	lab_assert_eq "$got" "$want" "unit $u interfaces"
done
for h in $TOPO_HOSTS; do
	[ -e "/var/run/netns/$(lab_nsname "$h")" ] || lab_fail "no host namespace $h"
done
lab_assert_contains "$(ip -n "$(lab_nsname c1in)" route)" "^default via $TOPO_C1IN_GW dev eth0" "c1in default route"

# The seed's addresses: active on unit A, standby on unit B.
addrs() {
	lab_addr "u$1" Ethernet0.1 "$2/24"; lab_addr "u$1" Ethernet1.1 "$3/24"
	lab_addr "u$1" Ethernet0.2 "$4/24"; lab_addr "u$1" Ethernet1.2 "$5/24"
	lab_addr "u$1" Ethernet3 "$6/24"; lab_addr "u$1" Ethernet2 "$7/24"
}
addrs A "$TOPO_C1_INSIDE_ACTIVE" "$TOPO_C1_OUTSIDE_ACTIVE" "$TOPO_C2_INSIDE_ACTIVE" \
	"$TOPO_C2_OUTSIDE_ACTIVE" "$TOPO_FOVER_ACTIVE" "$TOPO_STATE_ACTIVE"
addrs B "$TOPO_C1_INSIDE_STANDBY" "$TOPO_C1_OUTSIDE_STANDBY" "$TOPO_C2_INSIDE_STANDBY" \
	"$TOPO_C2_OUTSIDE_STANDBY" "$TOPO_FOVER_STANDBY" "$TOPO_STATE_STANDBY"
host_ip() { eval "printf '%s\n' \"\${TOPO_$1_ADDR%/*}\""; }
for u in A B; do
	for h in C1IN C1OUT C2IN C2OUT; do
		lab_ping "u$u" "$(host_ip $h)" || lab_fail "unit $u cannot reach host $h ($(host_ip $h))"
	done
done
lab_ping c1in "$TOPO_C1_INSIDE_STANDBY" || lab_fail "c1in cannot reach unit B"
lab_ping uA "$TOPO_FOVER_STANDBY" || lab_fail "failover link: A cannot reach B"
lab_ping uA "$TOPO_STATE_STANDBY" || lab_fail "stateful link: A cannot reach B"
# Segments are separate: one subnet on two hosts of different VLANs.
lab_addr c1in eth0 10.99.0.1/24
lab_addr c2in eth0 10.99.0.2/24
! lab_ping c1in 10.99.0.2 0.3 || lab_fail "vlan 2 and vlan 4 are one segment"
lab_log "unit interfaces, host segments and both links reachable"

# Cuts: a pulled cable at the switch, seen by the unit as lost carrier.
topo_fover_link down
lab_assert_contains "$(ip -n "$(topo_unit_ns A)" link show Ethernet3)" "NO-CARRIER" "failover link cut: A carrier"
lab_assert_contains "$(ip -n "$(topo_unit_ns B)" link show Ethernet3)" "NO-CARRIER" "failover link cut: B carrier"
! lab_ping uA "$TOPO_FOVER_STANDBY" 0.3 || lab_fail "failover link down but A reaches B"
lab_ping uA "$TOPO_STATE_STANDBY" || lab_fail "failover link cut also cut the stateful link"
topo_fover_link up
lab_wait_for "lab_ping uA $TOPO_FOVER_STANDBY" 5 || lab_fail "failover link up but A cannot reach B"
topo_fover_link down B
lab_assert_not_contains "$(ip -n "$(topo_unit_ns A)" link show Ethernet3)" "NO-CARRIER" "B's cut: A keeps carrier"
lab_assert_contains "$(ip -n "$(topo_unit_ns B)" link show Ethernet3)" "NO-CARRIER" "B's cut: B carrier"
! lab_ping uA "$TOPO_FOVER_STANDBY" 0.3 || lab_fail "B's failover port down but A reaches B"
topo_fover_link up B
lab_wait_for "lab_ping uA $TOPO_FOVER_STANDBY" 5 || lab_fail "failover link back but A cannot reach B"
topo_state_link down
! lab_ping uA "$TOPO_STATE_STANDBY" 0.3 || lab_fail "stateful link down but A reaches B"
lab_ping uA "$TOPO_FOVER_STANDBY" || lab_fail "stateful link cut also cut the failover link"
topo_state_link up
lab_wait_for "lab_ping uA $TOPO_STATE_STANDBY" 5 || lab_fail "stateful link up but A cannot reach B"
topo_data_link A Ethernet0.1 down
! lab_ping uA "$(host_ip C1IN)" 0.3 || lab_fail "A's Ethernet0.1 cut but A reaches c1in"
lab_ping uB "$(host_ip C1IN)" || lab_fail "A's Ethernet0.1 cut also cut B"
lab_ping uA "$(host_ip C2IN)" || lab_fail "A's Ethernet0.1 cut also cut A's Ethernet0.2"
topo_data_link A Ethernet0.1 up
lab_wait_for "lab_ping uA $(host_ip C1IN)" 5 || lab_fail "A's Ethernet0.1 back but A cannot reach c1in"
lab_log "failover, stateful and data link cuts work"

# ---- 3. bootstrap ---------------------------------------------------------------
topo_write_bootstrap A
topo_write_bootstrap B
boot=$(cat "$(topo_bootstrap_file A)")
lab_assert_contains "$boot" "^netns = \"${LAB_ID}uA\";" "bootstrap netns"
lab_assert_contains "$boot" "^netns_prefix = \"${LAB_ID}A_\";" "bootstrap netns_prefix"
lab_assert_contains "$(cat "$(topo_bootstrap_file B)")" "^unit = \"secondary-b\";" "bootstrap unit name"
if command -v cc >/dev/null && pkg-config --exists libconfig 2>/dev/null; then
	# Parse it with the library the daemon uses.
	cat >"$LAB_DIR/cfgcheck.c" <<'EOF'
#include <libconfig.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	config_t cfg;
	const char *keys[] = { "unit", "state_dir", "console_socket", "console_group",
			       "netns_prefix", "netns", "log_level", "log_file" };
	const char *v;
	config_setting_t *ifs;
	int i;

	(void)argc;
	config_init(&cfg);
	if (!config_read_file(&cfg, argv[1])) {
		printf("error line %d: %s\n", config_error_line(&cfg), config_error_text(&cfg));
		return 1;
	}
	for (i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++) {
		if (!config_lookup_string(&cfg, keys[i], &v)) {
			printf("missing %s\n", keys[i]);
			return 1;
		}
		printf("%s=%s\n", keys[i], v);
	}
	ifs = config_lookup(&cfg, "interfaces");
	for (i = 0; ifs && i < config_setting_length(ifs); i++) {
		const char *name, *link;
		config_setting_t *row = config_setting_get_elem(ifs, i);
		if (!config_setting_lookup_string(row, "name", &name) ||
		    !config_setting_lookup_string(row, "link", &link))
			return 1;
		printf("if %s %s\n", name, link);
	}
	config_destroy(&cfg);
	return 0;
}
EOF
	# shellcheck disable=SC2046
	cc -o "$LAB_DIR/cfgcheck" "$LAB_DIR/cfgcheck.c" $(pkg-config --cflags --libs libconfig) ||
		lab_fail "cannot build the libconfig checker"
	parsed=$("$LAB_DIR/cfgcheck" "$(topo_bootstrap_file A)") || lab_fail "libconfig rejects the bootstrap: $parsed"
	lab_assert_contains "$parsed" "^netns=${LAB_ID}uA$" "parsed netns"
	lab_assert_contains "$parsed" "^console_socket=$(topo_console_socket A)$" "parsed console_socket"
	lab_assert_contains "$parsed" "^if Ethernet0.1 Ethernet0.1$" "parsed interface row"
	lab_assert_eq "$(printf '%s\n' "$parsed" | grep -c '^if ')" 8 "parsed interface rows"
	lab_log "bootstrap parses with libconfig"
else
	lab_log "no cc or libconfig: bootstrap only checked textually"
fi

# ---- 4. daemon plumbing, with a stand-in daemon -----------------------------------
real_build=$MCTX_BUILD
fake=$LAB_DIR/fakebuild
mkdir -p "$fake"
printf '#!/bin/sh\nexit 0\n' >"$fake/mctxd"
chmod +x "$fake/mctxd"
MCTX_BUILD=$fake
topo_daemon_is_placeholder || lab_fail "a daemon that exits 0 on anything is not seen as the placeholder"
if command -v socat >/dev/null; then
	# mctxd stand-in: enters the unit namespace named in its bootstrap and
	# answers each console line with the line and the unit's interfaces.
	cat >"$fake/mctxd" <<'EOF'
#!/bin/sh
if [ "$1" = --serve ]; then
	read -r line
	echo "fake mctxd: $line"
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | tr '\n' ' '
	echo
	exit 0
fi
[ "$1" = -f ] && [ -r "$2" ] || { echo "mctxd (stand-in): cannot read bootstrap '$2'" >&2; exit 1; }
val() { sed -n "s/^$1 = \"\(.*\)\";\$/\1/p" "$2"; }
exec ip netns exec "$(val netns "$2")" socat UNIX-LISTEN:"$(val console_socket "$2")",fork EXEC:"sh $0 --serve"
EOF
	cat >"$fake/mctx" <<'EOF'
#!/bin/sh
[ "$1" = -S ] && [ "$3" = -c ] || exit 2
printf '%s\n' "$4" | socat -t 2 - UNIX-CONNECT:"$2"
EOF
	chmod +x "$fake/mctxd" "$fake/mctx"
	! topo_daemon_is_placeholder || lab_fail "a daemon that rejects a missing bootstrap is seen as the placeholder"
	topo_start_unit A
	topo_wait_console A 5 || lab_fail "stand-in daemon's console did not come up"
	out=$(topo_cli A show version) || lab_fail "topo_cli failed"
	lab_assert_contains "$out" "^fake mctxd: show version$" "console command reached the daemon"
	lab_assert_contains "$out" "Ethernet0.1 .*Ethernet3" "the daemon runs inside its unit namespace"
	pid=$(topo_unit_pid A)
	rc=0; topo_stop_unit A 5 || rc=$?
	! lab_pid_alive "$pid" || lab_fail "topo_stop_unit left pid $pid running"
	[ "$rc" != 137 ] || lab_fail "stand-in daemon needed SIGKILL"
	topo_start_unit B
	topo_wait_console B 5 || lab_fail "unit B console did not come up"
	pid=$(topo_unit_pid B)
	topo_kill_unit B
	! lab_pid_alive "$pid" || lab_fail "topo_kill_unit left pid $pid running"
	# Left running on purpose: the cleanup must stop it.
	rm -f "$(topo_console_socket A)"
	topo_start_unit A
	topo_wait_console A 5 || lab_fail "unit A did not restart"
	daemon_pid=$(topo_unit_pid A)
	lab_log "start, console, stop and kill work (stand-in daemon)"
else
	daemon_pid=""
	lab_log "no socat: start/stop plumbing not checked"
fi
MCTX_BUILD=$real_build

# ---- 5. nothing left ------------------------------------------------------------
# What a daemon leaves: a context namespace of its own with a process in it.
ip netns add "$(topo_ctx_prefix A)context1"
orphan=$(lab_in "$(topo_ctx_prefix A)context1" sh -c 'sleep 303 </dev/null >/dev/null 2>&1 & echo $!')
orphan_b=$(lab_in uB sh -c 'sleep 304 </dev/null >/dev/null 2>&1 & echo $!')
lab_bg uA /dev/null sleep 305
recorded=$LAB_LAST_PID
id=$LAB_ID; dir=$LAB_DIR
lab_cleanup_now
left=$(lab_leftovers "$id" "$dir")
lab_assert_eq "$left" "" "things left after the cleanup"
for p in $orphan $orphan_b $recorded $daemon_pid; do
	! lab_pid_alive "$p" || lab_fail "process $p survived the cleanup"
done
lab_log "cleanup left nothing; passed in $(lab_elapsed)"
