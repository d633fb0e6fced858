#!/bin/sh
# Failover: the units have different `failover key`s -> no pairing: every
# message is refused with ASA's "Failover message decryption failure"
# (920101), each unit stays alone with both groups Active and never
# detects its mate.  Then the same key on both: they pair.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/topo.sh"
lab_need_root
lab_init 37_fo_key_mismatch
topo_need_daemon
topo_up
topo_fo_prepare A secretA
topo_fo_prepare B secretB
topo_start_unit A
topo_wait_console A 20 || lab_fail "unit A did not start"
topo_fo_wait A 1 Active 10 || lab_fail "A: group 1 not Active"
topo_start_unit B
topo_wait_console B 20 || lab_fail "unit B did not start"
lab_wait_for "topo_fo_log_has A 920101 || topo_fo_log_has B 920101" 10 ||
	lab_fail "no decryption failure logged"
grep -h -- "-920101: " "$(topo_log_file A)" "$(topo_log_file B)" | head -n 1 >&2
topo_fo_wait B 1 Active 10 || lab_fail "B: group 1 not Active (must not pair)"
lab_assert_contains "$(topo_cli A show failover)" "Mate Unknown" "A never heard B"
lab_assert_contains "$(topo_cli B show failover state)" "Not Detected" "B never heard A"
lab_assert_not_contains "$(topo_cli A show failover)" "WARNING: no failover key" "keyed: no cleartext warning"
# Same key: they pair (B yields, dual active resolved).
printf 'failover key secretA\n' | topo_cfg B >/dev/null
topo_fo_wait B 1 "Standby Ready" 15 || lab_fail "B did not pair once the keys matched"
