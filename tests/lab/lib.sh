# shellcheck shell=sh disable=SC3043
# tests/lab/lib.sh: the shell library every lab test sources (POSIX sh; dash).
#
#   . "$(dirname "$0")/lib.sh"
#   lab_need_root
#   lab_init my_test            # run id, work dir, cleanup trap
#   lab_ns a; lab_ns b
#   lab_veth a eth0 b eth0
#   lab_addr a eth0 10.9.0.1/24; lab_addr b eth0 10.9.0.2/24
#   lab_ping a 10.9.0.2 || lab_fail "a cannot reach b"
#
# Every name a test creates carries the run id LAB_ID ("l<pid>x"): namespaces
# are "$LAB_ID<short name>", so several runs (and other people's tests) can
# share the machine.  Namespace arguments of the lab_* functions are the
# short names; a name that already starts with $LAB_ID is taken as it is.
# All links live inside our namespaces (nothing is created in the root
# namespace), so deleting the namespaces deletes the links.
#
# The EXIT/INT/TERM trap kills the processes the run recorded (lab_bg) and
# every process still inside one of its namespaces (also ones the daemon
# started), deletes every namespace whose name starts with $LAB_ID (also the
# context namespaces the daemon created) and removes the work dir $LAB_DIR.
# It never kills anything by name.
#
# Exit codes: 0 passed, 77 skipped (lab_skip), anything else failed.
# Environment: MCTX_BUILD (default build/asan) is made absolute;
# LAB_ID overrides the run id (lowercase letters and digits, at most 12);
# LAB_KEEP_DIR=1 keeps $LAB_DIR (logs, bootstraps) after the run.

: "${MCTX_BUILD:=build/asan}"
LAB_NAME=${LAB_NAME:-lab}
LAB_ID=${LAB_ID:-}
LAB_DIR=""
LAB_PIDS=""
LAB_ARMED=0
LAB_CLEANED=0
LAB_KEEP=0
LAB_T0=""

# ---- messages --------------------------------------------------------------

lab_now() {
	date +%H:%M:%S.%3N
}

# lab_log MSG...: timestamped progress line on stderr (stdout stays clean
# for command substitutions).
lab_log() {
	printf '[%s] %s: %s\n' "$(lab_now)" "$LAB_NAME" "$*" >&2
}

# lab_fail MSG: the test failed; say why and exit 1 (the trap cleans up).
lab_fail() {
	printf '[%s] %s: FAIL: %s\n' "$(lab_now)" "$LAB_NAME" "$*" >&2
	exit 1
}

# lab_skip REASON: the test cannot run here; say why and exit 77.
lab_skip() {
	printf '[%s] %s: SKIP: %s\n' "$(lab_now)" "$LAB_NAME" "$*" >&2
	exit 77
}

lab_need_root() {
	[ "$(id -u)" = 0 ] || lab_skip "needs root (network namespaces)"
	lab_need_cmd ip
}

# lab_need_cmd CMD...: skip unless every CMD is installed.
lab_need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || lab_skip "needs '$c' (see tools/deps.sh)"
	done
}

# ---- assertions ------------------------------------------------------------
# PATTERN is an extended regular expression (grep -E), matched per line.

lab_assert_contains() {
	printf '%s\n' "$1" | grep -Eq -- "$2" && return 0
	printf '%s\n' "--- output was:" "$1" "---" >&2
	lab_fail "$3 (expected /$2/)"
}

lab_assert_not_contains() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || return 0
	printf '%s\n' "--- output was:" "$1" "---" >&2
	lab_fail "$3 (unexpected /$2/)"
}

# lab_assert_eq GOT WANT MSG
lab_assert_eq() {
	[ "$1" = "$2" ] || lab_fail "$3 (got '$1', want '$2')"
}

# lab_assert_ok MSG CMD...: CMD must succeed (its output is shown if not).
lab_assert_ok() {
	local msg out
	msg=$1; shift
	out=$("$@" 2>&1) && return 0
	printf '%s\n' "--- $* said:" "$out" "---" >&2
	lab_fail "$msg"
}

