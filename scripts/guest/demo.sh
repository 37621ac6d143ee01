#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The narrated demo, run inside the guest by /init (vp.mode=demo): every
# command is shown before it runs. Ends with "DEMO: OK" or "DEMO: FAILED".
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

MAC0="$(cmdline_get mac0)"
MAC1="$(cmdline_get mac1)"
PEER="$(cmdline_get peer)"
ADDR="$(cmdline_get addr)"

say() { printf '\n=== %s\n' "$*"; }
# run CMD...: show, then run it (bounded); stop the demo if it fails.
run() {
	echo "# $*"
	timeout 60 "$@" 2>&1
	_rc=$?
	if [ $_rc != 0 ]; then
		echo "(exit status $_rc)"
		report "DEMO: FAILED at: $*"
		exit 1
	fi
}
sysfs() { echo "# echo $1 > $2"; echo "$1" >"$2" || { report "DEMO: FAILED at: echo $1 > $2"; exit 1; }; }

say "Two virtio-net-pci functions, first driven by the in-kernel virtio-pci driver"
load_mod virtio_net
BDF0="" BDF1=""
for bdf in $(virtio_net_bdfs); do
	wait_for 10 pci_netdev "$bdf" || continue
	case "$(cat /sys/bus/pci/devices/"$bdf"/virtio*/net/*/address)" in
	"$MAC0") BDF0="$bdf" ;;
	"$MAC1") BDF1="$bdf" ;;
	esac
done
echo "$BDF0: user-mode networking (gateway 10.0.2.2), MAC $MAC0"
echo "$BDF1: multi-queue tap, peer $PEER in the host's test namespace, MAC $MAC1"
if [ -z "$BDF0" ] || [ -z "$BDF1" ]; then report "DEMO: FAILED: NICs not found"; exit 1; fi

say "Load vp_svq and hand both functions to it (driver_override)"
load_mod vp_svq || { report "DEMO: FAILED: vp_svq.ko missing or does not load"; exit 1; }
for bdf in "$BDF0" "$BDF1"; do
	sysfs vp_svq "/sys/bus/pci/devices/$bdf/driver_override"
	sysfs "$bdf" /sys/bus/pci/drivers/virtio-pci/unbind
	sysfs "$bdf" /sys/bus/pci/drivers_probe
done
dmesg | grep 'vp_svq' | sed 's/^/kernel: /'

say "Each function is now a vDPA management device"
run vdpa mgmtdev show

say "Create a vDPA device on the first function; the kernel's virtio_vdpa + virtio_net consume it"
load_mod virtio_vdpa
run vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mac "$MAC0" mtu 1500
run vdpa dev show vdpa0
wait_for 15 vdpa_netdev vdpa0 || { report "DEMO: FAILED: no virtio_net interface on vdpa0"; exit 1; }
IF0="$(vdpa_netdev vdpa0)"
run vdpa dev config show vdpa0
echo "virtio_net interface on vdpa0: $IF0"
run /bin/ip addr add 10.0.2.15/24 dev "$IF0"
run /bin/ip link set "$IF0" up
run /bin/ip link show "$IF0"

say "Traffic: ping the user-mode gateway through the vDPA device"
sleep 1
run ping -c 3 -W 5 10.0.2.2

say "The CVQ is served by the driver's shadow: a new MAC reaches the device through it"
run cat "/sys/bus/pci/devices/$BDF0/vp_svq_facilities"
run vdpa dev vstats show vdpa0 qidx 2
run /bin/ip link set dev "$IF0" address 52:54:00:12:34:99
run /bin/ip link set dev "$IF0" promisc on
run /bin/ip link set dev "$IF0" promisc off
run ping -c 2 -W 5 10.0.2.2
run vdpa dev vstats show vdpa0 qidx 2

say "Multi-queue: a device with 2 queue pairs on the tap-backed function"
run vdpa dev add name vdpa1 mgmtdev "pci/$BDF1" max_vqp 2
wait_for 15 vdpa_netdev vdpa1 || { report "DEMO: FAILED: no virtio_net interface on vdpa1"; exit 1; }
IF1="$(vdpa_netdev vdpa1)"
run vdpa dev config show vdpa1
run ethtool -L "$IF1" combined 2
run ethtool -l "$IF1"
run /bin/ip addr add "$ADDR/24" dev "$IF1"
run /bin/ip link set "$IF1" up
sleep 1
run ping -c 3 -W 5 "$PEER"
run iperf3 -c "$PEER" -t 3 -P 2
echo "# ethtool -S $IF1 (per-queue doorbell kicks)"
ethtool -S "$IF1" | grep -E '^ *(rx|tx)[0-9]+_kicks:'

say "Remove the devices"
run vdpa dev del vdpa1
run vdpa dev del vdpa0
run vdpa dev show

report "DEMO: OK"
