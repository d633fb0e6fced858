# shellcheck shell=sh disable=SC3043
# tests/lab/topo.sh: the two-unit Active/Active lab of the LAN-based failover
# example in ../shared/seeds/003 (source lib.sh first, then this file).
#
#   unit A = ${LAB_ID}uA (primary)          unit B = ${LAB_ID}uB (secondary)
#   Ethernet0, Ethernet1         trunk parents (plain veths, nothing else on them)
#   Ethernet0.1  vlan 2   context1 inside   --- c1in  192.168.1.5/24 gw .1
#   Ethernet1.1  vlan 3   context1 outside  --- c1out 172.16.1.3/24
#   Ethernet0.2  vlan 4   context2 inside   --- c2in  192.168.2.5/24 gw .1
#   Ethernet1.2  vlan 5   context2 outside  --- c2out 172.16.2.3/24
#   Ethernet2    stateful failover link (10.0.0.1 / 10.0.0.2 in the seed)
#   Ethernet3    LAN failover link      (10.1.0.1 / 10.1.0.2 in the seed)
#
# The kernel has no 802.1Q links, so every subinterface is its own veth whose
# unit end carries the appliance's name.  Its other end is a port of the
# segment's bridge in the switch namespace ${LAB_ID}sw (bridges br_e0, br_e1,
# br_v2..br_v5, br_st, br_fo; switch ports are named A_e0.1, B_e3, h_c1in...),
# which also holds the host of that segment.  The failover and stateful links
# go through the switch too, as the seed recommends.  A cut (topo_*_link
# down) sets the switch port down: the unit end loses carrier, like a pulled
# cable, and the unit's own admin state (shutdown / no shutdown) stays the
# daemon's.
#
# The outside hosts sit at 172.16.x.3, the next hop of the seed's
# "route outside 0.0.0.0 0.0.0.0 172.16.1.3".  Every address below may be
# overridden in the environment before sourcing this file.

: "${TOPO_C1IN_ADDR:=192.168.1.5/24}"
: "${TOPO_C1IN_GW:=192.168.1.1}"
: "${TOPO_C1OUT_ADDR:=172.16.1.3/24}"
: "${TOPO_C1OUT_GW:=}"
: "${TOPO_C2IN_ADDR:=192.168.2.5/24}"
: "${TOPO_C2IN_GW:=192.168.2.1}"
: "${TOPO_C2OUT_ADDR:=172.16.2.3/24}"
: "${TOPO_C2OUT_GW:=}"
# The seed's interface addresses (active / standby), for tests and configs.
: "${TOPO_C1_INSIDE_ACTIVE:=192.168.1.1}"
: "${TOPO_C1_INSIDE_STANDBY:=192.168.1.2}"
: "${TOPO_C1_OUTSIDE_ACTIVE:=172.16.1.1}"
: "${TOPO_C1_OUTSIDE_STANDBY:=172.16.1.2}"
: "${TOPO_C2_INSIDE_ACTIVE:=192.168.2.1}"
: "${TOPO_C2_INSIDE_STANDBY:=192.168.2.2}"
: "${TOPO_C2_OUTSIDE_ACTIVE:=172.16.2.1}"
: "${TOPO_C2_OUTSIDE_STANDBY:=172.16.2.2}"
: "${TOPO_FOVER_ACTIVE:=10.1.0.1}"
: "${TOPO_FOVER_STANDBY:=10.1.0.2}"
: "${TOPO_STATE_ACTIVE:=10.0.0.1}"
: "${TOPO_STATE_STANDBY:=10.0.0.2}"
: "${TOPO_LOG_LEVEL:=informational}"

TOPO_UNITS="A B"
TOPO_UNIT_IFS="Ethernet0 Ethernet0.1 Ethernet0.2 Ethernet1 Ethernet1.1 Ethernet1.2 Ethernet2 Ethernet3"
TOPO_HOSTS="c1in c1out c2in c2out"
TOPO_PID_A=""
TOPO_PID_B=""

