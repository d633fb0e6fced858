#!/bin/sh
# Builds a small initramfs that boots Debian's generic kernel (which has
# SCTP, ESP and 9p as modules) under qemu and runs one host command inside
# a chroot of the host's / (shared read-only over 9p), following
# ../shared/notes/platform.md's checked recipe.
#   tests/vm/build-initrd.sh      -> prints "KERNEL INITRD" paths
# Everything is cached under build/vm/.  Exit 77 (with the reason) when a
# needed tool or package is unavailable.
set -eu
cd "$(dirname "$0")/../.."
VM=build/vm
mkdir -p "$VM/debs"

skip() { echo "vm: $*" >&2; exit 77; }
for tool in qemu-system-x86_64 cpio depmod dpkg apt-get gzip; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "missing $tool (apt-get install qemu-system-x86 cpio kmod)"
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q static ||
	BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] && [ -x "$BUSYBOX" ] || skip "missing busybox (apt-get install busybox-static)"
ldd "$BUSYBOX" >/dev/null 2>&1 && skip "busybox is not static (apt-get install busybox-static)"

# The kernel package: reuse a cached one, else the newest 6.1 in apt.
DEB=$(ls "$VM"/debs/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$DEB" ]; then
	PKG=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
	      awk '{print $1}' | sort -V | tail -1)
	[ -n "$PKG" ] || skip "no linux-image-6.1.0-*-amd64 package in apt"
	(cd "$VM/debs" && apt-get download "$PKG" >/dev/null 2>&1) ||
		skip "apt-get download $PKG failed"
	DEB=$(ls "$VM"/debs/"$PKG"_*.deb | tail -1)
fi
VER=$(basename "$DEB" | sed 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\)_.*/\1/')
KDIR=$VM/kernel-$VER
if [ ! -f "$KDIR/boot/vmlinuz-$VER" ]; then
	rm -rf "$KDIR"
	dpkg -x "$DEB" "$KDIR"
	depmod -b "$KDIR" "$VER"    # the package ships no modules.dep
fi

INITRD=$VM/initrd-$VER.gz
if [ ! -f "$INITRD" ] || [ tests/vm/build-initrd.sh -nt "$INITRD" ]; then
	ROOT=$VM/initrd-root
	rm -rf "$ROOT"
	mkdir -p "$ROOT/bin" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/host" \
		 "$ROOT/lib/modules/$VER/kernel"
	cp "$BUSYBOX" "$ROOT/bin/busybox"
	cp "$KDIR/lib/modules/$VER"/modules.* "$ROOT/lib/modules/$VER/"
	for d in net fs/9p fs/netfs fs/fscache drivers/virtio drivers/net/veth.ko \
		 lib crypto arch/x86/crypto; do
		[ -e "$KDIR/lib/modules/$VER/kernel/$d" ] || continue
		mkdir -p "$ROOT/lib/modules/$VER/kernel/$(dirname "$d")"
		cp -r "$KDIR/lib/modules/$VER/kernel/$d" \
		      "$ROOT/lib/modules/$VER/kernel/$(dirname "$d")/"
	done
	cat > "$ROOT/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
modprobe crc32c_generic    # libcrc32c needs it, sctp needs libcrc32c
for m in virtio_pci 9pnet_virtio 9p sctp veth; do modprobe $m; done
# What the two-unit lab needs (tests/lab/topo.sh, contexts/ctx_fw.c's
# ruleset, repl_ct's ctnetlink): bridges, nftables with the expressions the
# context firewall renders (ct, nat, masq, connlimit, named counters), and
# conntrack over netlink.  8021q is optional (the lab uses plain veths).
for m in bridge 8021q nfnetlink nf_tables nf_conntrack nf_conntrack_netlink \
	 nf_nat nft_ct nft_nat nft_chain_nat nft_masq nft_connlimit \
	 nft_objref nft_reject_inet nft_fib_inet; do
	modprobe $m || echo "vm: modprobe $m failed"
done
# Anything else nf_tables asks for ("nft-expr-..." aliases) loads on
# demand from this initramfs: the kernel runs its modprobe helper from
# init's root, which is this one, not the chroot.
echo /bin/modprobe > /proc/sys/kernel/modprobe
# cache=loose: the host tree does not change under a run, and without a
# cache every exec (ip, sh, the daemons) reads its binary over 9p again.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /host
# The host's / is read-only here: give the chroot what it must write.
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mount -t tmpfs tmp /host/run
mount -t tmpfs tmp /host/tmp
mkdir -p /host/dev/shm /host/dev/pts
mount -t tmpfs shm /host/dev/shm
mount -t devpts pts /host/dev/pts
# `ip netns` keeps its namespace handles under /run/netns (/var/run is a
# link to /run on Debian); it makes that folder a shared mount itself.
mkdir -p /host/run/netns
cmd=$(sed -n 's/.*mctx.run=\([^ ]*\).*/\1/p' /proc/cmdline)
echo "vm: running $cmd"
chroot /host /bin/sh "$cmd"
echo "VM-EXIT-CODE=$?"
poweroff -f
INIT
	chmod +x "$ROOT/init"
	(cd "$ROOT" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
fi
echo "$KDIR/boot/vmlinuz-$VER $INITRD"
