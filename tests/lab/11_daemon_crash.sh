#!/bin/sh
# 11_daemon_crash: the startup configuration survives the daemon being
# killed (SIGKILL) in the middle of `write memory` of a large configuration,
# again and again: after each kill the saved configuration is wholly the old
# one or wholly the new one.  Then a full disk (a tiny tmpfs in a private
# mount namespace) during `write memory`: a clear error, the old startup
# configuration intact.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lab_need_root
lab_init 11_daemon_crash
D="$MCTX_BUILD/mctxd"
C="$MCTX_BUILD/mctx"
[ -x "$D" ] && [ -x "$C" ] || lab_skip "build $D and $C first"
SOCK="$LAB_DIR/con.sock"
ST="$LAB_DIR/state"
cat >"$LAB_DIR/mctxd.conf" <<EOF
unit = "A";
state_dir = "$ST";
console_socket = "$SOCK";
netns_prefix = "${LAB_ID}A_";
kernel = false;
interfaces = ( { name = "Ethernet0"; link = "Ethernet0"; } );
EOF
cli() { "$C" -S "$SOCK" "$@"; }
PID=""
start() {	# [unshare-prefix...]
	lab_bg - "$LAB_DIR/mctxd.log" "$@" "$D" -f "$LAB_DIR/mctxd.conf" -d
	PID=$LAB_LAST_PID
	lab_wait_for "[ -S '$SOCK' ] && '$C' -S '$SOCK' -c 'show version'" 20 ||
		lab_fail "daemon did not start"
}

# gen_config G N: hostname gG and N subinterfaces, each tagged gG
gen_config() {
	echo "configure terminal"
	echo "hostname g$1"
	i=1
	while [ "$i" -le "$2" ]; do
		echo "interface Ethernet0.$i"
		echo " vlan $i"
		echo " description gen g$1 $(printf '%0200d' "$i")"
		i=$((i + 1))
	done
	echo "end"
}

# The tags the saved configuration holds, sorted and unique.
saved_tags() {
	cli -c "show startup-config" | sed -n 's/^hostname \(g[0-9]*\)$/\1/p; s/^ description gen \(g[0-9]*\) .*/\1/p' | sort -u
}

N=400       # about 100 KB of configuration
start
gen_config 0 "$N" | cli >/dev/null
cli -c "write memory" >/dev/null
prev=g0
round=1
while [ "$round" -le 8 ]; do
	gen_config "$round" "$N" | cli >/dev/null
	cli -c "write memory" >/dev/null 2>&1 &
	W=$!
	# kill somewhere inside the write (0-40 ms after it was sent)
	sleep "0.0$(awk -v s="$round" 'BEGIN { srand(s * 7919); printf "%02d", int(rand() * 40) }')"
	kill -KILL "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	wait "$W" 2>/dev/null || true
	start
	tags=$(saved_tags | tr '\n' ' ')
	case "$tags" in
	"$prev ") ;;
	"g$round ") prev=g$round ;;
	*) lab_fail "round $round: saved configuration mixes or lost generations: '$tags'" ;;
	esac
	# the whole configuration, not a prefix of it
	n=$(cli -c "show startup-config" | grep -c '^ description gen ')
	lab_assert_eq "$n" "$N" "round $round: interfaces in the saved configuration"
	lab_log "round $round: saved generation $prev"
	round=$((round + 1))
done
kill -TERM "$PID"; wait "$PID" || lab_fail "mctxd exit status after SIGTERM"

# ---- a full disk during write memory
if ! unshare -m true 2>/dev/null; then
	lab_skip "unshare -m unavailable: full-disk case not run"
fi
rm -rf "$ST"; mkdir -p "$ST"
start unshare -m sh -c "mount -t tmpfs -o size=600k tmpfs '$ST' && exec \"\$@\"" sh
gen_config 1 20 | cli >/dev/null
lab_assert_ok "write memory on an empty tmpfs" cli -c "write memory"
before=$(cli -c "show startup-config")
# fill what is left of the tmpfs, inside the daemon's mount namespace
nsenter -t "$PID" -m sh -c "dd if=/dev/zero of='$ST/filler' bs=4k 2>/dev/null; sync" || true
gen_config 2 "$N" | cli >/dev/null
rc=0; out=$(cli -c "write memory" 2>&1) || rc=$?
lab_assert_eq "$rc" 1 "write memory on a full disk: exit status"
lab_assert_contains "$out" "ERROR: .*(space|full)" "write memory on a full disk: message"
after=$(cli -c "show startup-config")
[ "$before" = "$after" ] || lab_fail "full disk: the saved configuration changed"
# room again: the next write works
nsenter -t "$PID" -m rm -f "$ST/filler"
lab_assert_ok "write memory after space is freed" cli -c "write memory"
lab_assert_contains "$(cli -c 'show startup-config')" "^hostname g2" "new configuration saved"
kill -TERM "$PID"; wait "$PID" || lab_fail "mctxd exit status after SIGTERM"
lab_log "passed in $(lab_elapsed)"