# The switch bridge a unit interface (or a host) is plugged into.
topo_segment() {
	case $1 in
	Ethernet0) echo br_e0 ;;
	Ethernet1) echo br_e1 ;;
	Ethernet0.1 | c1in) echo br_v2 ;;
	Ethernet1.1 | c1out) echo br_v3 ;;
	Ethernet0.2 | c2in) echo br_v4 ;;
	Ethernet1.2 | c2out) echo br_v5 ;;
	Ethernet2) echo br_st ;;
	Ethernet3) echo br_fo ;;
	*) return 1 ;;
	esac
}

# The switch-side port of UNIT's interface IF: A_e0.1, B_e3...
topo_sw_port() {
	printf '%s_e%s\n' "$1" "${2#Ethernet}"
}

topo_check_unit() {
	case $1 in
	A | B) ;;
	*) lab_fail "unit '$1': use A or B" ;;
	esac
}

topo_unit_ns() { topo_check_unit "$1"; lab_nsname "u$1"; }
topo_unit_dir() { printf '%s/u%s\n' "$LAB_DIR" "$1"; }
topo_bootstrap_file() { printf '%s/u%s/mctxd.conf\n' "$LAB_DIR" "$1"; }
topo_console_socket() { printf '%s/u%s/console.sock\n' "$LAB_DIR" "$1"; }
topo_log_file() { printf '%s/u%s/mctxd.log\n' "$LAB_DIR" "$1"; }
topo_out_file() { printf '%s/u%s/stdout.log\n' "$LAB_DIR" "$1"; }
# Context namespaces the daemon of UNIT creates: <prefix><context name>.
topo_ctx_prefix() { printf '%s%s_\n' "$LAB_ID" "$1"; }

# topo_host_up HOST ADDR GW
topo_host_up() {
	lab_ns "$1"
	lab_veth sw "h_$1" "$1" eth0
	lab_bridge_port sw "$(topo_segment "$1")" "h_$1"
	lab_addr "$1" eth0 "$2"
	[ -z "$3" ] || lab_route "$1" default "$3"
}

# topo_up: the whole lab (namespaces, links, bridges, host addresses).
topo_up() {
	local u ifname br
	lab_ns sw
	for br in br_e0 br_e1 br_v2 br_v3 br_v4 br_v5 br_st br_fo; do
		lab_bridge sw "$br"
	done
	for u in $TOPO_UNITS; do
		lab_ns "u$u"
		mkdir -p "$(topo_unit_dir "$u")"
		for ifname in $TOPO_UNIT_IFS; do
			lab_veth "u$u" "$ifname" sw "$(topo_sw_port "$u" "$ifname")"
			lab_bridge_port sw "$(topo_segment "$ifname")" "$(topo_sw_port "$u" "$ifname")"
		done
	done
	topo_host_up c1in "$TOPO_C1IN_ADDR" "$TOPO_C1IN_GW"
	topo_host_up c1out "$TOPO_C1OUT_ADDR" "$TOPO_C1OUT_GW"
	topo_host_up c2in "$TOPO_C2IN_ADDR" "$TOPO_C2IN_GW"
	topo_host_up c2out "$TOPO_C2OUT_ADDR" "$TOPO_C2OUT_GW"
	lab_log "topology up: units $(lab_nsname uA) $(lab_nsname uB), switch $(lab_nsname sw)"
}

# topo_down: stops the daemons and removes every namespace of the run
# (also the daemons' context namespaces).  The work dir stays (logs).
topo_down() {
	local u
	for u in $TOPO_UNITS; do
		if topo_unit_alive "$u"; then topo_stop_unit "$u" || true; fi
	done
	lab_sweep "$LAB_ID" "$LAB_PIDS"
	lab_log "topology down"
	return 0
}

# topo_fover_link down|up [A|B]: cuts (or restores) the LAN failover link
# (Ethernet3) at the switch: both units' ports, or only UNIT's.
topo_fover_link() { topo_cut Ethernet3 "$@"; }

# topo_state_link down|up [A|B]: the same for the stateful link (Ethernet2).
topo_state_link() { topo_cut Ethernet2 "$@"; }

# topo_data_link UNIT IF down|up: cuts one data interface of one unit.
topo_data_link() {
	topo_check_unit "$1"
	topo_segment "$2" >/dev/null || lab_fail "topo_data_link: no interface $2"
	lab_link sw "$(topo_sw_port "$1" "$2")" "$3"
}

