#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The narrated demo, run inside the guest by /init (vp.mode=demo): every
# command is shown before it runs. Ends with "DEMO: OK" or "DEMO: FAILED".
# With vp.hub=1 it ends with the migration of a vhost-vdpa NIC between the
# two functions (vdpa-client --migrate), which must lose and duplicate no
# frame.
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

MAC0="$(cmdline_get mac0)"
MAC1="$(cmdline_get mac1)"
PEER="$(cmdline_get peer)"
ADDR="$(cmdline_get addr)"
# vp.hub=1 (VP_HUB=1 on the host): both functions on one QEMU hub with the
# user-mode network, no tap. The multi-queue part needs the tap; the
# migration part needs the hub.
HUB="$(cmdline_get hub || echo 0)"

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

# The ring-state part: a stream of ICMP echo requests moves from a
# vhost-vdpa device on one function to one on the other, as a live
# migration moves a guest's NIC: vdpa-client plays QEMU on both sides.
migration_demo() {
	say "Live migration of a vhost-vdpa NIC from $BDF0 to $BDF1"
	echo "QEMU's virtio-net-pci has neither SUSPEND nor a device-state capability;"
	echo "vp_svq suspends it by stopping kicks and resetting the data queues"
	echo "(RING_RESET), reads each ring's position from the client's used ring, and"
	echo "runs a queue restored at any index in ring shadow mode."
	sed 's/^/facilities: /' "/sys/bus/pci/devices/$BDF0/vp_svq_facilities"
	load_mod vhost_vdpa || { report "DEMO: FAILED: vhost_vdpa does not load"; exit 1; }
	sysfs 0 /sys/bus/vdpa/drivers_autoprobe
	run vdpa dev add name vdpa0 mgmtdev "pci/$BDF0"
	run vdpa dev add name vdpa1 mgmtdev "pci/$BDF1"
	for d in vdpa0 vdpa1; do
		sysfs vhost_vdpa "/sys/bus/vdpa/devices/$d/driver_override"
		sysfs "$d" /sys/bus/vdpa/drivers_probe
		wait_for 10 ls /sys/bus/vdpa/devices/$d/vhost-vdpa-* ||
			{ report "DEMO: FAILED: $d not bound to vhost_vdpa"; exit 1; }
	done
	VA="/dev/$(basename /sys/bus/vdpa/devices/vdpa0/vhost-vdpa-*)"
	VB="/dev/$(basename /sys/bus/vdpa/devices/vdpa1/vhost-vdpa-*)"
	wait_for 5 test -c "$VA"
	wait_for 5 test -c "$VB"
	echo "source A: vdpa0 on $BDF0 = $VA; destination B: vdpa1 on $BDF1 = $VB"

	say "vdpa-client --migrate: 100 echo requests to 10.0.2.2 through A, switch, 100 through B"
	echo "A: QEMU's bring-up (CVQ in ASID 1), ARP, then the stream. B meanwhile runs"
	echo "throwaway rings: the hub copies A's frames to B's port, and QEMU would"
	echo "otherwise queue them for B and hand them over at its DRIVER_OK."
	echo "The switch: SUSPEND A with requests in flight, GET_VRING_BASE of each"
	echo "ring, A's MAC from its config; 4 requests posted to the suspended A's ring"
	echo "(A must not send them: B will); reset A; B gets the same memory and rings,"
	echo "SET_VRING_BASE = A's bases, DRIVER_OK, A's MAC through its CVQ."
	echo "# vdpa-client --migrate --hold 4 $VA $VB"
	timeout 120 /bin/vdpa-client --migrate --hold 4 "$VA" "$VB" >/tmp/migrate.out 2>&1 &
	pid=$!
	t=900
	while [ $t -gt 0 ] && kill -0 $pid 2>/dev/null &&
		! grep -q 'holding the device running' /tmp/migrate.out; do
		sleep 0.1
		t=$((t - 1))
	done
	if grep -q 'holding the device running' /tmp/migrate.out; then
		say "While B carries the stream: how each queue runs, and B's shadow counters"
		for bdf in "$BDF0" "$BDF1"; do
			echo "# cat /sys/bus/pci/devices/$bdf/vp_svq_queues"
			sed 's/^/  /' "/sys/bus/pci/devices/$bdf/vp_svq_queues"
		done
		for q in 0 1; do
			echo "# vdpa dev vstats show vdpa1 qidx $q"
			timeout 30 vdpa dev vstats show vdpa1 qidx $q 2>&1
		done
		echo "(queue_type is the vdpa tool's guess: without MQ negotiated it calls"
		echo "queue 0 control_vq; the counters of qidx 0 are those of RX)"
	fi
	wait $pid
	rc=$?
	say "What the client printed (per-frame lines left out)"
	grep -Ev '\] (A: |B: )?(RX frame [0-9]|TX: used entry|RX: further|TX: further)' /tmp/migrate.out
	figures="$(grep -o 'frames sent [0-9]*, received [0-9]*, lost [0-9]*, duplicated [0-9]*' /tmp/migrate.out | tail -n 1)"
	say "Result: ${figures:-no figures} (client exit status $rc)"
	run vdpa dev del vdpa1
	run vdpa dev del vdpa0
	sysfs 1 /sys/bus/vdpa/drivers_autoprobe
	if [ $rc != 0 ] || ! echo "$figures" | grep -q ', lost 0, duplicated 0$'; then
		report "DEMO: FAILED: migration: ${figures:-no figures}, client exit status $rc"
		exit 1
	fi
	report "MIGRATION: $figures"
}

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
if [ "$HUB" = 1 ]; then
	echo "$BDF0: on a QEMU hub with user-mode networking (gateway 10.0.2.2), MAC $MAC0"
	echo "$BDF1: on the same hub, MAC $MAC1 (the hub gives every port a copy of every frame)"
else
	echo "$BDF0: user-mode networking (gateway 10.0.2.2), MAC $MAC0"
	echo "$BDF1: multi-queue tap, peer $PEER in the host's test namespace, MAC $MAC1"
fi
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

if [ "$HUB" != 1 ]; then
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
else
	say "Multi-queue and iperf3: not in this run"
	echo "With VP_HUB=1 the second function sits on the hub (one queue pair, no tap),"
	echo "so the multi-queue ethtool -L and iperf3 part is left out; 'make e2e'"
	echo "runs it on the tap. The hub is what the migration below needs."
fi

say "Remove the devices"
if [ -e /sys/bus/vdpa/devices/vdpa1 ]; then run vdpa dev del vdpa1; fi
run vdpa dev del vdpa0
run vdpa dev show

if [ "$HUB" = 1 ]; then
	migration_demo
fi

report "DEMO: OK"