# lab_assert_fails MSG CMD...: CMD must fail.
lab_assert_fails() {
	local msg
	msg=$1; shift
	"$@" >/dev/null 2>&1 || return 0
	lab_fail "$msg (command succeeded: $*)"
}

# lab_wait_for CMD TIMEOUT: evaluates the shell text CMD every 0.1 s until it
# succeeds (return 0) or TIMEOUT seconds (integer) pass (return 1).
# LAB_TIME_SCALE (integer, default 1) multiplies every TIMEOUT: the VM lab
# (tests/vm/20_fo_lab_sctp.sh) runs under qemu's software emulation, many
# times slower than this machine, where the tests' waits would be too tight.
lab_wait_for() {
	local tries
	tries=$(( ${2:-5} * 10 * $(lab_time_scale) ))
	while [ "$tries" -gt 0 ]; do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	eval "$1" >/dev/null 2>&1
}

# The integer LAB_TIME_SCALE (see lab_wait_for), 1 when unset or invalid.
lab_time_scale() {
	case ${LAB_TIME_SCALE:-1} in
	'' | *[!0-9]* | 0) echo 1 ;;
	*) echo "${LAB_TIME_SCALE:-1}" ;;
	esac
}

# ---- run id, work dir, cleanup ----------------------------------------------

# Names (namespaces, root links) that start with ID, one a line.
lab_names_with_prefix() {
	lab_our_netns "$1" | sed 's/^/netns /'
	ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | while read -r n; do
		case $n in "$1"*) echo "link $n" ;; esac
	done
}

# lab_init NAME: picks the run id, refuses to run if anything with that
# prefix exists, creates $LAB_DIR and arms the cleanup trap.
lab_init() {
	LAB_NAME=${1:-lab}
	[ -n "$LAB_ID" ] || LAB_ID="l$$x"
	case $LAB_ID in
	*[!a-z0-9]* | [!a-z]*) lab_fail "LAB_ID '$LAB_ID': use lowercase letters and digits" ;;
	esac
	[ ${#LAB_ID} -le 12 ] || lab_fail "LAB_ID '$LAB_ID' is longer than 12 characters"
	LAB_DIR=/tmp/mctx-lab-$LAB_ID
	local busy
	busy=$(lab_names_with_prefix "$LAB_ID")
	# shellcheck disable=SC2086
	[ -z "$busy" ] || lab_fail "run id $LAB_ID is busy, refusing to run:" $busy \
		"(left by a killed run? sh tests/lab/teardown.sh $LAB_ID)"
	[ ! -e "$LAB_DIR" ] || lab_fail "run id $LAB_ID is busy, refusing to run: $LAB_DIR exists" \
		"(left by a killed run? sh tests/lab/teardown.sh $LAB_ID)"
	if ! mkdir -m 700 "$LAB_DIR" 2>/dev/null; then
		lab_fail "cannot create $LAB_DIR"
	fi
	local abs
	if abs=$(cd "$MCTX_BUILD" 2>/dev/null && pwd); then MCTX_BUILD=$abs; fi
	export MCTX_BUILD
	trap 'lab_on_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	LAB_ARMED=1
	LAB_T0=$(date +%s.%N)
	# A kernel or container without namespaces: say so instead of failing.
	if ! ip netns add "${LAB_ID}probe" 2>/dev/null; then
		lab_skip "cannot create network namespaces here"
	fi
	ip netns delete "${LAB_ID}probe"
	lab_log "run id $LAB_ID, work dir $LAB_DIR"
}

lab_elapsed() {
	awk -v t0="$LAB_T0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.2f s", t1 - t0 }'
}

# Process PID is running (not gone, not a zombie waiting to be reaped).
lab_pid_alive() {
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Our namespaces (full names), one a line.
lab_our_netns() {
	ip netns list 2>/dev/null | awk '{print $1}' | while read -r n; do
		case $n in "$1"*) echo "$n" ;; esac
	done
}

