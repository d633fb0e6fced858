#!/bin/sh
# 10_daemon: one mctxd (kernel = false, everything under $LAB_DIR) driven the
# way README shows: `mctx -c` exit codes, a pasted config with line-numbered
# errors that goes on after them, several consoles at once, the socket's
# permissions, SIGTERM, the startup config at boot; then the daemon's refusals:
# a bad bootstrap (one line naming file:line, exit 1), a corrupt flash.db
# (clear error, exit 1, file untouched) and an unwritable state directory.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lab_need_root
lab_init 10_daemon
SEED="$HERE/../data/seed"
D="$MCTX_BUILD/mctxd"
C="$MCTX_BUILD/mctx"
[ -x "$D" ] && [ -x "$C" ] || lab_skip "build $D and $C first"
# libconfig itself leaks a lexer buffer on some syntax errors.
printf 'leak:libconfig.so\n' >"$LAB_DIR/lsan.supp"
export LSAN_OPTIONS="suppressions=$LAB_DIR/lsan.supp"

SOCK="$LAB_DIR/con.sock"
# bootstrap DIR [extra libconfig lines]: writes DIR/mctxd.conf
bootstrap() {
	mkdir -p "$1"
	cat >"$1/mctxd.conf" <<EOF
unit = "A";
state_dir = "$1/state";
console_socket = "$SOCK";
netns_prefix = "${LAB_ID}A_";
log_level = "informational";
kernel = false;
${2:-}
interfaces = (
  { name = "Ethernet0"; link = "Ethernet0"; },
  { name = "Ethernet1"; link = "Ethernet1"; },
  { name = "Ethernet2"; link = "Ethernet2"; },
  { name = "Ethernet3"; link = "Ethernet3"; },
  { name = "Ethernet4"; link = "Ethernet4"; },
  { name = "Ethernet5"; link = "Ethernet5"; }
);
EOF
}

PID=""
start() {	# start CONF
	lab_bg - "$LAB_DIR/mctxd.log" "$D" -f "$1" -d
	PID=$LAB_LAST_PID
	lab_wait_for "[ -S '$SOCK' ] && '$C' -S '$SOCK' -c 'show version'" 20 ||
		lab_fail "daemon did not start"
}
stop() {	# SIGTERM; the exit status must be 0
	kill -TERM "$PID"
	rc=0; wait "$PID" || rc=$?
	lab_assert_eq "$rc" 0 "mctxd exit status after SIGTERM"
	[ ! -e "$SOCK" ] || lab_fail "socket left behind after SIGTERM"
}
cli() { "$C" -S "$SOCK" "$@"; }

U="$LAB_DIR/u"
bootstrap "$U"
start "$U/mctxd.conf"

# ---- the socket is root's only
mode=$(stat -c '%a %U' "$SOCK")
lab_assert_eq "$mode" "600 root" "console socket mode"

# ---- mctx -c exit codes
lab_assert_ok "show version" cli -c "show version"
rc=0; cli -c "show bogus" >/dev/null 2>&1 || rc=$?
lab_assert_eq "$rc" 1 "exit status of a failed command"
rc=0; cli -c "show version" -c "sh ru" -c "conf" >/dev/null 2>&1 || rc=$?
lab_assert_eq "$rc" 1 "exit status when one of several commands fails"
rc=0; "$C" -S "$LAB_DIR/nothing.sock" -c "show version" >/dev/null 2>&1 || rc=$?
lab_assert_eq "$rc" 2 "exit status without a daemon"
out=$(cli -c "sh run | include ^hostname")
lab_assert_eq "$out" "hostname ciscoasa" "filtered show run"

# ---- a pasted config: errors numbered, the rest goes on
{
	echo "configure terminal"
	sed -n '1,20p' "$SEED/pix1_system_lan.cfg"
	echo "interface Ethernet9"            # line 22: unknown interface
	echo "failover group 3"               # line 23
	sed -n '21,$p' "$SEED/pix1_system_lan.cfg"
} >"$LAB_DIR/paste.cfg"
rc=0; cli <"$LAB_DIR/paste.cfg" >"$LAB_DIR/paste.out" 2>"$LAB_DIR/paste.err" || rc=$?
lab_assert_eq "$rc" 1 "exit status of a paste with errors"
err=$(cat "$LAB_DIR/paste.err")
lab_assert_contains "$err" "^line 22: interface Ethernet9" "error of line 22 named"
lab_assert_contains "$err" "^line 23: failover group 3" "error of line 23 named"
n=$(grep -c '^line [0-9]*:' "$LAB_DIR/paste.err" || true)
lab_assert_eq "$n" 2 "number of reported errors"
run=$(cli -c "show running-config")
lab_assert_contains "$run" "^prompt hostname context" "lines after the errors applied"
lab_assert_contains "$run" "^  join-failover-group 2" "contexts after the errors applied"
lab_assert_not_contains "$run" "Ethernet9" "refused line left no trace"

# ---- several consoles at once: a held-open configuration session while
# others run; each keeps its own mode
(
	echo "configure terminal"; echo "interface Ethernet4"; sleep 2
	echo "description held"; echo "end"
) | cli >"$LAB_DIR/held.out" 2>&1 &
HELD=$!
LAB_PIDS="$LAB_PIDS $HELD"
i=0; pids=""
while [ $i -lt 6 ]; do
	( cli -c "show version" -c "show running-config" -c "show context" >"$LAB_DIR/par$i.out" 2>&1 ) &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p" || lab_fail "a parallel console failed"; done
grep -q "context1" "$LAB_DIR/par5.out" || lab_fail "parallel console output incomplete"
out=$(cli -c "show running-config | include ^hostname")
lab_assert_eq "$out" "hostname PIX1" "another session is not in the held one's mode"
wait "$HELD" || lab_fail "held session failed: $(cat "$LAB_DIR/held.out")"
lab_assert_contains "$(cli -c 'show running-config')" "^ description held" "held session's sub-mode"

