#!/bin/sh
# Tears down a lab left running (DEMO_KEEP=1 or LAB_KEEP_DIR=1):
#   sh tests/lab/teardown.sh RUN_ID
# Kills the processes inside the run's namespaces and the ones it recorded
# (only those whose command line still names its work dir, in case a pid was
# reused), deletes the namespaces ID* and the work dir /tmp/mctx-lab-ID.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
LAB_NAME=teardown
[ $# = 1 ] || { echo "usage: sh $0 RUN_ID" >&2; exit 2; }
id=$1
case $id in
*[!a-z0-9]* | [!a-z]* | "") lab_fail "run id '$id': lowercase letters and digits only" ;;
esac
lab_need_root
dir=/tmp/mctx-lab-$id
pids=""
if [ -r "$dir/pids" ]; then
	for p in $(cat "$dir/pids"); do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$dir" && pids="$pids $p"
	done
fi
lab_sweep "$id" "$pids"
rm -rf "$dir"
left=$(lab_leftovers "$id" "$dir")
[ -z "$left" ] || lab_fail "still there:" $left
lab_log "run $id torn down"
