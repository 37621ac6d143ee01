#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The narrated demo: the same guest as the e2e harness, streaming its console
# to stdout while scripts/guest/demo.sh binds vp_svq, creates vDPA devices,
# shows their config and sends traffic through them. Exits 0 if the guest
# reported "DEMO: OK".
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

TIMEOUT="${VP_DEMO_TIMEOUT:-600}"
"$VP_ROOT/scripts/install-deps.sh"
vp_build
RESULTS="$VP_BUILD/demo-results.log"
rm -f "$RESULTS"

trap vp_netns_down EXIT
vp_netns_up
log "booting the guest under TCG (about a minute); its console follows"
qrc=0
vp_qemu demo "$TIMEOUT" stdio "$RESULTS" || qrc=$?
vp_netns_down
touch "$RESULTS"
verdict="$(tr -d '\r' <"$RESULTS" | grep '^DEMO: ' | tail -n 1 || true)"
echo
echo "${verdict:-DEMO: FAILED: the guest did not finish (QEMU exit status $qrc)}"
[ "$verdict" = "DEMO: OK" ]
