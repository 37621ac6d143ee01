#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the busybox initramfs that the e2e harness and the demo boot:
#
#   scripts/mkinitramfs.sh [-m vp_svq.ko] [-c vdpa-client] [-n NESTED_DIR] -o out.cpio.gz
#
# Contents: busybox-static with its applets, Debian's 6.12 guest modules
# (vdpa, vhost*, virtio_vdpa, virtio_net and their dependencies, decompressed
# so busybox insmod can load them), vp_svq.ko if given, the backports `vdpa`
# tool, iproute2's `ip`, ethtool, iperf3 (with the shared libraries ldd names),
# the vhost-vdpa client if given, and scripts/guest/*.
#
# With -n NESTED_DIR (make e2e-qemu) it also holds what the test guest needs
# to run QEMU itself: qemu-system-x86_64 with its shared libraries, the
# firmware files a `-M pc -bios qboot.rom -kernel` guest loads (under
# /usr/share/qemu), and NESTED_DIR's bzImage and initramfs.cpio.gz (the
# nested guest) under /nested. Without -n the output is as before.
# VP_INITRAMFS_NESTED=NESTED_DIR in the environment is the same as -n (so
# lib.sh's vp_build, which passes no -n, can build it). With it,
# VP_INITRAMFS_QEMU_BPO=ROOT (scripts/fetch-qemu.sh's unpacked root) adds
# that QEMU as /opt/qemu-bpo/bin/qemu-system-x86_64 with its libraries and
# its own firmware files in /opt/qemu-bpo/share/qemu (for -L).
#
# Modules are loaded in the guest by scripts/guest/lib.sh `load_mod NAME`,
# which insmods the ordered list written here to /etc/modules.d/NAME: the
# order comes from the host's modprobe --show-depends, so the guest needs no
# modprobe or modules.dep of its own.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

KO="" CLIENT="" OUT="" NESTED="${VP_INITRAMFS_NESTED:-}"
USAGE="usage: $0 [-m vp_svq.ko] [-c vdpa-client] [-n NESTED_DIR] -o out.cpio.gz"
while getopts "m:c:n:o:" opt; do
	case "$opt" in
	m) KO="$OPTARG" ;;
	c) CLIENT="$OPTARG" ;;
	n) NESTED="$OPTARG" ;;
	o) OUT="$OPTARG" ;;
	*) die "$USAGE" ;;
	esac
done
[ -n "$OUT" ] || die "$USAGE"

KVER="$(vp_kver)"
MODDIR="/lib/modules/$KVER"
[ -x "$VP_VDPA_TOOL" ] || die "$VP_VDPA_TOOL missing: run scripts/install-deps.sh"
BUSYBOX=/bin/busybox
# Debian's busybox package is dynamic; busybox-static replaces it with a
# static binary. A dynamic one would need its libs, so insist.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked: install busybox-static"
fi

ROOT="$(mktemp -d "$VP_BUILD/initramfs.XXXXXX")"
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT"/{bin,sbin,etc/modules.d,proc,sys,dev,tmp,run,root,mnt,lib/modules/"$KVER"/extra}
mkdir -p "$ROOT"/usr/{bin,sbin}

# --- busybox and its applets -------------------------------------------------
cp "$BUSYBOX" "$ROOT/bin/busybox"
for a in $("$BUSYBOX" --list); do
	# Applets never shadow the real tools copied below.
	[ -e "$ROOT/bin/$a" ] || ln -s busybox "$ROOT/bin/$a"
done

# --- dynamic binaries and their libraries ------------------------------------
copy_libs() {
	local bin="$1" lib
	# ldd prints "name => /path (addr)" and the loader as "/lib64/ld-... (addr)".
	for lib in $(ldd "$bin" | awk '/=> \// {print $3} /^\t\// {print $1}'); do
		mkdir -p "$ROOT$(dirname "$lib")"
		[ -e "$ROOT$lib" ] || cp -L "$lib" "$ROOT$lib"
	done
}
install_bin() {
	local src="$1" dst="$2"
	[ -x "$src" ] || die "$src missing"
	rm -f "$ROOT$dst"
	cp -L "$src" "$ROOT$dst"
	if ldd "$src" >/dev/null 2>&1; then copy_libs "$src"; fi
}
install_bin "$VP_VDPA_TOOL" /bin/vdpa
# iproute2's ip replaces the applet: the tests use features busybox ip lacks.
install_bin /bin/ip /bin/ip
install_bin /usr/sbin/ethtool /bin/ethtool
install_bin /usr/bin/iperf3 /bin/iperf3
if [ -n "$CLIENT" ]; then
	install_bin "$CLIENT" /bin/vdpa-client
fi

