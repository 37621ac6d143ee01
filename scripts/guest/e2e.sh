#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The e2e test steps, run inside the guest by /init (vp.mode=e2e). Each step
# prints "PASS: name" or "FAIL: name: why"; the host counts them.
. /guest/lib.sh

MAC0="$(cmdline_get mac0)"
MAC1="$(cmdline_get mac1)"
PEER="$(cmdline_get peer)"
ADDR="$(cmdline_get addr)"
GW=10.0.2.2
SLIRP_ADDR=10.0.2.15
T=30	# seconds for any single command

# --- 0. harness baseline: the NICs through the in-kernel virtio-pci driver ---
load_mod virtio_net || fail "baseline: load virtio_net" "insmod failed"
BDF0="" BDF1=""
for bdf in $(virtio_net_bdfs); do
	wait_for 10 pci_netdev "$bdf" || continue
	mac="$(cat /sys/bus/pci/devices/"$bdf"/virtio*/net/*/address)"
	case "$mac" in
	"$MAC0") BDF0="$bdf" ;;
	"$MAC1") BDF1="$bdf" ;;
	esac
done
if [ -n "$BDF0" ] && [ -n "$BDF1" ]; then
	pass "baseline: virtio-net-pci functions $BDF0 ($MAC0) and $BDF1 ($MAC1) found"
else
	fail "baseline: virtio-net-pci functions" "want MACs $MAC0 and $MAC1, found BDFs '$(virtio_net_bdfs | oneline)'"
fi

# ping_from IF ADDR/LEN TARGET NAME: address IF, ping TARGET 3 times.
ping_from() {
	/bin/ip addr flush dev "$1"
	/bin/ip addr add "$2" dev "$1" && /bin/ip link set "$1" up &&
		wait_for 10 /bin/ip -o link show "$1" up &&
		out="$(timeout $T ping -c 3 -W 5 "$3" 2>&1)"
	rc=$?
	if [ $rc = 0 ]; then
		pass "$4 ($(echo "$out" | grep 'packets transmitted'))"
	else
		fail "$4" "rc=$rc: $(echo "$out" | tail -n 3 | oneline)"
	fi
	return $rc
}

if [ -n "$BDF0" ]; then
	if0="$(pci_netdev "$BDF0")"
	ping_from "$if0" "$SLIRP_ADDR/24" "$GW" "baseline: virtio-pci $if0 pings $GW"
	/bin/ip addr flush dev "$if0"
fi
if [ -n "$BDF1" ]; then
	if1="$(pci_netdev "$BDF1")"
	info "baseline: $if1 channels: $(ethtool -l "$if1" | oneline)"
	ping_from "$if1" "$ADDR/24" "$PEER" "baseline: virtio-pci $if1 pings $PEER"
	/bin/ip addr flush dev "$if1"
fi

report "E2E-END"
