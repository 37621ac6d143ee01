#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end harness: install what is needed, build vp_svq.ko and the client,
# boot Debian's 6.12 kernel in QEMU (TCG) with two virtio-net-pci functions,
# run scripts/guest/e2e.sh inside and count its PASS/FAIL lines. Ends with
# "N passed, M failed"; exits non-zero on any failure or if the guest never
# finished. Logs: .build/e2e/{console,results}.log.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# The whole guest run is bounded; TCG makes it minutes, not seconds.
TIMEOUT="${VP_E2E_TIMEOUT:-900}"
OUTDIR="$VP_BUILD/e2e"

"$VP_ROOT/scripts/install-deps.sh"
vp_build

mkdir -p "$OUTDIR"
CONSOLE="$OUTDIR/console.log"
RESULTS="$OUTDIR/results.log"
rm -f "$CONSOLE" "$RESULTS"

trap vp_netns_down EXIT
vp_netns_up
log "booting the guest (timeout ${TIMEOUT}s); console: $CONSOLE"
start=$SECONDS
qrc=0
vp_qemu e2e "$TIMEOUT" "$CONSOLE" "$RESULTS" || qrc=$?
vp_netns_down
log "guest ran $((SECONDS - start))s, QEMU exit status $qrc"

# Results: the guest wrote them to ttyS1; strip the serial line's CRs.
touch "$RESULTS"
tr -d '\r' <"$RESULTS" >"$RESULTS.txt"
for part in $VP_BUILD_FAILED; do
	echo "FAIL: build: $part: did not build (see $VP_BUILD/*-build.log)" >>"$RESULTS.txt"
done
if ! grep -qx 'E2E-END' "$RESULTS.txt"; then
	echo "FAIL: guest: did not finish (QEMU exit status $qrc, timeout ${TIMEOUT}s); console tail below" >>"$RESULTS.txt"
	tail -n 40 "$CONSOLE" | tr -d '\r' >&2 || true
fi
grep -E '^(PASS|FAIL|INFO): ' "$RESULTS.txt" || true
passed="$(grep -c '^PASS: ' "$RESULTS.txt" || true)"
failed="$(grep -c '^FAIL: ' "$RESULTS.txt" || true)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
