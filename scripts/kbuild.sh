#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build vp_svq.ko with W=1 and sparse (C=1) against every kernel the driver
# supports, each the way a Debian user of that kernel builds it:
#
#   6.12  Debian's 6.12 headers on this bookworm host (installed with apt
#         when missing), bookworm's gcc 12.
#   7.3   Debian's 7.3 headers from trixie-backports, which need gcc 14 and
#         trixie's libraries: they are installed in a debootstrapped trixie
#         root under VP_KBUILD_CACHE (default /var/cache/vp_svq), outside the
#         clone, so that every clone and worktree shares it.
#
# The trixie root's directory name carries a hash of what it is built from
# (suite, mirror, package list and the headers' version the archive offers
# now): a new backports kernel or a changed recipe is a cache miss, and the
# root is built again; other roots in the cache are then removed.
#
# One check per kernel; a check fails on a build error and on any warning
# (compiler, W=1 or sparse). The last line is "N passed, M failed".
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (apt-get, debootstrap and chroot need it)"
export DEBIAN_FRONTEND=noninteractive

MIRROR="${VP_MIRROR:-http://deb.debian.org/debian}"
CACHE="${VP_KBUILD_CACHE:-/var/cache/vp_svq}"
OUT="$VP_BUILD/kbuild"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# What the trixie root holds besides debootstrap's minbase: the 7.3 headers
# bring gcc-14 and the kbuild tools through their dependencies.
TRIXIE_PKGS="make gcc-14 libc6-dev"
HEADERS_PKG=linux-headers-amd64
# The 7.3 headers use __typeof_unqual__, which trixie's sparse 0.6.4 cannot
# parse: Kbuild then turns C=1 off. forky's sparse parses it and runs on
# trixie's libc; its binary alone is unpacked into the root's /opt/sparse.
SPARSE_SUITE=forky
SPARSE=/opt/sparse/usr/bin/sparse

passed=0 failed=0 results=()
WARN_RE='(warning|Warning|WARNING):|Makefile:[0-9]+: '

# in_root ROOT CMD...: run CMD in ROOT with /proc mounted (objtool reads its
# limits there) in a mount namespace of its own, which takes the mount away
# when CMD ends.
in_root() {
	local root="$1"

	shift
	# shellcheck disable=SC2016 # expanded by the inner sh, not here
	unshare --mount --fork -- sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
}

# host_pkgs PKG...: install those of PKG... that are missing.
host_pkgs() {
	local p missing=()

	for p in "$@"; do
		if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
			missing+=("$p")
		fi
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	log "installing on the host: ${missing[*]}"
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
}

