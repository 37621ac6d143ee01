#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test harness of the project, collect each one's closing
# "N passed, M failed" line and print the sum as the very last line.
# Exits non-zero if any harness failed, or ended without such a line.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$VP_ROOT"

# One line per harness: "name|command". A harness is any command whose last
# "N passed, M failed" line tells its result; add new ones here.
HARNESSES=(
	"kbuild|make --no-print-directory kbuild"
	"kunit|make --no-print-directory kunit"
	"e2e|make --no-print-directory e2e"
	"e2e-qemu|make --no-print-directory e2e-qemu"
)

mkdir -p "$VP_BUILD/check"
rm -f "$VP_BUILD/check/summary.txt"
total_p=0 total_f=0 summary=()
for h in "${HARNESSES[@]}"; do
	name="${h%%|*}" cmd="${h#*|}"
	out="$VP_BUILD/check/$name.log"
	log "harness $name: $cmd"
	rc=0
	# Stream the harness's output and keep a copy to read its result line.
	bash -c "$cmd" 2>&1 | tee "$out" || rc=$?
	line="$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1 || true)"
	if [ -z "$line" ]; then
		# No result line at all counts as one failure, never as zero tests.
		p=0 f=1
		summary+=("$name: no result line (exit status $rc)")
	else
		p="$(sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/' <<<"$line")"
		f="$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")"
		# A harness that failed without counting a failure still fails.
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		summary+=("$name: $p passed, $f failed (exit status $rc)")
	fi
	total_p=$((total_p + p))
	total_f=$((total_f + f))
done

echo "=== check summary ==="
printf '%s\n' "${summary[@]}"
echo "$total_p passed, $total_f failed" | tee "$VP_BUILD/check/summary.txt"
[ "$total_f" -eq 0 ]
