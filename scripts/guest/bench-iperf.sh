#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The iperf3 benchmark, run inside the guest by /init (vp.mode=bench). Both
# virtio-net-pci functions sit on one QEMU hub (vp.hub=1). Function A goes
# to network namespace ns1 (10.9.0.1), function B to ns2 (10.9.0.2), where
# virtio-pci and virtio_net always drive it and an iperf3 server listens;
# the addresses sit on VLAN 9 over each function (see to_ns).
# The iperf3 client in ns1 sends to it (REVERSE=1: receives from it) while
# A runs in one of three modes, alternated round by round:
#
#   virtio-pci    A driven by virtio-pci + virtio_net directly
#   passthrough   A bound to vp_svq, vDPA device on virtio_vdpa + virtio_net,
#                 the data queues in the device (force_shadow=0)
#   shadow        the same with vp_svq's force_shadow=1: data queues shadowed
#
# Result lines (ttyS1), read by scripts/bench-iperf.sh on the host:
#   RUN: ROUND MODE MBITS retransmits N   a measured run: Mbit/s at the
#                                  receiver, TCP retransmits at the sender
#   RUN: ROUND MODE none WHY       a run that produced no figure
#   UNSUPPORTED: MODE WHY          a mode the driver cannot run yet
#   INFO: ...                      context
#   BENCH-END                      the guest finished
#
# Parameters come from /etc/bench-iperf.conf, which the host appends to the
# initramfs: ROUNDS (runs per mode), SECS (iperf3 -t), WARMUP (seconds of an
# uncounted first run, 0 for none), REVERSE (1: iperf3 -R, B sends to A).
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

ROUNDS=7 SECS=5 WARMUP=3 REVERSE=0
# shellcheck disable=SC1091 # written by the host into the initramfs
[ -f /etc/bench-iperf.conf ] && . /etc/bench-iperf.conf

MAC0="$(cmdline_get mac0)"
MAC1="$(cmdline_get mac1)"
ADDR_A=10.9.0.1 ADDR_B=10.9.0.2
PARAM=/sys/module/vp_svq/parameters/force_shadow
T=30	# seconds for any single setup command

end() {
	report "BENCH-END"
	exit 0
}

# --- the two functions, found by MAC while virtio-pci drives them ----------
if ! load_mod virtio_net || ! load_mod 8021q; then
	info "cannot load virtio_net and 8021q"
	end
fi
BDF_A="" BDF_B=""
for bdf in $(virtio_net_bdfs); do
	wait_for 10 pci_netdev "$bdf" || continue
	mac="$(cat /sys/bus/pci/devices/"$bdf"/virtio*/net/*/address)"
	case "$mac" in
	"$MAC0") BDF_A="$bdf" ;;
	"$MAC1") BDF_B="$bdf" ;;
	esac
done
if [ -z "$BDF_A" ] || [ -z "$BDF_B" ]; then
	info "functions with MACs $MAC0 and $MAC1 not found (BDFs: $(virtio_net_bdfs | oneline))"
	end
fi
if [ "$(cmdline_get hub || true)" != 1 ]; then
	info "vp.hub=1 missing: the functions are not on one hub, A cannot reach B"
	end
fi

# nsx NS CMD...: run CMD in network namespace NS.
nsx() {
	_ns="$1"
	shift
	/bin/ip netns exec "$_ns" "$@"
}
# The benchmark's traffic runs on VLAN $VID over the functions. The hub also
# hands every frame to QEMU's user-mode network, which parses untagged IPv4
# whatever its destination: it answers each TCP segment it has no socket for
# with a RST (restrict=on), which kills the connection between A and B. It
# ignores tagged frames altogether (neither ARP, IPv4 nor IPv6 ethertype).
VID=9
# to_ns IF NS ADDR: move IF into NS under the name vpb0, up; ADDR on its
# VLAN interface vpb0.$VID.
to_ns() {
	/bin/ip link set dev "$1" netns "$2" &&
		/bin/ip -n "$2" link set dev "$1" name vpb0 &&
		/bin/ip -n "$2" link set dev vpb0 up &&
		/bin/ip -n "$2" link add link vpb0 name "vpb0.$VID" type vlan id "$VID" &&
		/bin/ip -n "$2" addr add "$3/24" dev "vpb0.$VID" &&
		/bin/ip -n "$2" link set dev "vpb0.$VID" up
}

if ! { /bin/ip netns add ns1 && /bin/ip netns add ns2 &&
	/bin/ip -n ns1 link set lo up && /bin/ip -n ns2 link set lo up; }; then
	info "ip netns add failed"
	end
