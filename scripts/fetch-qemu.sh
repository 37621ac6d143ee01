#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack (never install) QEMU from bookworm-backports for `make e2e-qemu`:
#
#   scripts/fetch-qemu.sh        # prints the unpacked root, e.g.
#                                # /var/cache/vp_svq/qemu-1:10.0.2+ds-2+deb13u1~bpo12+1/root
#
# qemu-system-x86, qemu-system-common and qemu-system-data at the version
# bookworm-backports has, fetched with a private sources list, package lists
# and archive cache (the system's apt state and its QEMU stay as they are),
# and unpacked with dpkg-deb -x into a directory outside the clone, keyed by
# that version: VP_QEMU_CACHE (default /var/cache/vp_svq). A complete root is
# reused, so later runs ask the mirror for the package lists only.
# Backports' QEMU is built for bookworm's libraries; 10.0.2 needs none
# that bookworm's QEMU 7.2 does not pull in already.
# Log lines go to stderr, the root to stdout.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

CACHE="${VP_QEMU_CACHE:-/var/cache/vp_svq}"
APTDIR="$CACHE/apt-bpo"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial"
SRC="$APTDIR/sources.list"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" >"$SRC"
APT_OPTS=(
	-o "Dir::Etc::sourcelist=$SRC"
	-o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$APTDIR/lists"
	-o "Dir::Cache::Archives=$APTDIR/archives"
	-o "APT::Sandbox::User=root"
)
apt-get "${APT_OPTS[@]}" update >&2 || die "apt-get update of bookworm-backports failed"
ver="$(apt-cache "${APT_OPTS[@]}" madison qemu-system-x86 |
	awk -F'|' '/bookworm-backports/ {gsub(/ /,"",$2); print $2; exit}')"
[ -n "$ver" ] || die "qemu-system-x86 not found in bookworm-backports"
DIR="$CACHE/qemu-$ver"
ROOT="$DIR/root"
if [ -f "$DIR/complete" ]; then
	log "QEMU $ver from bookworm-backports already unpacked: $ROOT" >&2
	echo "$ROOT"
	exit 0
fi
rm -rf "$DIR"
mkdir -p "$DIR/debs" "$ROOT"
log "fetching QEMU $ver from bookworm-backports into $DIR" >&2
(cd "$DIR/debs" && apt-get "${APT_OPTS[@]}" download \
	"qemu-system-x86=$ver" "qemu-system-common=$ver" "qemu-system-data=$ver" >&2)
for deb in "$DIR"/debs/*.deb; do
	dpkg-deb -x "$deb" "$ROOT"
done
BIN="$ROOT/usr/bin/qemu-system-x86_64"
[ -x "$BIN" ] || die "no qemu-system-x86_64 in the backports packages"

# Every library it links is bookworm's (installed with QEMU 7.2 by
# scripts/install-deps.sh): a newer backports QEMU that needs more says so.
lost="$(ldd "$BIN" | awk '/not found/ {print $1}' | tr '\n' ' ')"
[ -z "$lost" ] || die "QEMU $ver needs libraries this system lacks: $lost"
"$BIN" --version | head -n 1 >&2
touch "$DIR/complete"
echo "$ROOT"