# stage DIR: copy the driver and the shared headers into DIR with the
# repository's layout (the driver finds them at ../../../include), so that
# the build writes nothing next to the sources of the clone.
stage() {
	local top="$1"

	rm -rf "$top"
	mkdir -p "$top/drivers/vdpa"
	cp -a "$VP_ROOT/drivers/vdpa/vp_svq" "$top/drivers/vdpa/"
	cp -a "$VP_ROOT/include" "$top/"
	(cd "$top/drivers/vdpa/vp_svq" &&
		rm -f ./*.o ./*.ko ./*.mod ./*.mod.c ./.*.cmd ./modules.order \
			./Module.symvers ./vp_svq_compat_gen.h)
}

# judge NAME LOG RC KO: count the warnings of one build and record the check.
judge() {
	local name="$1" blog="$2" rc="$3" ko="$4" nwarn nerr

	# Compiler, sparse and modpost warnings, and make's own (Kbuild warns
	# "Makefile:N: C=1 specified, but ..." when it turns sparse off).
	nwarn="$(grep -c -E "$WARN_RE" "$blog" || true)"
	nerr="$(grep -c -E 'error:' "$blog" || true)"
	if [ "$rc" -eq 0 ] && [ -e "$ko" ] && [ "$nwarn" -eq 0 ]; then
		passed=$((passed + 1))
		results+=("PASS $name: 0 warnings, 0 errors")
	else
		failed=$((failed + 1))
		results+=("FAIL $name: $nwarn warnings, $nerr errors, exit status $rc (log: $blog)")
		grep -E "$WARN_RE|error:" "$blog" | head -n 20 >&2 || true
	fi
}

# --- 6.12: Debian's headers on the host ---------------------------------------
check_612() {
	local kdir="" d top="$OUT/6.12" blog="$OUT/6.12.log" rc=0

	host_pkgs linux-headers-6.12-amd64 sparse gcc make
	for d in /usr/src/linux-headers-6.12*-amd64; do
		[ -d "$d" ] && kdir="$d"
	done
	if [ -z "$kdir" ]; then
		failed=$((failed + 1))
		results+=("FAIL 6.12: no /usr/src/linux-headers-6.12*-amd64")
		return
	fi
	stage "$top"
	log "6.12: building against $kdir (W=1 C=1)"
	make -C "$kdir" M="$top/drivers/vdpa/vp_svq" CONFIG_VP_SVQ=m W=1 C=1 \
		modules >"$blog" 2>&1 || rc=$?
	judge "6.12 ($(basename "$kdir"))" "$blog" "$rc" "$top/drivers/vdpa/vp_svq/vp_svq.ko"
}

# --- 7.3: Debian's headers in a trixie root -----------------------------------
APT_DIR="$CACHE/apt-trixie"
APT_OPTS=(
	-o "Dir::Etc::sourcelist=$APT_DIR/sources.list"
	-o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache::Archives=$APT_DIR/archives"
	-o "Dir::Cache::pkgcache="
	-o "Dir::Cache::srcpkgcache="
	-o "APT::Get::List-Cleanup=0"
	-o "APT::Sandbox::User=root"
)

# versions: "HEADERS_VERSION SPARSE_VERSION", what trixie-backports and
# SPARSE_SUITE offer now, read through a private package list (the host's
# apt state is left alone). Empty when the mirror cannot be reached.
versions() {
	local h s

	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
	printf 'deb [signed-by=%s] %s %s main\n' \
		"$KEYRING" "$MIRROR" trixie-backports \
		"$KEYRING" "$MIRROR" "$SPARSE_SUITE" >"$APT_DIR/sources.list"
	apt-get "${APT_OPTS[@]}" -qq update >/dev/null 2>&1 || return 0
	h="$(apt-cache "${APT_OPTS[@]}" madison "$HEADERS_PKG" |
		awk -F'|' '/trixie-backports/ {gsub(/ /, "", $2); print $2; exit}')"
	s="$(apt-cache "${APT_OPTS[@]}" madison sparse |
		awk -F'|' -v s="$SPARSE_SUITE/" 'index($3, s) {gsub(/ /, "", $2); print $2; exit}')"
	[ -n "$h" ] && [ -n "$s" ] && echo "$h $s"
}

# checker_valid FILE: Kbuild's C=1 runs scripts/checker-valid.sh, which
# Debian's 7.3 headers do not ship; without it C=1 is silently off. Write
# one that answers the same question: does the checker parse this kernel's
# C (__typeof_unqual__) without an error? It prints 1 if so.
checker_valid() {
	cat >"$1" <<-'EOF'
		#!/bin/sh
		# SPDX-License-Identifier: GPL-2.0
		# Written by vp_svq's scripts/kbuild.sh: prints 1 when the checker
		# "$@" parses __typeof_unqual__ without an error.
		command -v "$1" >/dev/null || { echo 0; exit 0; }
		t="$(mktemp --suffix=.c)"
		trap 'rm -f "$t"' EXIT
		printf 'int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' >"$t"
		if "$@" "$t" 2>&1 | grep -q error; then echo 0; else echo 1; fi
	EOF
	chmod 755 "$1"
}

# make_root DIR VERSION SPARSE_VERSION: debootstrap trixie into DIR,
# install the headers of VERSION from trixie-backports and unpack sparse
# SPARSE_VERSION from SPARSE_SUITE.
make_root() {
	local root="$1" ver="$2" sver="$3" d

	host_pkgs debootstrap
	rm -rf "$root"
	log "7.3: debootstrap trixie into $root"
	debootstrap --variant=minbase --include="${TRIXIE_PKGS// /,}" \
		trixie "$root" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$OUT/debootstrap.log" >&2; return 1; }
	cat >"$root/etc/apt/sources.list" <<-EOF
		deb $MIRROR trixie main
		deb $MIRROR trixie-backports main
	EOF
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	log "7.3: installing $HEADERS_PKG=$ver from trixie-backports"
	in_root "$root" apt-get -qq update
	in_root "$root" apt-get install -y -qq --no-install-recommends \
		-t trixie-backports "$HEADERS_PKG=$ver" >"$OUT/apt-root.log" 2>&1 ||
		{ tail -n 20 "$OUT/apt-root.log" >&2; return 1; }
	in_root "$root" apt-get clean
	log "7.3: unpacking sparse $sver from $SPARSE_SUITE into $root/opt/sparse"
	rm -f "$APT_DIR"/archives/sparse_*.deb
	(cd "$APT_DIR/archives" && apt-get "${APT_OPTS[@]}" -qq download "sparse=$sver") ||
		return 1
	dpkg-deb -x "$APT_DIR"/archives/sparse_*.deb "$root/opt/sparse"
	for d in "$root"/usr/src/linux-headers-*-common/scripts; do
		[ -e "$d/checker-valid.sh" ] || checker_valid "$d/checker-valid.sh"
	done
}

check_73() {
	local vers ver sver key root="" kdir rc=0 top blog="$OUT/7.3.log" d

	vers="$(versions)"
	ver="${vers% *}" sver="${vers#* }"
	if [ -z "$vers" ]; then
		# Offline: use the newest root in the cache, if there is one.
		for d in "$CACHE"/kbuild-trixie-*/; do
			[ -e "$d/.complete" ] && root="${d%/}"
		done
		[ -n "$root" ] || { failed=$((failed + 1)); results+=("FAIL 7.3: mirror unreachable, no cached root"); return; }
		log "7.3: mirror unreachable, using $root"
	else
		key="$(printf '%s\n' trixie "$MIRROR" "$TRIXIE_PKGS" "$HEADERS_PKG=$ver" \
			"$SPARSE_SUITE sparse=$sver" "$(declare -f make_root checker_valid)" | sha256sum | cut -c1-12)"
		root="$CACHE/kbuild-trixie-$key"
		if [ -e "$root/.complete" ]; then
			log "7.3: cached root $root ($HEADERS_PKG $ver)"
		else
			log "7.3: no root for $HEADERS_PKG $ver in $CACHE: building $root"
			if ! make_root "$root.tmp" "$ver" "$sver"; then
				failed=$((failed + 1))
				results+=("FAIL 7.3: cannot build the trixie root (logs in $OUT)")
				return
			fi
			touch "$root.tmp/.complete"
			rm -rf "$root"
			mv "$root.tmp" "$root"
			for d in "$CACHE"/kbuild-trixie-*; do
				[ "$d" = "$root" ] || rm -rf "$d"
			done
		fi
	fi
	kdir=""
	for d in "$root"/usr/src/linux-headers-7.3*-amd64; do
		[ -d "$d" ] && kdir="/usr/src/${d##*/}"
	done
	[ -n "$kdir" ] || { failed=$((failed + 1)); results+=("FAIL 7.3: no headers in $root"); return; }
	top="$root/build/vp_svq"
	stage "$top"
	log "7.3: building against $kdir in $root (W=1 C=1)"
	in_root "$root" make -C "$kdir" M=/build/vp_svq/drivers/vdpa/vp_svq \
		CONFIG_VP_SVQ=m W=1 C=1 CHECK="$SPARSE" modules >"$blog" 2>&1 || rc=$?
	judge "7.3 (${kdir##*/})" "$blog" "$rc" "$top/drivers/vdpa/vp_svq/vp_svq.ko"
}

mkdir -p "$OUT" "$CACHE"
start=$SECONDS
check_612
check_73
printf '%s\n' "${results[@]}"
log "kbuild took $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
