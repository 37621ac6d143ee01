#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# KUnit suites of vp_svq in UML, against the device model in kunit/.
#
# Installs Debian's linux-source-6.12 when missing, extracts it once under
# .build/kunit/, links the driver and the tests into that tree, and runs
# tools/testing/kunit/kunit.py there with kunit/.kunitconfig. The build
# directory is kept, so reruns are incremental. The last line of output is
# "N passed, M failed"; the exit status is non-zero on any failure.
#
# Environment (used by scripts/coverage.sh and scripts/bench.sh):
#   KUNIT_BUILD_DIR   build directory (default .build/kunit/um)
#   KUNIT_CONFIG      the kunitconfig (default kunit/.kunitconfig)
#   KUNIT_EXTRA_CONFIG  one more kunitconfig fragment to merge
#   KUNIT_TIMEOUT     seconds for build and run together (default 2400)
#   KUNIT_FILTER      kunit.py filter_glob, e.g. 'vp_svq_probe*'
#   KUNIT_MAKE_OPTIONS  extra make options for the build (one word)
#   KUNIT_KERNEL_ARGS   kernel command line arguments, space separated
#                       (scripts/fuzz.sh: vp_svq_kunit.fuzz_cases=N ...)
#   KUNIT_RUN_TIMEOUT   seconds kunit.py gives the tests (default 600)
#   KUNIT_KERNEL      6.12 (default): Debian's linux-source-6.12; 7.3: the
#                     linux-source-7.3 of trixie-backports, fetched through
#                     a private package list into .build/kunit/ (the host's
#                     apt state is left alone), built with the host's gcc
#                     in .build/kunit/um-7.3
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

KUNIT_KERNEL="${KUNIT_KERNEL:-6.12}"
KUNIT_DIR="$VP_BUILD/kunit"
case "$KUNIT_KERNEL" in
6.12)
	KSRC_TAR=/usr/src/linux-source-6.12.tar.xz
	BUILD_DIR="${KUNIT_BUILD_DIR:-$KUNIT_DIR/um}"
	;;
7.3)
	KSRC_TAR="$KUNIT_DIR/linux-source-7.3.tar.xz"
	BUILD_DIR="${KUNIT_BUILD_DIR:-$KUNIT_DIR/um-7.3}"
	;;
*)
	die "KUNIT_KERNEL=$KUNIT_KERNEL: 6.12 or 7.3"
	;;
esac
KTREE="$KUNIT_DIR/linux-source-$KUNIT_KERNEL"
TMO="${KUNIT_TIMEOUT:-2400}"
LOG="$BUILD_DIR.log"

result() {
	echo "$1 passed, $2 failed"
	[ "$2" -eq 0 ]
	exit
}

# --- packages ----------------------------------------------------------------
need=()
[ -e "$KSRC_TAR" ] || [ "$KUNIT_KERNEL" != 6.12 ] || need+=(linux-source-6.12)
for p in flex bison bc libelf-dev libssl-dev python3 gcc make xz-utils; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		need+=("$p")
	fi
