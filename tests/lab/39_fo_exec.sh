#!/bin/sh
# Failover: `failover exec mate|active|standby CMD` (seed 003, "failover
# exec"): a one-shot console command prints the mate's output as its own
# output (the console waits for the mate's reply without blocking the
# daemon), a command that fails on the mate returns the mate's error and a
# failing status, no mate (alone, or a mate that stops answering) gives a
# clear error; lines typed after the exec run after its answer.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_need_cmd timeout
lab_init 39_fo_exec
topo_need_daemon
topo_up
topo_fo_prepare A
topo_fo_prepare B

# ---- no mate ------------------------------------------------------------------
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 1 Active 10 || lab_fail "A: group 1 not Active alone"
rc=0; out=$(timeout 10 "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" \
	-c "failover exec mate show version" 2>&1) || rc=$?
[ "$rc" != 0 ] || lab_fail "exec with no mate succeeded: $out"
[ "$rc" != 124 ] || lab_fail "exec with no mate hung"
lab_assert_contains "$out" "ERROR: .*mate is not reachable" "no mate: clear error"

# ---- the pair -------------------------------------------------------------------
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
topo_fo_wait B 1 "Standby Ready" 20 || lab_fail "B: group 1 not Standby Ready"
topo_fo_wait B 2 "Standby Ready" 20 || lab_fail "B: group 2 not Standby Ready"

# The mate's view, as the command's own output (not a console notice).
out=$(timeout 10 "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" \
	-c "failover exec mate show failover" 2>&1) ||
	{ printf '%s\n' "$out" >&2; lab_fail "failover exec mate show failover failed"; }
lab_assert_contains "$out" "^Failover unit Secondary" "A's exec shows B's view"
lab_assert_not_contains "$out" "^Failover unit Primary" "not A's own view"
lab_assert_not_contains "$out" "INFO: sent to" "no asynchronous fallback"
lab_assert_contains "$(topo_cli B show failover | grep '^Failover unit')" "Secondary" "sanity"
# And the other way round.
lab_assert_contains "$(topo_cli B failover exec mate show failover)" "^Failover unit Primary" \
	"B's exec shows A's view"
# standby / active of group 1: B, then A itself.
lab_assert_contains "$(topo_cli A failover exec standby show failover)" "^Failover unit Secondary" \
	"exec standby runs on B"
lab_assert_contains "$(topo_cli A failover exec active show failover)" "^Failover unit Primary" \
	"exec active runs on A"
# Inside a context: the mate's copy of that context.
out=$(printf 'changeto context context1\nfailover exec mate show running-config\n' |
	timeout 10 "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" 2>&1) || true
lab_assert_contains "$out" "^hostname context1" "exec in context1 shows B's context1"

# A command the mate refuses: its error, and a failing status.
rc=0; out=$(timeout 10 "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" \
	-c "failover exec mate frobnicate the box" 2>&1) || rc=$?
[ "$rc" != 0 ] || lab_fail "a command failing on the mate returned success: $out"
lab_assert_contains "$out" "ERROR|Invalid input" "the mate's error is shown"
# A configuration command runs on the mate (and only there).
topo_cli A failover exec mate hostname EXEC39 >/dev/null || lab_fail "exec hostname refused"
lab_assert_contains "$(topo_cli B show running-config)" "^hostname EXEC39" "exec changed B"
lab_assert_not_contains "$(topo_cli A show running-config)" "^hostname EXEC39" "exec left A alone"

# Lines after an exec wait for its answer: the output comes in order.
out=$(printf 'failover exec mate show failover\nshow failover\n' |
	timeout 10 "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" 2>&1) || true
order=$(printf '%s\n' "$out" | grep '^Failover unit ' | tr '\n' ' ')
lab_assert_eq "$order" "Failover unit Secondary Failover unit Primary " "exec output before the next line's"

# ---- a mate that stops answering --------------------------------------------------
# B frozen: the request goes out (the link is still up for a hold time) and
# is never answered: the command ends with a clear error after its timeout,
# and the daemon keeps serving other consoles meanwhile.
pid_b=$(topo_unit_pid B)
kill -STOP "$pid_b"
t0=$(date +%s%N)
timeout 20 "$MCTX_BUILD/mctx" -S "$(topo_console_socket A)" \
	-c "failover exec mate show version" >"$LAB_DIR/frozen.out" 2>&1 &
exec_pid=$!
sleep 0.3
t_show=$(date +%s%N)
topo_cli A show version >/dev/null || lab_fail "A's console blocked while an exec waits"
t_show=$(( ($(date +%s%N) - t_show) / 1000000 ))
[ "$t_show" -lt 2000 ] || lab_fail "A's console took $t_show ms while an exec waited"
rc=0; wait "$exec_pid" || rc=$?
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -CONT "$pid_b"
out=$(cat "$LAB_DIR/frozen.out")
[ "$rc" != 124 ] || lab_fail "exec to a frozen mate hung"
[ "$rc" != 0 ] || lab_fail "exec to a frozen mate succeeded: $out"
lab_assert_contains "$out" "ERROR: the mate did not answer" "frozen mate: clear error"
[ "$waited" -ge 4000 ] || lab_fail "frozen mate: error after $waited ms, before the exec timeout"
lab_log "frozen mate: error after $waited ms, other console answered in $t_show ms"
lab_log "passed in $(lab_elapsed)"
exit 0
