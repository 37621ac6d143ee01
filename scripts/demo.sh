#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The narrated demo: the same guest as the e2e harness, streaming its console
# to stdout while scripts/guest/demo.sh binds vp_svq, creates vDPA devices,
# shows their config, sends traffic through them and migrates a vhost-vdpa
# NIC from one function to the other. Exits 0 if the guest reported
# "DEMO: OK".
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

TIMEOUT="${VP_DEMO_TIMEOUT:-600}"
# Both functions on one QEMU hub with the user-mode network: the migration
# part moves a stream from one to the other (VP_HUB=0: the tap instead, and
# the multi-queue/iperf3 part in place of the migration).
VP_HUB="${VP_HUB:-1}"
export VP_HUB
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