# ---- the startup configuration is loaded at boot; SIGTERM is clean
lab_assert_ok "write memory" cli -c "write memory"
stop
start "$U/mctxd.conf"
run2=$(cli -c "show running-config")
lab_assert_contains "$run2" "^hostname PIX1" "startup config loaded at boot"
lab_assert_contains "$run2" "^ description held" "startup config complete"
stop

# ---- console_group: 0660 root:GROUP
bootstrap "$LAB_DIR/g" 'console_group = "daemon";'
start "$LAB_DIR/g/mctxd.conf"
mode=$(stat -c '%a %U %G' "$SOCK")
lab_assert_eq "$mode" "660 root daemon" "console socket mode with console_group"
stop

# ---- a bad bootstrap: one line naming file:line, exit 1
check_refusal() {	# MSG WANT_RE CONF
	rc=0; "$D" -f "$3" -d >"$LAB_DIR/refuse.out" 2>"$LAB_DIR/refuse.err" || rc=$?
	lab_assert_eq "$rc" 1 "$1: exit status"
	n=$(wc -l <"$LAB_DIR/refuse.err")
	[ "$n" -ge 1 ] || lab_fail "$1: nothing on stderr"
	lab_assert_contains "$(cat "$LAB_DIR/refuse.err")" "$2" "$1: message"
	[ ! -e "$SOCK" ] || lab_fail "$1: a console socket was created"
}
B="$LAB_DIR/bad"
mkdir -p "$B"
printf 'unit = "A";\nstate_dir = "%s";\nconsole_socket = "%s";\nnetns_prefix = "x";\nlog_level = "loud";\n' \
	"$B/state" "$SOCK" >"$B/level.conf"
check_refusal "bad log_level" "^mctxd: $B/level.conf:5: log_level" "$B/level.conf"
lab_assert_eq "$(wc -l <"$LAB_DIR/refuse.err")" 1 "bad log_level: one line"
printf 'unit = "A";\n\nstate_dir = = 3;\n' >"$B/syntax.conf"
check_refusal "syntax error" "^mctxd: $B/syntax.conf:3: syntax error" "$B/syntax.conf"
lab_assert_eq "$(wc -l <"$LAB_DIR/refuse.err")" 1 "syntax error: one line"
printf 'unit = "A";\n' >"$B/missing.conf"
check_refusal "missing key" "^mctxd: $B/missing.conf:1: missing required setting 'state_dir'" "$B/missing.conf"
lab_assert_eq "$(wc -l <"$LAB_DIR/refuse.err")" 1 "missing key: one line"
check_refusal "no such file" "^mctxd: $B/none.conf:0: cannot read file" "$B/none.conf"
lab_assert_eq "$(wc -l <"$LAB_DIR/refuse.err")" 1 "no such file: one line"
[ ! -e "$B/state" ] || lab_fail "a refused bootstrap created the state dir"

# ---- a corrupt flash.db: refused, untouched
bootstrap "$LAB_DIR/c"
cp -r "$U/state" "$LAB_DIR/c/state"
DB="$LAB_DIR/c/state/flash.db"
printf 'this is not an SQLite database, it was overwritten' | dd of="$DB" bs=1 seek=0 conv=notrunc 2>/dev/null
sum=$(sha256sum <"$DB")
check_refusal "corrupt flash" "flash" "$LAB_DIR/c/mctxd.conf"
lab_assert_eq "$(sha256sum <"$DB")" "$sum" "corrupt flash.db untouched"
# a truncated one too
head -c 3000 "$U/state/flash.db" >"$DB"
sum=$(sha256sum <"$DB")
check_refusal "truncated flash" "flash" "$LAB_DIR/c/mctxd.conf"
lab_assert_eq "$(sha256sum <"$DB")" "$sum" "truncated flash.db untouched"

# ---- an unwritable state directory
mkdir -p "$LAB_DIR/w"
: >"$LAB_DIR/w/afile"
sed "s|^state_dir = .*|state_dir = \"$LAB_DIR/w/afile/state\";|" "$U/mctxd.conf" >"$LAB_DIR/w/mctxd.conf"
check_refusal "state dir under a file" "state|flash" "$LAB_DIR/w/mctxd.conf"
if unshare -m true 2>/dev/null; then
	# A read-only state directory holding a good flash (root ignores mode
	# bits, so make the mount read-only in a private mount namespace).
	bootstrap "$LAB_DIR/r"
	cp -r "$U/state" "$LAB_DIR/r/state"
	sum=$(sha256sum <"$LAB_DIR/r/state/flash.db")
	rc=0
	unshare -m sh -c "mount --bind '$LAB_DIR/r/state' '$LAB_DIR/r/state' &&
		mount -o remount,bind,ro '$LAB_DIR/r/state' &&
		exec '$D' -f '$LAB_DIR/r/mctxd.conf' -d" >"$LAB_DIR/ro.out" 2>"$LAB_DIR/ro.err" || rc=$?
	lab_assert_eq "$rc" 1 "read-only state dir: exit status"
	lab_assert_contains "$(cat "$LAB_DIR/ro.err")" "^mctxd: .*(read-only|Read-only|writ)" \
		"read-only state dir: message"
	lab_assert_eq "$(sha256sum <"$LAB_DIR/r/state/flash.db")" "$sum" "read-only flash untouched"
	[ ! -e "$SOCK" ] || lab_fail "read-only state dir: socket created"
else
	lab_log "unshare -m unavailable: read-only state dir case not run"
fi
lab_log "passed in $(lab_elapsed)"