fi
if_b="$(pci_netdev "$BDF_B")"
to_ns "$if_b" ns2 "$ADDR_B" || { info "cannot move $if_b ($BDF_B) into ns2"; end; }
info "B: $BDF_B ($MAC1) on virtio-pci, $if_b as vpb0 in ns2 at $ADDR_B"

VP_SVQ=1
if ! load_mod vp_svq 2>/dev/null; then
	VP_SVQ=0
	info "vp_svq.ko missing or does not load: passthrough and shadow cannot run"
fi
load_mod virtio_vdpa 2>/dev/null || VP_SVQ=0

# Shadow mode needs the knob and the per-queue sysfs view that proves it.
SHADOW=""
if [ "$VP_SVQ" = 0 ]; then
	SHADOW="vp_svq not loaded"
elif [ ! -w "$PARAM" ]; then
	SHADOW="no $PARAM in this vp_svq"
fi

# --- mode setup ---------------------------------------------------------------
# A's netdev in ns1, named vpb0. Every setup starts from whatever the last
# one left: the vDPA device (if any) goes first, then the function changes
# driver, which destroys its netdev.
teardown_a() {
	[ -e /sys/bus/vdpa/devices/vdpa0 ] && timeout $T vdpa dev del vdpa0
	return 0
}
# A's vp_svq_queues on one line.
queues_file() {
	oneline <"/sys/bus/pci/devices/$BDF_A/vp_svq_queues" 2>/dev/null
	[ -e "/sys/bus/pci/devices/$BDF_A/vp_svq_queues" ] || echo "(no such file)"
}
# queues_say STATE: the line of every data queue (0 and 1) in A's
# vp_svq_queues reads "<idx> STATE...".
queues_say() {
	for _q in 0 1; do
		grep -Eq "^$_q $1( |\$)" "/sys/bus/pci/devices/$BDF_A/vp_svq_queues" 2>/dev/null || return 1
	done
}
# setup_a MODE: bring A up in MODE in ns1. Prints why on failure.
setup_a() {
	teardown_a
	case "$1" in
	virtio-pci)
		timeout $T sh /guest/bind.sh "$BDF_A" virtio-pci || { echo "bind to virtio-pci failed"; return 1; }
		wait_for 15 pci_netdev "$BDF_A" || { echo "no virtio_net netdev on $BDF_A"; return 1; }
		_if="$(pci_netdev "$BDF_A")"
		;;
	passthrough | shadow)
		if [ "$1" = shadow ]; then _v=1; else _v=0; fi
		if [ -w "$PARAM" ]; then
			echo "$_v" >"$PARAM" || { echo "cannot write $_v to $PARAM"; return 1; }
		fi
		if [ "$(basename "$(readlink "/sys/bus/pci/devices/$BDF_A/driver")")" != vp_svq ]; then
			timeout $T sh /guest/bind.sh "$BDF_A" vp_svq || { echo "bind to vp_svq failed"; return 1; }
		fi
		_out="$(timeout $T vdpa dev add name vdpa0 mgmtdev "pci/$BDF_A" 2>&1)" ||
			{ echo "vdpa dev add: $_out"; return 1; }
		wait_for 15 vdpa_netdev vdpa0 || { echo "no virtio_net netdev on vdpa0"; return 1; }
		_if="$(vdpa_netdev vdpa0)"
		;;
	esac
	# The features virtio_net negotiated, for the first round's INFO line.
	cat "/sys/class/net/$_if/device/features" >"/tmp/features.$1" 2>/dev/null
	to_ns "$_if" ns1 "$ADDR_A" || { echo "cannot move $_if into ns1"; return 1; }
	# The carrier comes up asynchronously; the first ping also resolves ARP.
	wait_for 20 nsx ns1 ping -c 1 -W 1 "$ADDR_B" || { echo "$ADDR_A cannot ping $ADDR_B"; return 1; }
	# Did the mode take?
	case "$1" in
	shadow)
		queues_say shadow || { echo "data queues not shadowed: vp_svq_queues '$(queues_file)'"; return 1; }
		;;
	passthrough)
		if [ -e "/sys/bus/pci/devices/$BDF_A/vp_svq_queues" ]; then
			queues_say passthrough || { echo "data queues not passed through: vp_svq_queues '$(queues_file)'"; return 1; }
		fi
		;;
	esac
	return 0
}

# features MODE: the feature bits set in /tmp/features.MODE, as numbers.
features() {
	awk '{ for (i = 1; i <= length($0); i++) if (substr($0, i, 1) == "1") printf "%s%d", n++ ? "," : "", i - 1 }' \
		"/tmp/features.$1" 2>/dev/null
}

# shadow_avail: the shadow_avail counter of the queue of A that carries the
# data (qidx $DATA_Q), or "".
shadow_avail() {
	timeout $T vdpa dev vstats show vdpa0 qidx "$DATA_Q" 2>/dev/null | oneline |
		sed -n 's/.* shadow_avail \([0-9]*\).*/\1/p'
}

