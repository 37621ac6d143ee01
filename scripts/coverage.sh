#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Line coverage of drivers/vdpa/vp_svq from the KUnit suites: the same run
# as "make kunit", in its own build directory with UML's CONFIG_GCOV (the
# whole UML binary is built with -fprofile-arcs and writes .gcda files when
# it exits), then gcov over the driver's objects.
#
# Prints the kunit summary, a per-file table and, last, the total:
#   "coverage: 83.1% of 1234 lines in drivers/vdpa/vp_svq"
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

BUILD_DIR="$VP_BUILD/kunit/um-gcov"
OBJ="$BUILD_DIR/drivers/vdpa/vp_svq"
command -v gcov >/dev/null || die "gcov missing (it comes with gcc)"

# Counters of an earlier run would add up.
[ ! -d "$BUILD_DIR" ] || find "$BUILD_DIR" -name '*.gcda' -delete

# libgcov (gcc 12) defines mangle_path() as the kernel's seq_file.c does and
# the UML link fails on the duplicate: rename the kernel's, in every file.
rc=0
KUNIT_BUILD_DIR="$BUILD_DIR" KUNIT_EXTRA_CONFIG="$VP_ROOT/kunit/coverage.config" \
	KUNIT_MAKE_OPTIONS="KCFLAGS=-Dmangle_path=kernel_mangle_path" \
	"$VP_ROOT/scripts/kunit.sh" || rc=$?

ls "$OBJ"/*.gcda >/dev/null 2>&1 || die "no .gcda files in $OBJ (kunit exit status $rc)"

# gcov prints "File '<path>'" then "Lines executed:NN.NN% of N" per file.
total=0 hit=0
printf '%-14s %8s %6s\n' file coverage lines
for src in "$VP_ROOT"/drivers/vdpa/vp_svq/*.c; do
	case "$src" in *.mod.c) continue ;; esac
	f="$(basename "$src" .c)"
	if [ ! -e "$OBJ/$f.gcda" ]; then
		printf '%-14s %8s %6s\n' "$f.c" "never run" "-"
		continue
	fi
	out="$(cd "$OBJ" && gcov -n -o "$OBJ" "$OBJ/$f.c" 2>/dev/null)"
	line="$(awk -v f="$f.c" '$0 ~ "^File .*/" f "'"'"'" { m = 1; next }
		m && /^Lines executed:/ { print; exit }' <<<"$out")"
	pct="$(sed -nE 's/^Lines executed:([0-9.]+)% of ([0-9]+)/\1/p' <<<"$line")"
	n="$(sed -nE 's/^Lines executed:([0-9.]+)% of ([0-9]+)/\2/p' <<<"$line")"
	[ -n "$n" ] || { printf '%-14s %8s\n' "$f.c" "no data"; continue; }
	printf '%-14s %7s%% %6s\n' "$f.c" "$pct" "$n"
	total=$((total + n))
	hit="$(awk -v h="$hit" -v p="$pct" -v n="$n" 'BEGIN { printf "%d", h + p * n / 100 + 0.5 }')"
done
[ "$total" -gt 0 ] || die "gcov found no lines"
echo "coverage: $(awk -v h="$hit" -v t="$total" 'BEGIN { printf "%.1f", 100 * h / t }')% of $total lines in drivers/vdpa/vp_svq"
exit "$rc"
