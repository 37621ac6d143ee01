#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the vp_svq harness scripts. Source it; it sets no shell
# options of its own (the caller runs with set -euo pipefail).

# Repository root (this file lives in scripts/).
VP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Every cache and build artefact of the harness lives here (git-ignored).
VP_BUILD="$VP_ROOT/.build"
export VP_ROOT VP_BUILD

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian's 6.12 kernel release, e.g. 6.12.117+deb12-amd64. Found by globbing
# the installed image (the minor drifts with every point release); the newest
# one wins when several are installed.
vp_kver() {
	local f v best=""
	for f in /boot/vmlinuz-6.12*-amd64; do
		[ -e "$f" ] || continue
		v="${f#/boot/vmlinuz-}"
		[ -d "/lib/modules/$v" ] || continue
		best="$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)"
	done
	[ -n "$best" ] || die "no /boot/vmlinuz-6.12*-amd64 with modules: run scripts/install-deps.sh"
	printf '%s\n' "$best"
}

# Headers directory matching vp_kver.
vp_kdir() {
	local d
	d="/usr/src/linux-headers-$(vp_kver)"
	[ -d "$d" ] || die "$d missing: run scripts/install-deps.sh"
	printf '%s\n' "$d"
}

# The newer `vdpa` tool (bookworm-backports iproute2, which ships it in /sbin),
# unpacked by install-deps.
VP_VDPA_TOOL="$VP_BUILD/iproute2-bpo/root/sbin/vdpa"
# Where the busybox initramfs ends up.
VP_INITRAMFS="$VP_BUILD/initramfs.cpio.gz"
export VP_VDPA_TOOL VP_INITRAMFS