topo_cut() {
	local ifname state u
	ifname=$1; state=$2; u=${3:-}
	case $state in up | down) ;; *) lab_fail "topo link: '$state', use up or down" ;; esac
	if [ -n "$u" ]; then
		topo_data_link "$u" "$ifname" "$state"
	else
		for u in $TOPO_UNITS; do topo_data_link "$u" "$ifname" "$state"; done
	fi
}

# ---- the daemons -------------------------------------------------------------

# topo_write_bootstrap UNIT [FILE]: the libconfig bootstrap of UNIT's mctxd.
topo_write_bootstrap() {
	local u file dir name ifname sep
	u=$1
	topo_check_unit "$u"
	file=${2:-$(topo_bootstrap_file "$u")}
	dir=$(topo_unit_dir "$u")
	mkdir -p "$dir"
	case $u in A) name=primary-a ;; B) name=secondary-b ;; esac
	{
		printf '# mctxd bootstrap for lab run %s, unit %s\n' "$LAB_ID" "$u"
		printf 'unit = "%s";\n' "$name"
		printf 'state_dir = "%s";\n' "$dir"
		printf 'console_socket = "%s";\n' "$(topo_console_socket "$u")"
		printf 'console_group = "";\n'
		printf 'netns_prefix = "%s";\n' "$(topo_ctx_prefix "$u")"
		printf 'netns = "%s";\n' "$(topo_unit_ns "$u")"
		printf 'log_level = "%s";\n' "$TOPO_LOG_LEVEL"
		printf 'log_file = "%s";\n' "$(topo_log_file "$u")"
		printf 'interfaces = (\n'
		sep=""
		for ifname in $TOPO_UNIT_IFS; do
			[ -z "$sep" ] || printf ',\n'
			printf '  { name = "%s"; link = "%s"; }' "$ifname" "$ifname"
			sep=,
		done
		printf '\n);\n'
	} >"$file" || lab_fail "cannot write $file"
}

# The binaries: skip (77) when mctxd is the build's placeholder.  A real
# daemon given a missing bootstrap must exit non-zero; the placeholder
# exits 0 whatever it is given.
topo_need_daemon() {
	[ -x "$MCTX_BUILD/mctxd" ] || lab_fail "no $MCTX_BUILD/mctxd (build it first)"
	[ -x "$MCTX_BUILD/mctx" ] || lab_fail "no $MCTX_BUILD/mctx (build it first)"
	if topo_daemon_is_placeholder; then
		lab_skip "$MCTX_BUILD/mctxd is still the placeholder"
	fi
}

topo_daemon_is_placeholder() {
	timeout 10 "$MCTX_BUILD/mctxd" -f "$LAB_DIR/no-such-bootstrap.conf" -d \
		</dev/null >/dev/null 2>&1
}

topo_unit_pid() {
	topo_check_unit "$1"
	eval "printf '%s\n' \"\$TOPO_PID_$1\""
}

topo_unit_alive() {
	lab_pid_alive "$(topo_unit_pid "$1")"
}

# topo_start_unit UNIT: starts UNIT's mctxd in the background (it enters its
# namespace itself); writes the bootstrap first if there is none.  Output
# goes to $LAB_DIR/uX/stdout.log.  Call it directly, not inside $(...).
topo_start_unit() {
	local u file
	u=$1
	topo_check_unit "$u"
	! topo_unit_alive "$u" || lab_fail "unit $u is already running"
	file=$(topo_bootstrap_file "$u")
	[ -f "$file" ] || topo_write_bootstrap "$u" "$file"
	lab_bg - "$(topo_out_file "$u")" "$MCTX_BUILD/mctxd" -f "$file" -d
	eval "TOPO_PID_$u=\$LAB_LAST_PID"
	lab_log "unit $u: mctxd started, pid $LAB_LAST_PID"
}