done
if [ "${#need[@]}" -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages ${need[*]}: run as root or install them"
	log "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${need[@]}" ||
		{ apt-get update && apt-get install -y --no-install-recommends "${need[@]}"; }
fi

mkdir -p "$KUNIT_DIR"
# One kernel build at a time on this machine: kunit and coverage share it.
exec 9>"$KUNIT_DIR/lock"
if ! flock -n 9; then
	log "another kunit/coverage build holds $KUNIT_DIR/lock; waiting"
	flock 9
fi

# fetch_source_73: linux-source-7.3 from trixie-backports, unpacked from its
# package into KSRC_TAR.
fetch_source_73() {
	local apt="$KUNIT_DIR/apt-trixie-backports" opts

	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/deb"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main" \
		>"$apt/sources.list"
	opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=-"
	      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives"
	      -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
	      -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
	log "fetching linux-source-7.3 from trixie-backports"
	apt-get "${opts[@]}" -qq update
	rm -rf "$apt/deb" && mkdir -p "$apt/deb"
	(cd "$apt/deb" && apt-get "${opts[@]}" -qq download linux-source-7.3)
	dpkg-deb --fsys-tarfile "$apt"/deb/linux-source-7.3_*.deb |
		tar -xO --wildcards './usr/src/linux-source-7.3.tar.xz' >"$KSRC_TAR.tmp"
	mv "$KSRC_TAR.tmp" "$KSRC_TAR"
	rm -rf "$apt/deb"
}
if [ ! -e "$KSRC_TAR" ] && [ "$KUNIT_KERNEL" = 7.3 ] && [ ! -e "$KTREE/.vp-extracted" ]; then
	fetch_source_73
fi

# --- the kernel tree, extracted once ------------------------------------------
if [ ! -e "$KTREE/.vp-extracted" ]; then
	log "extracting $KSRC_TAR into $KUNIT_DIR (once)"
	rm -rf "$KTREE" "$KTREE.tmp"
	mkdir -p "$KTREE.tmp"
	tar -C "$KTREE.tmp" --strip-components=1 -xf "$KSRC_TAR"
	touch "$KTREE.tmp/.vp-extracted"
	mv "$KTREE.tmp" "$KTREE"
fi
# kunit.py needs a pristine tree: O= builds refuse a configured source tree.
[ ! -e "$KTREE/.config" ] || die "$KTREE is not pristine (.config): remove $KTREE"

# Link the sources file by file, not the directory: the driver directory may
# hold objects of an out-of-tree build, which kbuild would find through
# VPATH and take for its own.
link_dir() {
	local src="$1" dst="$2" f
	mkdir -p "$dst"
	find "$dst" -maxdepth 1 -type l -delete
	for f in "$src"/*.c "$src"/*.h "$src"/*.mk "$src"/Makefile "$src"/Kconfig; do
		[ -e "$f" ] || continue
		ln -sfn "$(readlink -f "$f")" "$dst/$(basename "$f")"
	done
}
link_dir "$VP_ROOT/drivers/vdpa/vp_svq" "$KTREE/drivers/vdpa/vp_svq"
link_dir "$VP_ROOT/include/vp_svq" "$KTREE/include/vp_svq"
link_dir "$VP_ROOT/kunit" "$KTREE/drivers/vdpa/vp_svq_kunit"

# Hooks into drivers/vdpa, once.
kc="$KTREE/drivers/vdpa/Kconfig"
if ! grep -q 'vp_svq/Kconfig' "$kc"; then
	sed -i 's|^endif # VDPA$|source "drivers/vdpa/vp_svq/Kconfig"\nsource "drivers/vdpa/vp_svq_kunit/Kconfig"\n\nendif # VDPA|' "$kc"
	grep -q 'vp_svq/Kconfig' "$kc" || die "cannot hook $kc"
fi
mk="$KTREE/drivers/vdpa/Makefile"
if ! grep -q 'vp_svq/' "$mk"; then
	# shellcheck disable=SC2016 # make syntax, written as is
	printf '%s\n' 'obj-$(CONFIG_VP_SVQ) += vp_svq/' \
		'obj-$(CONFIG_VP_SVQ_KUNIT_TEST) += vp_svq_kunit/' >>"$mk"
fi

# --- build and run -------------------------------------------------------------
args=(run --arch=um --build_dir="$BUILD_DIR" --jobs="$(nproc)"
      --timeout="${KUNIT_RUN_TIMEOUT:-600}"
      --kunitconfig="${KUNIT_CONFIG:-$VP_ROOT/kunit/.kunitconfig}")
for a in ${KUNIT_KERNEL_ARGS:-}; do
	args+=(--kernel_args="$a")
done
[ -z "${KUNIT_EXTRA_CONFIG:-}" ] || args+=(--kunitconfig="$KUNIT_EXTRA_CONFIG")
[ -z "${KUNIT_MAKE_OPTIONS:-}" ] || args+=(--make_options="$KUNIT_MAKE_OPTIONS")
[ -z "${KUNIT_FILTER:-}" ] || args+=("$KUNIT_FILTER")

log "kunit.py ${args[*]} (log: $LOG)"
start=$SECONDS
rc=0
(cd "$KTREE" && timeout --kill-after=30 "$TMO" python3 tools/testing/kunit/kunit.py "${args[@]}") 2>&1 |
	tee "$LOG" || rc=$?
log "kunit.py exited with $rc after $((SECONDS - start)) s"
# A kunit.py that timed out leaves its UML kernel running (a test that
# hangs spins on a CPU for ever): end every kernel of this build directory.
if pkill -KILL -f "^$BUILD_DIR/linux " 2>/dev/null; then
	log "killed the UML kernel kunit.py left behind"
fi

# "Testing complete. Ran 12 tests: passed: 10, failed: 1, crashed: 1"
line="$(grep -a 'Testing complete. Ran' "$LOG" | tail -n 1 || true)"
if [ -z "$line" ]; then
	log "no test results (build failure or crash before the tests): see $LOG"
	result 0 1
fi
count() { sed -nE "s/.*[ ]$1: ([0-9]+).*/\\1/p" <<<"$line"; }
total="$(sed -nE 's/.*Ran ([0-9]+) tests.*/\1/p' <<<"$line")"
passed="$(count passed)"; passed="${passed:-0}"
skipped="$(count skipped)"; skipped="${skipped:-0}"
errors="$(count errors)"; errors="${errors:-0}"
failed=$((total - passed - skipped + errors))
[ "$skipped" -eq 0 ] || log "$skipped tests skipped"

# The fuzz suites' summaries ("fuzz shadow: N cases, seed S, ...").
grep -ahoE 'fuzz [a-z]+: [0-9]+ cases, seed .*' "$BUILD_DIR/test.log" >&2 2>/dev/null || true

# Sanitizer and lock checker reports do not always fail a test: count them.
# UML's PCI-over-virtio warns once at boot without a device ID; not ours.
# Its driver is arch/um/drivers/virt-pci.c, or virtio_pcidev.c in newer trees.
UML_PCI_RE='virt-pci\.c|virtio_pcidev\.c'
klog="$BUILD_DIR/test.log"
splats=0
if [ -e "$klog" ]; then
	splats="$(grep -aE '(BUG|WARNING|INFO): ' "$klog" |
		grep -acvE "$UML_PCI_RE|INFO: lockdep is turned off" || true)"
	# kmemleak (the last test scans): every leak counts. UML's kmemleak
	# prints empty backtraces, so a leak cannot be told apart by who
	# allocated it; a run without the tests reports none.
	leaks="$(grep -ac 'unreferenced object' "$klog" || true)"
	if [ "$splats" -gt 0 ] || [ "$leaks" -gt 0 ]; then
		log "$splats kernel splats and $leaks kmemleak reports in $klog:"
		grep -aE -A12 '(BUG|WARNING|INFO): |unreferenced object' "$klog" |
			grep -avE "$UML_PCI_RE" | head -n 80 >&2 || true
		failed=$((failed + splats + leaks))
	fi
	# Only configurations with kmemleak (not the benchmarks') scan.
	if grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "${KUNIT_CONFIG:-$VP_ROOT/kunit/.kunitconfig}" &&
		! grep -aq 'kmemleak scan done' "$klog"; then
		log "note: the kmemleak scan did not run"
	fi
fi
# kunit.py failing on its own (timeout, parse error) is a failure too.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
result "$passed" "$failed"