# --- QEMU and the nested guest (-n) ------------------------------------------
if [ -n "$NESTED" ]; then
	for f in bzImage initramfs.cpio.gz; do
		[ -f "$NESTED/$f" ] || die "$NESTED/$f missing"
	done
	install_bin /usr/bin/qemu-system-x86_64 /usr/bin/qemu-system-x86_64
	# Debian builds TCG as a loadable module of QEMU.
	qmod=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
	[ -f "$qmod" ] || die "$qmod missing (qemu-system-x86)"
	mkdir -p "$ROOT$(dirname "$qmod")"
	cp -L "$qmod" "$ROOT$qmod"
	copy_libs "$qmod"
	# qboot is the BIOS; -kernel adds linuxboot_dma.bin as an option ROM.
	# The other small ROMs are ones QEMU may look up for a pc machine.
	mkdir -p "$ROOT/usr/share/qemu"
	for f in qboot.rom linuxboot_dma.bin linuxboot.bin kvmvapic.bin pvh.bin multiboot.bin multiboot_dma.bin; do
		[ -f "/usr/share/qemu/$f" ] || die "/usr/share/qemu/$f missing (qemu-system-data)"
		cp -L "/usr/share/qemu/$f" "$ROOT/usr/share/qemu/$f"
	done
	mkdir -p "$ROOT/nested"
	cp "$NESTED/bzImage" "$NESTED/initramfs.cpio.gz" "$ROOT/nested/"
	if [ -n "${VP_INITRAMFS_QEMU_BPO:-}" ]; then
		B="$VP_INITRAMFS_QEMU_BPO"
		mkdir -p "$ROOT/opt/qemu-bpo/bin" "$ROOT/opt/qemu-bpo/share/qemu"
		# TCG is built into this QEMU: no module to carry.
		install_bin "$B/usr/bin/qemu-system-x86_64" /opt/qemu-bpo/bin/qemu-system-x86_64
		for f in qboot.rom linuxboot_dma.bin linuxboot.bin kvmvapic.bin pvh.bin multiboot.bin multiboot_dma.bin; do
			[ -f "$B/usr/share/qemu/$f" ] || die "$B/usr/share/qemu/$f missing"
			cp -L "$B/usr/share/qemu/$f" "$ROOT/opt/qemu-bpo/share/qemu/$f"
		done
	fi
fi

# --- kernel modules ----------------------------------------------------------
# Copy one module file (decompressing .ko.xz/.ko.zst: busybox insmod takes
# plain ELF only) and echo its path inside the guest.
copy_mod() {
	local src="$1" rel dst
	rel="${src#"$MODDIR"/}"
	case "$src" in
	*.ko.xz) dst="$MODDIR/${rel%.xz}"; [ -e "$ROOT$dst" ] || { mkdir -p "$ROOT$(dirname "$dst")"; xz -dc "$src" >"$ROOT$dst"; } ;;
	*.ko.zst) dst="$MODDIR/${rel%.zst}"; [ -e "$ROOT$dst" ] || { mkdir -p "$ROOT$(dirname "$dst")"; zstd -qdc "$src" >"$ROOT$dst"; } ;;
	*.ko) dst="$MODDIR/$rel"; [ -e "$ROOT$dst" ] || { mkdir -p "$ROOT$(dirname "$dst")"; cp "$src" "$ROOT$dst"; } ;;
	*) die "unexpected module file $src" ;;
	esac
	echo "$dst"
}
# Write /etc/modules.d/NAME: the files to insmod, dependencies first.
# Built-in modules (virtio_pci here) produce "builtin" lines and are skipped.
add_module() {
	local name="$1" list
	list="$ROOT/etc/modules.d/$name"
	: >"$list"
	modprobe -S "$KVER" --show-depends "$name" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		copy_mod "$path" >>"$list"
	done
}
for m in vdpa vhost vhost_iotlb vhost_vdpa virtio_vdpa virtio_net net_failover failover irqbypass 8021q; do
	add_module "$m"
done

if [ -n "$KO" ]; then
	[ -f "$KO" ] || die "$KO missing"
	# vp_svq.ko is out of tree: its dependencies come from its own modinfo.
	list="$ROOT/etc/modules.d/vp_svq"
	: >"$list"
	for dep in $(modinfo -F depends "$KO" | tr ',' ' '); do
		add_module "$dep"
		cat "$ROOT/etc/modules.d/$dep" >>"$list"
	done
	cp "$KO" "$ROOT$MODDIR/extra/vp_svq.ko"
	echo "$MODDIR/extra/vp_svq.ko" >>"$list"
fi

# --- guest scripts -----------------------------------------------------------
# /init is the entry point; the rest lives in /guest.
mkdir -p "$ROOT/guest"
cp "$VP_ROOT"/scripts/guest/* "$ROOT/guest/"
mv "$ROOT/guest/init" "$ROOT/init"
chmod +x "$ROOT/init" "$ROOT"/guest/*.sh
echo "$KVER" >"$ROOT/etc/kver"

# --- pack ----------------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "initramfs: $OUT ($(du -h "$OUT" | cut -f1), kernel $KVER${KO:+, with vp_svq.ko}${CLIENT:+, with client}${NESTED:+, with QEMU and the nested guest})"
