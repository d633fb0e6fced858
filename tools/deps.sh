#!/bin/sh
# Installs the Debian 12 packages mctx needs. Idempotent: quiet and quick
# when everything is present (dpkg-query only, no apt-get run).
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev
 libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libnetfilter-conntrack-dev
 libnftables-dev nftables libsqlite3-dev sqlite3 libconfig-dev libsctp-dev
 libcmocka-dev libedit-dev libssl-dev iproute2 iputils-ping conntrack
 conntrackd keepalived socat netcat-openbsd procps kmod psmisc python3
 qemu-system-x86 busybox-static cpio"
missing=""
for p in $PKGS; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing (run make deps as root)" >&2
  exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian starts these services on install; the benchmarks run their own copies.
for s in keepalived conntrackd; do
  (systemctl disable --now "$s" || service "$s" stop) >/dev/null 2>&1 || true
done