# The direction of the data: A sends (A's TX queue carries it) or, with
# REVERSE=1, receives (its RX queue does).
DIR="" FLOW="A to B" DATA_Q=1
if [ "$REVERSE" = 1 ]; then
	DIR=-R FLOW="B to A" DATA_Q=0
fi

# iperf SECS: one iperf3 run between ns1 and ns2; prints "MBITS retransmits
# N" (Mbit/s at the receiver, TCP retransmits at the sender) or fails with
# the reason on stdout. A one-off server per run: a client that died cannot
# leave the next run a stuck server.
iperf() {
	nsx ns2 timeout $(($1 + 40)) iperf3 -s -1 -B "$ADDR_B" >/tmp/iperf3-server.log 2>&1 &
	_spid=$!
	wait_for 10 sh -c "/bin/ip netns exec ns2 netstat -ltn | grep -q ':5201 '" ||
		{ echo "iperf3 server not listening"; kill $_spid 2>/dev/null; return 1; }
	_out="$(nsx ns1 timeout $(($1 + 30)) iperf3 -c "$ADDR_B" -t "$1" -O 1 -f m $DIR 2>&1)"
	_rc=$?
	wait $_spid 2>/dev/null
	# The whole output goes to the console log, for a closer look.
	echo "$_out" >/dev/console
	_mb="$(echo "$_out" | awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }' | tail -n 1)"
	_retr="$(echo "$_out" | awk '/sender/ { print $(NF - 1) }' | tail -n 1)"
	if [ $_rc != 0 ] || [ -z "$_mb" ]; then
		echo "iperf3 rc=$_rc: $(echo "$_out" | tail -n 2 | oneline)"
		return 1
	fi
	echo "$_mb retransmits ${_retr:-?}"
}

MODES="virtio-pci"
[ "$VP_SVQ" = 1 ] && MODES="$MODES passthrough"
if [ -z "$SHADOW" ]; then
	MODES="$MODES shadow"
else
	report "UNSUPPORTED: shadow $SHADOW"
fi
[ "$VP_SVQ" = 1 ] || report "UNSUPPORTED: passthrough vp_svq not loaded"
info "A: $BDF_A ($MAC0); modes: $MODES; $ROUNDS rounds of iperf3 -t $SECS -O 1${DIR:+ -R} (data $FLOW), warmup ${WARMUP}s; $(nproc) CPUs"

if [ "$WARMUP" -gt 0 ]; then
	if why="$(setup_a virtio-pci)" && mb="$(iperf "$WARMUP")"; then
		info "warmup (virtio-pci, ${WARMUP}s, not counted): ${mb%% *} Mbit/s"
	else
		info "warmup failed: ${why:-$mb}"
	fi
fi

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for m in $MODES; do
		why="" mb="" sa0="" sa1=""
		if ! why="$(setup_a "$m")"; then
			report "RUN: $r $m none setup: $why; dmesg: $(dmesg | tail -n 2 | oneline)"
			continue
		fi
		[ "$m" = shadow ] && sa0="$(shadow_avail)"
		if ! mb="$(iperf "$SECS")"; then
			report "RUN: $r $m none $mb"
			continue
		fi
		if [ "$m" = shadow ]; then
			sa1="$(shadow_avail)"
			st="$(timeout $T vdpa dev vstats show vdpa0 qidx "$DATA_Q" 2>&1 | oneline)"
			# The figure counts only if the shadow ring relayed the traffic.
			if ! echo "$st" | grep -Eq ' shadow 1( |$)' || [ -z "$sa0" ] || [ -z "$sa1" ] ||
				[ "$sa1" -le "$sa0" ]; then
				report "RUN: $r $m none not shadowed: shadow_avail '$sa0' -> '$sa1'; vstats: $st"
				continue
			fi
			[ "$r" = 1 ] && info "shadow: vp_svq_queues: $(queues_file); qidx $DATA_Q shadow_avail $sa0 -> $sa1"
		fi
		[ "$r" = 1 ] && [ "$m" = passthrough ] && info "passthrough: vp_svq_queues: $(queues_file)"
		[ "$r" = 1 ] && info "$m: virtio_net negotiated feature bits $(features "$m")"
		report "RUN: $r $m $mb"
	done
	r=$((r + 1))
done
teardown_a
[ -w "$PARAM" ] && echo 0 >"$PARAM"
if dmesg | grep -Eq "$OOPS_RE"; then
	info "kernel warnings in dmesg: $(dmesg | grep -E "$OOPS_RE" | head -n 3 | oneline)"
fi
end
