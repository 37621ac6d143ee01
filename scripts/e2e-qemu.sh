#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make e2e-qemu`: Debian's QEMU 7.2 and bookworm-backports' QEMU (10.0) as
# real vhost-vdpa clients of vp_svq.
#
# Builds (and caches) a minimal nested kernel from linux-source-6.12
# (scripts/nested/build-kernel.sh) and a busybox initramfs around
# scripts/nested/init, then boots the usual test guest (Debian's 6.12 kernel,
# TCG) with both virtio-net-pci functions on the user-mode network's hub
# (VP_HUB=1) and 2G of memory. Its initramfs also holds qemu-system-x86_64,
# backports' QEMU (scripts/fetch-qemu.sh: cached outside the clone, in
# VP_QEMU_CACHE, default /var/cache/vp_svq) and the nested guest; scripts/guest/e2e-qemu.sh runs the nested guest on
# vp_svq through vhost-vdpa, migrates it to a second vDPA device and counts
# PASS/FAIL lines. Ends with "N passed, M failed"; exits non-zero on any
# failure or if the test guest never finished.
# Logs: .build/e2e-qemu/{console,results}.log.
# Environment: VP_E2E_QEMU_TIMEOUT bounds the test guest (default 1800 s),
# VP_QEMU_MEM its memory (default 2G).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

TIMEOUT="${VP_E2E_QEMU_TIMEOUT:-1800}"
OUTDIR="$VP_BUILD/e2e-qemu"
NDIR="$VP_BUILD/nested"
mkdir -p "$OUTDIR"
CONSOLE="$OUTDIR/console.log"
RESULTS="$OUTDIR/results.log"
rm -f "$CONSOLE" "$RESULTS" "$RESULTS.txt"
start_all=$SECONDS

"$VP_ROOT/scripts/install-deps.sh"

# --- the nested guest: kernel (cached) and initramfs ---------------------------
pre=()
if "$VP_ROOT/scripts/nested/build-kernel.sh" >/dev/null; then
	pre+=("PASS: host: nested kernel $NDIR/bzImage ready ($((SECONDS - start_all))s incl. install-deps)")
else
	pre+=("FAIL: host: nested kernel: did not build (see $NDIR/kernel-build.log)")
fi

# The nested initramfs: busybox-static and scripts/nested/init. Cheap, so
# rebuilt every run.
nested_initramfs() {
	local root
	root="$(mktemp -d "$NDIR/initramfs.XXXXXX")"
	mkdir -p "$root"/{bin,dev,proc,sys}
	cp /bin/busybox "$root/bin/busybox"
	local a
	for a in $(/bin/busybox --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	# The kernel opens /dev/console before /init runs, before devtmpfs.
	mknod "$root/dev/console" c 5 1
	cp "$VP_ROOT/scripts/nested/init" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$NDIR/initramfs.cpio.gz.tmp"
	mv "$NDIR/initramfs.cpio.gz.tmp" "$NDIR/initramfs.cpio.gz"
	rm -rf "$root"
}
# QEMU from bookworm-backports, unpacked outside the clone (fetch-qemu.sh).
if BPO_ROOT="$("$VP_ROOT/scripts/fetch-qemu.sh")"; then
	pre+=("PASS: host: $("$BPO_ROOT/usr/bin/qemu-system-x86_64" --version | head -n 1) unpacked in $BPO_ROOT")
	export VP_INITRAMFS_QEMU_BPO="$BPO_ROOT"
else
	pre+=("FAIL: host: QEMU from bookworm-backports: not fetched (see above)")
fi
if [ -f "$NDIR/bzImage" ]; then
	nested_initramfs
	log "nested initramfs: $NDIR/initramfs.cpio.gz ($(du -h "$NDIR/initramfs.cpio.gz" | cut -f1))"
	# vp_build's mkinitramfs.sh adds QEMU and $NDIR's guest (see there).
	export VP_INITRAMFS_NESTED="$NDIR"
fi

# --- the test guest --------------------------------------------------------------
# An initramfs of its own: the e2e harness's stays as it is.
VP_INITRAMFS="$OUTDIR/initramfs.cpio.gz"
vp_build

trap vp_netns_down EXIT
vp_netns_up
log "booting the test guest (about 3 minutes, timeout ${TIMEOUT}s); console: $CONSOLE"
start=$SECONDS
qrc=0
VP_HUB=1 VP_QEMU_MEM="${VP_QEMU_MEM:-2G}" vp_qemu e2e-qemu "$TIMEOUT" "$CONSOLE" "$RESULTS" || qrc=$?
vp_netns_down
log "test guest ran $((SECONDS - start))s, QEMU exit status $qrc"

# Results: the guest wrote them to ttyS1; strip the serial line's CRs.
touch "$RESULTS"
printf '%s\n' "${pre[@]}" >"$RESULTS.txt"
tr -d '\r' <"$RESULTS" >>"$RESULTS.txt"
for part in $VP_BUILD_FAILED; do
	echo "FAIL: build: $part: did not build (see $VP_BUILD/*-build.log)" >>"$RESULTS.txt"
done
if ! grep -qx 'E2E-END' "$RESULTS.txt"; then
	echo "FAIL: guest: did not finish (QEMU exit status $qrc, timeout ${TIMEOUT}s); console tail below" >>"$RESULTS.txt"
	tail -n 40 "$CONSOLE" | tr -d '\r' >&2 || true
fi
echo "INFO: e2e-qemu took $((SECONDS - start_all))s in all" >>"$RESULTS.txt"
grep -E '^(PASS|FAIL|INFO): ' "$RESULTS.txt" || true
passed="$(grep -c '^PASS: ' "$RESULTS.txt" || true)"
failed="$(grep -c '^FAIL: ' "$RESULTS.txt" || true)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