# topo_stop_unit UNIT [TIMEOUT]: SIGTERM, waits up to TIMEOUT seconds
# (default 10), then SIGKILL.  Returns the daemon's exit status (143 after a
# clean exit on SIGTERM with the default action, 0 if it handles the signal
# and exits 0; 137 if it had to be killed).
topo_stop_unit() {
	local u pid tries rc
	u=$1
	pid=$(topo_unit_pid "$u")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	tries=$(( ${2:-10} * 10 * $(lab_time_scale) ))   # LAB_TIME_SCALE: lib.sh
	while lab_pid_alive "$pid" && [ "$tries" -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	if lab_pid_alive "$pid"; then
		lab_log "unit $u: mctxd (pid $pid) ignored SIGTERM, killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	eval "TOPO_PID_$u="
	lab_log "unit $u: mctxd stopped, exit status $rc"
	return "$rc"
}

# topo_kill_unit UNIT: SIGKILL (a unit crash), reaped.
topo_kill_unit() {
	local u pid
	u=$1
	pid=$(topo_unit_pid "$u")
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	eval "TOPO_PID_$u="
	lab_log "unit $u: mctxd (pid $pid) killed"
	return 0
}

# topo_wait_console UNIT [TIMEOUT]: waits until the console socket exists
# (default 10 s).  Returns 1 (after showing the daemon's output) if the
# daemon died or the socket did not appear.
topo_wait_console() {
	local u sock tries
	u=$1
	sock=$(topo_console_socket "$u")
	tries=$(( ${2:-10} * 10 * $(lab_time_scale) ))   # LAB_TIME_SCALE: lib.sh
	while [ "$tries" -gt 0 ]; do
		[ -S "$sock" ] && topo_unit_alive "$u" && return 0
		topo_unit_alive "$u" || break
		sleep 0.1
		tries=$((tries - 1))
	done
	if topo_unit_alive "$u"; then
		lab_log "unit $u: no console socket $sock after ${2:-10} s"
	else
		lab_log "unit $u: mctxd exited before its console was up"
	fi
	tail -n 20 "$(topo_out_file "$u")" 2>/dev/null >&2 || true
	return 1
}

# topo_cli UNIT CMD...: runs one console command on UNIT, prints its output,
# returns mctx's status.
topo_cli() {
	local u
	u=$1; shift
	topo_check_unit "$u"
	"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$u")" -c "$*"
}

# ---- failover pair helpers (tests/lab/3x_*.sh, demo.sh) -----------------------
# Short poll/hold so the tests run in seconds (FO_POLL/FO_HOLD in ms).
: "${TOPO_FO_POLL_MS:=200}"
: "${TOPO_FO_HOLD_MS:=800}"

# topo_fo_time MS: a polltime value as the command takes it, "msec MS"
# below a second, whole seconds from 1000 ms up (msec values stop at 999;
# the VM lab, tests/vm/20_fo_lab_sctp.sh, runs the pair at 1 s / 5 s).
topo_fo_time() {
	if [ "$1" -ge 1000 ] && [ $(($1 % 1000)) -eq 0 ]; then
		echo $(($1 / 1000))
	else
		echo "msec $1"
	fi
}

# topo_fo_sysconfig UNIT [KEY] [GROUP1_LINES] [GROUP2_LINES]: the seed's
# system space (pix1_system_lan.cfg, less Ethernet4/5 the lab lacks) for
# UNIT (A primary, B secondary) with the lab's poll/hold.  KEY "" = none.
topo_fo_sysconfig() {
	local role
	case $1 in A) role=primary ;; B) role=secondary ;; *) lab_fail "unit $1" ;; esac
	cat <<CFG
hostname PIX$1
interface Ethernet0
interface Ethernet0.1
 vlan 2
interface Ethernet0.2
 vlan 4
interface Ethernet1
interface Ethernet1.1
 vlan 3
interface Ethernet1.2
 vlan 5
interface Ethernet2
 description STATE Failover Interface
interface Ethernet3
 description LAN Failover Interface
exit
failover
failover lan unit $role
failover lan interface LANFailover Ethernet3
failover lan enable
CFG
	[ -z "${2:-}" ] || echo "failover key $2"
	cat <<CFG
failover link stateful Ethernet2
failover interface ip LANFailover $TOPO_FOVER_ACTIVE 255.255.255.0 standby $TOPO_FOVER_STANDBY
failover interface ip stateful $TOPO_STATE_ACTIVE 255.255.255.0 standby $TOPO_STATE_STANDBY
failover polltime unit $(topo_fo_time "$TOPO_FO_POLL_MS") holdtime $(topo_fo_time "$TOPO_FO_HOLD_MS")
failover group 1
${3:-}
exit
failover group 2
 secondary