# lab_sweep ID [PIDS]: kills PIDS and every process inside a namespace named
# ID*, then deletes those namespaces and any root link named ID*.  Used by
# the trap, by topo_down and by tests/lab/teardown.sh.  Runs in a subshell
# without errexit: a process that is already gone is not an error here.
lab_sweep() {
	( set +e; lab_sweep_body "$@" )
	return 0
}

lab_sweep_body() {
	local id pids p ns n left tries
	id=$1
	pids=${2:-}
	for ns in $(lab_our_netns "$id"); do
		pids="$pids $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
	done
	left=""
	for p in $pids; do
		[ "$p" != "$$" ] || continue
		if lab_pid_alive "$p"; then
			kill -TERM "$p" 2>/dev/null && left="$left $p"
		fi
	done
	tries=30
	while [ -n "$left" ] && [ "$tries" -gt 0 ]; do
		n=""
		for p in $left; do lab_pid_alive "$p" && n="$n $p"; done
		left=$n
		[ -z "$left" ] && break
		sleep 0.1
		tries=$((tries - 1))
	done
	for p in $left; do
		printf '%s\n' "lab: pid $p ignored SIGTERM for 3 s, sending SIGKILL" >&2
		kill -KILL "$p" 2>/dev/null
	done
	# Processes started after the first pass (a dying daemon's children).
	for ns in $(lab_our_netns "$id"); do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			[ "$p" != "$$" ] && kill -KILL "$p" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null ||
			printf '%s\n' "lab: could not delete namespace $ns" >&2
	done
	for n in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
		case $n in "$id"*) ip link delete "$n" 2>/dev/null ;; esac
	done
	return 0
}

# lab_leftovers ID DIR: prints whatever of run ID still exists (namespaces,
# root links, processes whose command line mentions DIR, DIR itself).
lab_leftovers() {
	( set +e; lab_leftovers_body "$@" )
	return 0
}

lab_leftovers_body() {
	local f
	lab_names_with_prefix "$1"
	if [ -n "${2:-}" ]; then
		[ ! -e "$2" ] || echo "dir $2"
		for f in /proc/[0-9]*/cmdline; do
			tr "\0" " " 2>/dev/null <"$f" | grep -qF -- "$2" || continue
			f=${f#/proc/}; f=${f%/cmdline}
			[ "$f" = "$$" ] || { lab_pid_alive "$f" && echo "process $f"; }
		done
	fi
	return 0
}

# lab_cleanup_now: what the trap does, callable mid-test (idempotent).
lab_cleanup_now() {
	[ "$LAB_CLEANED" = 0 ] || return 0
	LAB_CLEANED=1
	[ -n "$LAB_ID" ] || return 0
	lab_sweep "$LAB_ID" "$LAB_PIDS"
	LAB_PIDS=""
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] && [ "${LAB_KEEP_DIR:-0}" != 1 ]; then
		rm -rf "$LAB_DIR"
	fi
	return 0
}

# Logs of a failed run are worth seeing before they are deleted.
lab_dump_logs() {
	local f
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] || return 0
	for f in $(find "$LAB_DIR" -name '*.log' -size +0 2>/dev/null); do
		printf '%s\n' "----- last lines of $f -----" >&2
		tail -n 30 "$f" >&2
	done
}

lab_on_exit() {
	local rc="$?"	# "local rc" alone would reset $?
	set +e
	trap - EXIT INT TERM
	if [ "$LAB_KEEP" = 1 ]; then
		exit "$rc"
	fi
	[ "$rc" = 0 ] || [ "$rc" = 77 ] || lab_dump_logs
	lab_cleanup_now
	exit "$rc"
}

# lab_keep: leave everything running when the script exits (DEMO_KEEP);
# tear down later with `sh tests/lab/teardown.sh $LAB_ID`.
lab_keep() {
	LAB_KEEP=1
	printf '%s\n' $LAB_PIDS >"$LAB_DIR/pids"
}

# ---- namespaces, links, processes -------------------------------------------

# lab_nsname NS: the full name of our namespace NS.
lab_nsname() {
	case $1 in
	"$LAB_ID"*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$LAB_ID$1" ;;
	esac
}

