#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the vp_svq harnesses need on Debian 12 (bookworm), as root.
# Idempotent: when every package is already installed, apt is not touched, so
# reruns take a second.
#
# It also unpacks (never installs) iproute2 from bookworm-backports into
# .build/: bookworm's iproute2 6.1 `vdpa` lacks `dev add ... device_features`,
# and the guest gets that newer binary, while the host's iproute2 stays as is.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

PKGS=(
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	qemu-system-x86 qemu-system-data iproute2 busybox-static ethtool iperf3 sparse
	flex bison bc libelf-dev libssl-dev cpio kmod xz-utils dwarves gcc make
)

[ "$(id -u)" = 0 ] || die "run as root (apt-get and ip netns need it)"
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PKGS[@]}"; do
	# A package counts as present only when dpkg says "install ok installed".
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing: ${missing[*]}"
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
else
	log "all ${#PKGS[@]} Debian packages already installed"
fi

# --- iproute2 from bookworm-backports, unpacked under .build/ -----------------
BPO="$VP_BUILD/iproute2-bpo"
if [ -x "$VP_VDPA_TOOL" ]; then
	log "backports vdpa tool already unpacked: $VP_VDPA_TOOL"
	exit 0
fi
mkdir -p "$BPO/lists/partial" "$BPO/archives/partial" "$BPO/debs"
SRC="$BPO/sources.list"
# Same mirror and keyring as the system's own bookworm entries.
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" >"$SRC"
# A private sources list, package-list directory and cache: the system's apt
# state (and so the host's iproute2) is left alone.
APT_OPTS=(
	-o "Dir::Etc::sourcelist=$SRC"
	-o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$BPO/lists"
	-o "Dir::Cache::Archives=$BPO/archives"
	-o "Dir::Cache::pkgcache="
	-o "Dir::Cache::srcpkgcache="
	-o "APT::Get::List-Cleanup=0"
	# .build/ belongs to root: fetch as root instead of the _apt sandbox user.
	-o "APT::Sandbox::User=root"
)
log "fetching iproute2 from bookworm-backports into $BPO"
apt-get "${APT_OPTS[@]}" update
# Pick the backports version explicitly: the private list only has backports.
ver="$(apt-cache "${APT_OPTS[@]}" madison iproute2 | awk -F'|' '/bookworm-backports/ {gsub(/ /,"",$2); print $2; exit}')"
[ -n "$ver" ] || die "iproute2 not found in bookworm-backports"
(cd "$BPO/debs" && apt-get "${APT_OPTS[@]}" download "iproute2=$ver")
rm -rf "$BPO/root"
mkdir -p "$BPO/root"
dpkg-deb -x "$BPO"/debs/iproute2_*.deb "$BPO/root"
[ -x "$VP_VDPA_TOOL" ] || die "no sbin/vdpa in the backports iproute2 package"
log "vdpa tool: $VP_VDPA_TOOL (iproute2 $ver)"