${4:-}
exit
admin-context admin
context admin
 config-url flash:/admin.cfg
context context1
 allocate-interface Ethernet0.1 inside_context1
 allocate-interface Ethernet1.1 outside_context1
 config-url flash:/context1.cfg
 join-failover-group 1
context context2
 allocate-interface Ethernet0.2 inside_context2
 allocate-interface Ethernet1.2 outside_context2
 config-url flash:/context2.cfg
 join-failover-group 2
exit
prompt hostname priority state context
CFG
}

# topo_cfg UNIT: console session in configuration mode, lines on stdin;
# prints the output, never fails.
topo_cfg() {
	{ echo "configure terminal"; cat; } |
		"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$1")" 2>&1 || true
}

# topo_fo_prepare UNIT [KEY] [GROUP1_LINES] [GROUP2_LINES]: writes UNIT's
# startup configuration (system space + the seed's context1/context2) into
# its flash: starts the daemon once, pastes, `write memory all`, stops it.
# The unit's real boot (topo_start_unit) then goes through the startup path.
topo_fo_prepare() {
	local u seed out c
	u=$1; shift
	seed=$TOPO_HERE/../data/seed
	topo_write_bootstrap "$u"
	topo_start_unit "$u"
	topo_wait_console "$u" 20 || lab_fail "unit $u did not start (prepare)"
	out=$(topo_fo_sysconfig "$u" "$@" | grep -v '^failover$' | topo_cfg "$u")
	if printf '%s\n' "$out" | grep -Eq "ERROR|Invalid input"; then
		printf '%s\n' "$out" >&2
		lab_fail "unit $u: system configuration refused"
	fi
	for c in context1 context2; do
		out=$({ echo "changeto context $c"; echo "configure terminal"; cat "$seed/$c.cfg"; } |
			"$MCTX_BUILD/mctx" -S "$(topo_console_socket "$u")" 2>&1 || true)
		if printf '%s\n' "$out" | grep -Eq "ERROR|Invalid input"; then
			printf '%s\n' "$out" >&2
			lab_fail "unit $u: $c configuration refused"
		fi
	done
	# `failover` last: the saved configuration has it in its place.
	printf 'failover\nwrite memory all\n' | topo_cfg "$u" >/dev/null
	topo_stop_unit "$u" || true
	# The stopped daemon's context namespaces stay (a restart adopts
	# them) with the addresses this lone run gave them: clear them, or
	# their kernel keeps answering ARP for the active addresses.
	topo_ctx_flush "$u"
}

# topo_ctx_flush UNIT: removes every address from UNIT's context namespaces.
topo_ctx_flush() {
	local ns l
	for ns in $(lab_our_netns "$(topo_ctx_prefix "$1")"); do
		for l in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do
			[ "$l" = lo ] || ip -n "$ns" addr flush dev "$l" 2>/dev/null || true
		done
	done
}
TOPO_HERE=$(cd "$(dirname "$0")" && pwd)

# topo_fo_state UNIT GROUP: this host's state of GROUP ("Active",
# "Standby Ready", ...) from `show failover state`.
topo_fo_state() {
	topo_cli "$1" show failover state 2>/dev/null |
		awk -v g="$2" '/^This host/ {me=1; next} /^Other host/ {me=0}
			me && $1 == "Group" && $2 == g {
				s=substr($0, index($0, $2) + length($2)); sub(/^ +/, "", s);
				sub(/  +.*/, "", s); print s; exit }'
}

# topo_fo_wait UNIT GROUP STATE SECS: waits until GROUP is STATE on UNIT.
topo_fo_wait() {
	lab_wait_for "[ \"\$(topo_fo_state $1 $2)\" = '$3' ]" "$4"
}

# topo_fo_log_has UNIT ID: UNIT's log has message ID (e.g. 104001).
topo_fo_log_has() {
	grep -q -- "-$2: " "$(topo_log_file "$1")" 2>/dev/null
}
