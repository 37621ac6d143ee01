#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the nested guest's kernel for `make e2e-qemu` from Debian's
# linux-source-6.12: `make allnoconfig` with scripts/nested/kernel.config as
# KCONFIG_ALLCONFIG, then bzImage. The result is cached as
# .build/nested/bzImage; it is rebuilt only when kernel.config changes
# (its sha256 is kept next to the image). About 2.5 minutes cold on 2 cores.
#
#   scripts/nested/build-kernel.sh      prints the bzImage path on stdout
#
# Environment: VP_NESTED_KBUILD_TIMEOUT bounds the build (default 1800 s).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

KSRC_TAR=/usr/src/linux-source-6.12.tar.xz
FRAGMENT="$VP_ROOT/scripts/nested/kernel.config"
NDIR="$VP_BUILD/nested"
KTREE="$NDIR/linux-source-6.12"
KOBJ="$NDIR/kbuild"
IMAGE="$NDIR/bzImage"
STAMP="$IMAGE.config-sha256"
TMO="${VP_NESTED_KBUILD_TIMEOUT:-1800}"

[ -e "$KSRC_TAR" ] || die "$KSRC_TAR missing: run scripts/install-deps.sh"
[ -f "$FRAGMENT" ] || die "$FRAGMENT missing"
mkdir -p "$NDIR"

# Two harness runs never build at once.
exec 8>"$NDIR/kernel.lock"
if ! flock -n 8; then
	log "another nested kernel build holds $NDIR/kernel.lock; waiting"
	flock -w "$TMO" 8 || die "timed out waiting for $NDIR/kernel.lock"
fi

want="$(sha256sum <"$FRAGMENT" | cut -d' ' -f1)"
if [ -f "$IMAGE" ] && [ "$(cat "$STAMP" 2>/dev/null || true)" = "$want" ]; then
	log "nested kernel cached: $IMAGE"
	echo "$IMAGE"
	exit 0
fi

if [ ! -e "$KTREE/.vp-extracted" ]; then
	log "extracting $KSRC_TAR into $NDIR (once)"
	rm -rf "$KTREE" "$KTREE.tmp"
	mkdir -p "$KTREE.tmp"
	tar -C "$KTREE.tmp" --strip-components=1 -xf "$KSRC_TAR"
	touch "$KTREE.tmp/.vp-extracted"
	mv "$KTREE.tmp" "$KTREE"
fi

BLOG="$NDIR/kernel-build.log"
log "building the nested kernel in $KOBJ (about 2.5 minutes cold here; log: $BLOG)"
start=$SECONDS
# A changed fragment starts from a fresh configuration; objects are reused.
mkdir -p "$KOBJ"
rm -f "$KOBJ/.config"
if ! make -C "$KTREE" O="$KOBJ" ARCH=x86_64 KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig >"$BLOG" 2>&1; then
	tail -n 20 "$BLOG" >&2
	die "allnoconfig failed"
fi
# Every option the fragment asks for must have survived Kconfig's
# dependencies, or the guest would silently lack it.
missing=""
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=y) grep -qx "$line" "$KOBJ/.config" || missing+=" ${line%=y}" ;;
	CONFIG_*=n) ! grep -q "^${line%=n}=" "$KOBJ/.config" || missing+=" ${line%=n}(not off)" ;;
	esac
done <"$FRAGMENT"
[ -z "$missing" ] || die "Kconfig dropped options of $FRAGMENT:$missing"
if ! timeout "$TMO" nice -n 10 make -C "$KTREE" O="$KOBJ" ARCH=x86_64 -j"$(nproc)" bzImage >>"$BLOG" 2>&1; then
	tail -n 30 "$BLOG" >&2
	die "nested kernel build failed (or ran over ${TMO}s); log: $BLOG"
fi
cp "$KOBJ/arch/x86/boot/bzImage" "$IMAGE.tmp"
mv "$IMAGE.tmp" "$IMAGE"
echo "$want" >"$STAMP"
log "nested kernel built in $((SECONDS - start))s: $IMAGE ($(du -h "$IMAGE" | cut -f1))"
echo "$IMAGE"