# lab_ns NS: creates namespace NS with lo up.
lab_ns() {
	local ns
	[ "$LAB_ARMED" = 1 ] || lab_fail "lab_ns before lab_init"
	ns=$(lab_nsname "$1")
	ip netns add "$ns" || lab_fail "cannot create namespace $ns"
	ip -n "$ns" link set lo up || lab_fail "cannot bring lo up in $ns"
}

# lab_veth NS1 IF1 NS2 IF2: a veth pair from NS1:IF1 to NS2:IF2, both up.
# Created directly inside the namespaces (the root namespace never sees it),
# so IF names only need to be unique inside their namespace.
lab_veth() {
	local a b
	a=$(lab_nsname "$1"); b=$(lab_nsname "$3")
	ip -n "$a" link add "$2" type veth peer name "$4" netns "$b" ||
		lab_fail "cannot create veth $a:$2 <-> $b:$4"
	ip -n "$a" link set "$2" up && ip -n "$b" link set "$4" up ||
		lab_fail "cannot bring up veth $a:$2 <-> $b:$4"
}

# lab_bridge NS BR [PORT...]: a bridge (no STP, forwards at once) with PORTs.
lab_bridge() {
	local ns br p
	ns=$(lab_nsname "$1"); br=$2; shift 2
	ip -n "$ns" link add "$br" type bridge stp_state 0 forward_delay 0 ||
		lab_fail "cannot create bridge $ns:$br"
	ip -n "$ns" link set "$br" up || lab_fail "cannot bring up $ns:$br"
	for p in "$@"; do
		lab_bridge_port "$ns" "$br" "$p"
	done
}

# lab_bridge_port NS BR PORT: enslaves PORT to BR.
lab_bridge_port() {
	local ns
	ns=$(lab_nsname "$1")
	ip -n "$ns" link set "$3" master "$2" || lab_fail "cannot add $ns:$3 to bridge $2"
}

# lab_addr NS IF ADDR/PLEN
lab_addr() {
	local ns
	ns=$(lab_nsname "$1")
	ip -n "$ns" addr add "$3" dev "$2" || lab_fail "cannot add $3 to $ns:$2"
}

# lab_addr_del NS IF ADDR/PLEN
lab_addr_del() {
	local ns
	ns=$(lab_nsname "$1")
	ip -n "$ns" addr del "$3" dev "$2" || lab_fail "cannot remove $3 from $ns:$2"
}

# lab_route NS DEST GW (DEST may be "default")
lab_route() {
	local ns
	ns=$(lab_nsname "$1")
	ip -n "$ns" route add "$2" via "$3" || lab_fail "cannot add route $2 via $3 in $ns"
}

# lab_link NS IF up|down
lab_link() {
	local ns
	ns=$(lab_nsname "$1")
	ip -n "$ns" link set "$2" "$3" || lab_fail "cannot set $ns:$2 $3"
}

# lab_in NS CMD...: runs CMD inside namespace NS.
lab_in() {
	local ns
	ns=$(lab_nsname "$1"); shift
	ip netns exec "$ns" "$@"
}

# lab_bg NS|- LOG CMD...: starts CMD in the background (inside NS, or here
# for "-"), output to LOG, and records its pid for the cleanup.  Sets
# LAB_LAST_PID.  Call it directly, not inside $(...): the process must be a
# child of the test shell.
lab_bg() {
	local ns log
	ns=$1; log=$2; shift 2
	if [ "$ns" = - ]; then
		"$@" </dev/null >"$log" 2>&1 &
	else
		ip netns exec "$(lab_nsname "$ns")" "$@" </dev/null >"$log" 2>&1 &
	fi
	LAB_LAST_PID=$!
	LAB_PIDS="$LAB_PIDS $LAB_LAST_PID"
}

# lab_ping NS ADDR [WAIT]: one echo request from NS; status only.
lab_ping() {
	lab_in "$1" ping -n -q -c 1 -W "${3:-1}" "$2" >/dev/null 2>&1
}
