#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The e2e test steps, run inside the guest by /init (vp.mode=e2e). Each step
# prints "PASS: name" or "FAIL: name: why"; the host counts them.
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

MAC0="$(cmdline_get mac0)"
MAC1="$(cmdline_get mac1)"
PEER="$(cmdline_get peer)"
ADDR="$(cmdline_get addr)"
GW=10.0.2.2
SLIRP_ADDR=10.0.2.15
# A MAC that is not the device's: provisioned at dev add, set with ip link.
MACX=52:54:00:aa:bb:cc
MACY=52:54:00:12:34:99
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
# The carrier comes up asynchronously (virtio_net reads the link status).
link_ready() { grep -Eqx 'up|unknown' "/sys/class/net/$1/operstate"; }
ping_from() {
	out="not run: addressing $1 failed"
	/bin/ip addr flush dev "$1"
	/bin/ip addr add "$2" dev "$1" && /bin/ip link set "$1" up &&
		{ wait_for 10 link_ready "$1" || true; } &&
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


# ------------------------------------------------------------------------------
# Helpers for the vp_svq steps.

# run_ok NAME CMD...: PASS if CMD exits 0 within $T seconds.
run_ok() {
	_n="$1"
	shift
	_out="$(timeout $T "$@" 2>&1)"
	_rc=$?
	if [ $_rc = 0 ]; then
		pass "$_n"
	else
		fail "$_n" "rc=$_rc: $* -> $(echo "$_out" | oneline)"
	fi
	return $_rc
}

# expect_fail NAME ERRTEXT DMESG_RE CMD...: CMD must fail; its output must
# contain ERRTEXT (the errno's text, "" for any) and the kernel log since the
# command must hold a line matching DMESG_RE (case-insensitive) that names the
# cause. A command that wrongly succeeds leaves a device: the caller deletes.
expect_fail() {
	_n="$1" _err="$2" _re="$3"
	shift 3
	dmesg_mark
	_out="$(timeout $T "$@" 2>&1)"
	_rc=$?
	_line="$(dmesg_new | grep -Ei -- "$_re" | head -n 1)"
	if [ $_rc = 0 ]; then
		fail "$_n" "succeeded, should have failed: $*"
	elif [ -n "$_err" ] && ! echo "$_out" | grep -qi -- "$_err"; then
		fail "$_n" "rc=$_rc but not '$_err': $(echo "$_out" | oneline)"
	elif [ -z "$_line" ]; then
		fail "$_n" "rc=$_rc ($(echo "$_out" | oneline)) but no dmesg line matching /$_re/: $(dmesg_new | tail -n 3 | oneline)"
	else
		pass "$_n (rc=$_rc: $(echo "$_out" | oneline); dmesg:$(echo "$_line" | sed 's/^\[[^]]*\]//'))"
	fi
}

# has NAME TEXT PATTERN...: PASS if TEXT contains every (ERE) PATTERN.
has() {
	_n="$1" _text="$2"
	shift 2
	for _p in "$@"; do
		if ! echo "$_text" | grep -Eq -- "$_p"; then
			fail "$_n" "no /$_p/ in: $_text"
			return 1
		fi
	done
	pass "$_n"
}

dev_del_quiet() { timeout $T vdpa dev del "$1" >/dev/null 2>&1 || true; }
vdpa_dev_exists() { [ -e "/sys/bus/vdpa/devices/$1" ]; }
mgmtdev_exists() { vdpa mgmtdev show 2>/dev/null | grep -q "^pci/$1:"; }

# slab_snapshot FILE: one line per slab cache, "cache live vp vdpa":
# live objects, those whose allocation stack went through vp_svq, and those
# whose stack went through any vDPA/virtio/vhost module. slub_debug=U makes
# SLUB record a stack per object; debugfs lists them grouped by stack, each
# group headed by its object count. vmap_area is left out: vfree() releases
# vmap areas lazily, in batches, so its count drifts by hundreds.
slab_snapshot() {
	for _c in /sys/kernel/debug/slab/*/alloc_traces; do
		_name="${_c%/alloc_traces}"
		_name="${_name##*/}"
		[ "$_name" = vmap_area ] && continue
		awk -v c="$_name" '
			function flush() { if (vp) vps += n; if (vd) vds += n; n = 0; vp = 0; vd = 0 }
			/^ *[0-9]+ [^ ]/ { flush(); n = $1; all += n }
			/\[vp_svq\]/ { vp = 1 }
			/\[(vp_svq|vdpa|virtio_vdpa|virtio_net|vhost|vhost_vdpa|vhost_iotlb)\]/ { vd = 1 }
			END { flush(); printf "%s %d %d %d\n", c, all, vps, vds }' "$_c" 2>/dev/null
	done >"$1"
}
# slab_stacks FILE: "count<TAB>cache: frame < frame < ..." for every group
# of live objects with the same allocation stack, to name a leak's origin.
slab_stacks() {
	for _c in /sys/kernel/debug/slab/*/alloc_traces; do
		_name="${_c%/alloc_traces}"
		_name="${_name##*/}"
		[ "$_name" = vmap_area ] && continue
		awk -v c="$_name" '
			function flush() { if (n) printf "%d\t%s: %s\n", n, c, k; n = 0 }
			/^ *[0-9]+ [^ ]/ { flush(); n = $1; k = $2; next }
			{ sub(/^ +/, ""); if ($0 != "") k = k " < " $0 }
			END { flush() }' "$_c" 2>/dev/null
	done >"$1"
}
# The allocation stacks whose live objects grew by at least $3 from
# snapshot $1 to $2.
stack_growth() {
	awk -F '\t' -v min="$3" 'NR == FNR { b[$2] += $1; next } { a[$2] += $1 }
		END { for (k in a) if (a[k] - b[k] >= min) printf "+%d %s\n", a[k] - b[k], k }' "$1" "$2" |
		sort -rn | head -n 5
}
# Column sums of a snapshot: "live vp vdpa".
slab_totals() { awk '{ a += $2; v += $3; d += $4 } END { printf "%d %d %d\n", a, v, d }' "$1"; }
# The caches that grew most between two snapshots.
slab_growth() {
	awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) printf "%d %s\n", d, $1 }' "$1" "$2" |
		sort -rn | head -n 8 | awk '{ printf "%s +%s, ", $2, $1 }'
}
# Total active objects in /proc/slabinfo (approximate under SLUB: per-CPU
# slabs count as full), printed for reference.
slabinfo_active() {
	awk 'NR > 2 { s += $2 } END { print s }' /proc/slabinfo
}

# ------------------------------------------------------------------------------
# vp_svq
if ! load_mod vp_svq 2>/dev/null; then
	fail "vp_svq: load module" "$( [ -f /etc/modules.d/vp_svq ] && echo 'insmod failed' || echo 'vp_svq.ko missing from the initramfs (did not build)')"
	report "E2E-END"
	exit 0
fi
pass "vp_svq: module loaded"
if [ -z "$BDF0" ] || [ -z "$BDF1" ]; then
	fail "vp_svq: steps" "the test functions were not found"
	report "E2E-END"
	exit 0
fi

dmesg_mark
for bdf in "$BDF0" "$BDF1"; do
	if timeout $T sh /guest/bind.sh "$bdf" vp_svq; then
		pass "bind: $bdf to vp_svq via driver_override"
	else
		fail "bind: $bdf to vp_svq" "driver is '$(readlink "/sys/bus/pci/devices/$bdf/driver")'; dmesg: $(dmesg_new | tail -n 3 | oneline)"
	fi
done

# QEMU's virtio-net-pci: no SUSPEND, no device-state capability, RING_RESET:
# suspended by queue resets, ring state from the client's rings.
has "facilities of $BDF0 in sysfs" \
	"$(cat "/sys/bus/pci/devices/$BDF0/vp_svq_facilities" 2>&1)" \
	"^suspend=queue-reset vq_state=client-ring enable_after_driver_ok=ring-reset\$"

# --- 1. mgmtdev show -----------------------------------------------------------
# User-mode NIC: 1 queue pair + CVQ = 3 vqs; tap NIC: 4 pairs + CVQ = 9.
for pair in "$BDF0:3" "$BDF1:9"; do
	bdf="${pair%:*}" nvqs="${pair##*:}"
	out="$(timeout $T vdpa mgmtdev show "pci/$bdf" 2>&1 | oneline)"
	has "mgmtdev show pci/$bdf: class net, max_supported_vqs $nvqs, dev_features" "$out" \
		"^pci/$bdf:" "supported_classes net" "max_supported_vqs $nvqs( |\$)" \
		"dev_features .*MAC" "CTRL_VQ" "VERSION_1" "ACCESS_PLATFORM"
done

# --- 2/3. dev add: each attribute valid and invalid; show/config show ---------
# show_cfg NAME: "vdpa dev show" and "vdpa dev config show" on one line.
show_cfg() {
	echo "$(timeout $T vdpa dev show "$1" 2>&1) $(timeout $T vdpa dev config show "$1" 2>&1)" | oneline
}

if run_ok "dev add vdpa0 on pci/$BDF0 (no attributes)" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0"; then
	has "dev show vdpa0: mgmtdev pci/$BDF0, max_vqs 3, config mac $MAC0, mtu 1500, link up" "$(show_cfg vdpa0)" \
		"mgmtdev pci/$BDF0" "max_vqs 3( |\$)" "mac $MAC0" "mtu 1500( |\$)" "link up"
	run_ok "dev del vdpa0" vdpa dev del vdpa0
	if vdpa_dev_exists vdpa0; then fail "dev del vdpa0: gone" "still in /sys/bus/vdpa/devices"; else pass "dev del vdpa0: gone"; fi
fi

# mtu: the user-mode NIC has host_mtu=1500.
if run_ok "dev add mtu 1400 (below the device's 1500)" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mtu 1400; then
	has "config show reports mtu 1400" "$(show_cfg vdpa0)" "mtu 1400( |\$)"
fi
dev_del_quiet vdpa0
if run_ok "dev add mtu 1500 (the device's own)" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mtu 1500; then
	has "config show reports mtu 1500" "$(show_cfg vdpa0)" "mtu 1500( |\$)"
fi
dev_del_quiet vdpa0
expect_fail "dev add mtu 1501 (above the device's) refused" "" "mtu" \
	vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mtu 1501
dev_del_quiet vdpa0

# max_vqp: the tap NIC has 4 queue pairs.
if run_ok "dev add max_vqp 2 on pci/$BDF1" vdpa dev add name vdpa1 mgmtdev "pci/$BDF1" max_vqp 2; then
	has "dev show/config show: max_vqs 5, max_vq_pairs 2" "$(show_cfg vdpa1)" \
		"max_vqs 5( |\$)" "max_vq_pairs 2( |\$)"
fi
dev_del_quiet vdpa1
if run_ok "dev add max_vqp 4 (all the device's pairs)" vdpa dev add name vdpa1 mgmtdev "pci/$BDF1" max_vqp 4; then
	has "config show reports max_vq_pairs 4" "$(show_cfg vdpa1)" "max_vq_pairs 4( |\$)"
fi
dev_del_quiet vdpa1
expect_fail "dev add max_vqp 5 (more than the device's 4) refused" "" "max_vqp|queue pair" \
	vdpa dev add name vdpa1 mgmtdev "pci/$BDF1" max_vqp 5
dev_del_quiet vdpa1
expect_fail "dev add max_vqp 2 on the 1-pair NIC refused" "" "max_vqp|queue pair" \
	vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" max_vqp 2
dev_del_quiet vdpa0

# device_features: MAC(5) CTRL_VQ(17) VERSION_1(32) ACCESS_PLATFORM(33) is a
# subset of what QEMU's virtio-net-pci offers here; RING_PACKED(34) is not
# offered (packed=off is QEMU's default).
if run_ok "dev add device_features 0x300020020 (a subset)" \
	vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" device_features 0x300020020; then
	# Without MTU and STATUS in the features the config shows neither the
	# mtu nor the link state (a plain add shows both).
	cfg="$(timeout $T vdpa dev config show vdpa0 2>&1 | oneline)"
	if echo "$cfg" | grep -q "mac $MAC0" && ! echo "$cfg" | grep -Eq " mtu | link "; then
		pass "config show: only what device_features allows (mac, no mtu, no link status): $cfg"
	else
		fail "config show with device_features 0x300020020" "want mac and no mtu/link: $cfg"
	fi
fi
dev_del_quiet vdpa0
expect_fail "dev add device_features with RING_PACKED (not offered) refused with EINVAL" \
	"Invalid argument" "feature" \
	vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" device_features 0x700020020
dev_del_quiet vdpa0

# mac: the device's own, or another one that the driver programs through
# the device's CVQ (checked with traffic in step 4b).
if run_ok "dev add mac $MAC0 (the device's own)" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mac "$MAC0"; then
	has "config show reports mac $MAC0" "$(show_cfg vdpa0)" "mac $MAC0"
fi
dev_del_quiet vdpa0
if run_ok "dev add mac $MACX (not the device's: provisioned)" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mac "$MACX"; then
	has "config show reports mac $MACX" "$(show_cfg vdpa0)" "mac $MACX"
fi
dev_del_quiet vdpa0
expect_fail "dev add mac 01:00:5e:00:00:01 (multicast) refused with EINVAL" \
	"Invalid argument" "not a unicast" \
	vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mac 01:00:5e:00:00:01
dev_del_quiet vdpa0

# All attributes at once.
if run_ok "dev add mtu 9000 max_vqp 3 mac $MAC1 on pci/$BDF1" \
	vdpa dev add name vdpa1 mgmtdev "pci/$BDF1" mtu 9000 max_vqp 3 mac "$MAC1"; then
	has "config show reports mtu 9000, max_vq_pairs 3, mac $MAC1, max_vqs 7" "$(show_cfg vdpa1)" \
		"mtu 9000( |\$)" "max_vq_pairs 3( |\$)" "mac $MAC1" "max_vqs 7( |\$)"
fi
dev_del_quiet vdpa1

# One vDPA device per function.
if run_ok "dev add vdpa0 (before a second one)" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0"; then
	expect_fail "second dev add on the same function refused with ENOSPC" \
		"No space left on device" "already|one per function|one vdpa device" \
		vdpa dev add name vdpa2 mgmtdev "pci/$BDF0"
	dev_del_quiet vdpa2
fi
dev_del_quiet vdpa0

# --- 4. virtio-vdpa: a virtio_net interface that pings the gateway ------------
load_mod virtio_vdpa || fail "virtio_vdpa: load" "insmod failed"
dmesg_mark
if run_ok "virtio-vdpa: dev add vdpa0 on pci/$BDF0" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0"; then
	if wait_for 15 vdpa_netdev vdpa0; then
		ifv="$(vdpa_netdev vdpa0)"
		pass "virtio-vdpa: vdpa0 has virtio_net interface $ifv ($(cat "/sys/class/net/$ifv/address"))"
		ping_from "$ifv" "$SLIRP_ADDR/24" "$GW" "virtio-vdpa: $ifv pings $GW"
		info "vdpa0 config: $(timeout $T vdpa dev config show vdpa0 | oneline)"
	else
		fail "virtio-vdpa: vdpa0 virtio_net interface" "none after 15 s; dmesg: $(dmesg_new | tail -n 5 | oneline)"
	fi
fi

# --- 4b. the shadow CVQ: MAC, RX modes, VLANs relayed to the device ----------
# cvq_stat DEV NAME: a counter of the shadow CVQ from "vdpa dev vstats".
cvq_stat() {
	timeout $T vdpa dev vstats show "$1" qidx "$(cvq_index "$1")" 2>/dev/null |
		oneline | sed -n "s/.* $2 \([0-9]*\).*/\1/p"
}
# The CVQ index: 2 * max_vq_pairs with MQ negotiated, else 2.
cvq_index() {
	_c="$(timeout $T vdpa dev config show "$1" 2>/dev/null | oneline)"
	_p="$(echo "$_c" | sed -n 's/.*max_vq_pairs \([0-9]*\).*/\1/p')"
	if echo "$_c" | grep -q 'negotiated_features.* MQ '; then echo $((2 * _p)); else echo 2; fi
}
if [ -n "${ifv:-}" ]; then
	c0="$(cvq_stat vdpa0 completed_cmds)" f0="$(cvq_stat vdpa0 failed_cmds)"
	if [ -n "$c0" ] && [ "$c0" -gt 0 ]; then
		pass "cvq: vstats of vdpa0's CVQ: virtio_net's own commands at probe were relayed (completed_cmds $c0, failed_cmds $f0)"
	else
		fail "cvq: vstats of vdpa0's CVQ" "completed_cmds '$c0': $(timeout $T vdpa dev vstats show vdpa0 qidx 2 2>&1 | oneline)"
	fi
	dmesg_mark
	# A new MAC only works if MAC_ADDR_SET reached the device's filter.
	if run_ok "cvq: ip link set $ifv address $MACY" /bin/ip link set dev "$ifv" address "$MACY"; then
		ping_from "$ifv" "$SLIRP_ADDR/24" "$GW" "cvq: $ifv pings $GW with MAC $MACY"
	fi
	run_ok "cvq: promisc on" /bin/ip link set dev "$ifv" promisc on
	run_ok "cvq: allmulticast on" /bin/ip link set dev "$ifv" allmulticast on
	run_ok "cvq: promisc off" /bin/ip link set dev "$ifv" promisc off
	run_ok "cvq: allmulticast off" /bin/ip link set dev "$ifv" allmulticast off
	if load_mod 8021q && run_ok "cvq: VLAN 5 on $ifv (VLAN_ADD)" \
		/bin/ip link add link "$ifv" name "$ifv.5" type vlan id 5; then
		run_ok "cvq: VLAN 5 removed (VLAN_DEL)" /bin/ip link del "$ifv.5"
	fi
	sleep 1
	c1="$(cvq_stat vdpa0 completed_cmds)" f1="$(cvq_stat vdpa0 failed_cmds)"
	# MAC_ADDR_SET, 4 RX mode changes (each may come with a MAC table),
	# VLAN_ADD and VLAN_DEL: at least 7 commands.
	if [ -n "$c1" ] && [ $((c1 - c0)) -ge 7 ] && [ "$f1" = "$f0" ]; then
		pass "cvq: vstats: $((c1 - c0)) more commands completed, none failed ($(timeout $T vdpa dev vstats show vdpa0 qidx 2 | oneline))"
	else
		fail "cvq: vstats after MAC, RX mode and VLAN changes" "completed $c0 -> $c1, failed $f0 -> $f1"
	fi
	if dmesg_new | grep -q 'CVQ'; then
		fail "cvq: no CVQ complaints in dmesg" "$(dmesg_new | grep CVQ | head -n 3 | oneline)"
	else
		pass "cvq: no CVQ complaints in dmesg"
	fi
fi
dev_del_quiet vdpa0

# Provisioned MAC: the interface comes up with it and pings, so the driver
# programmed it into the device before virtio_net saw DRIVER_OK.
if run_ok "cvq: dev add vdpa0 mac $MACX" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" mac "$MACX"; then
	if wait_for 15 vdpa_netdev vdpa0; then
		ifv="$(vdpa_netdev vdpa0)"
		has "cvq: $ifv has the provisioned MAC" "$(cat "/sys/class/net/$ifv/address")" "^$MACX\$"
		ping_from "$ifv" "$SLIRP_ADDR/24" "$GW" "cvq: $ifv pings $GW with provisioned MAC $MACX"
	else
		fail "cvq: vdpa0 virtio_net interface" "none after 15 s"
	fi
fi

# --- 5. multi-queue: ethtool -L combined 2, traffic on both pairs -------------
# A per-queue counter of ethtool -S: qstat tx 1 kicks -> tx1_kicks. (6.12's
# virtio_net reports per-queue packets through netlink qstats, not ethtool;
# its per-queue kick counters count the doorbell writes of each queue.)
qstat() { ethtool -S "$ifq" 2>/dev/null | awk -v k="$1$2_$3:" '$1 == k { print $2 }'; }
dmesg_mark
if run_ok "mq: dev add vdpa1 max_vqp 3 on pci/$BDF1" vdpa dev add name vdpa1 mgmtdev "pci/$BDF1" max_vqp 3; then
	if wait_for 15 vdpa_netdev vdpa1; then
		ifq="$(vdpa_netdev vdpa1)"
		pass "mq: vdpa1 has virtio_net interface $ifq"
		has "mq: ethtool -l $ifq shows a maximum of 3 combined" \
			"$(ethtool -l "$ifq" 2>&1 | oneline)" "Pre-set maximums:.*Combined: 3 Current"
		run_ok "mq: ethtool -L $ifq combined 1" ethtool -L "$ifq" combined 1
		run_ok "mq: ethtool -L $ifq combined 2" ethtool -L "$ifq" combined 2
		has "mq: ethtool -l $ifq shows 2 combined" \
			"$(ethtool -l "$ifq" 2>&1 | oneline)" "Current hardware settings:.*Combined: 2\$"
		if ping_from "$ifq" "$ADDR/24" "$PEER" "mq: $ifq pings $PEER"; then
			# virtio_net maps CPU n to TX queue n (XPS) when there are as many
			# pairs as CPUs, so a ping pinned to each CPU uses each TX queue.
			t0="$(qstat tx 0 kicks)" t1="$(qstat tx 1 kicks)"
			timeout $T taskset 0x1 ping -c 3 -W 5 "$PEER" >/dev/null 2>&1
			timeout $T taskset 0x2 ping -c 3 -W 5 "$PEER" >/dev/null 2>&1
			d0=$(($(qstat tx 0 kicks) - t0)) d1=$(($(qstat tx 1 kicks) - t1))
			xps="tx-0 xps_cpus $(cat "/sys/class/net/$ifq/queues/tx-0/xps_cpus"), tx-1 xps_cpus $(cat "/sys/class/net/$ifq/queues/tx-1/xps_cpus")"
			if [ "$d0" -ge 1 ] && [ "$d1" -ge 1 ]; then
				pass "mq: both TX queues carried traffic (tx0_kicks +$d0, tx1_kicks +$d1; $xps)"
			else
				fail "mq: both TX queues carried traffic" "tx0_kicks +$d0, tx1_kicks +$d1 after a ping pinned to each CPU ($xps)"
			fi
			out="$(timeout 60 iperf3 -c "$PEER" -t 3 -P 2 2>&1)"
			rc=$?
			if [ $rc = 0 ]; then
				pass "mq: iperf3 -P 2 to $PEER ($(echo "$out" | grep 'SUM.*receiver' | oneline))"
			else
				fail "mq: iperf3 -P 2 to $PEER" "rc=$rc: $(echo "$out" | tail -n 3 | oneline)"
			fi
			info "mq: per-queue kicks: $(ethtool -S "$ifq" | grep -E '^ *(rx|tx)[0-9]+_kicks:' | oneline)"
		fi
	else
		fail "mq: vdpa1 virtio_net interface" "none after 15 s; dmesg: $(dmesg_new | tail -n 5 | oneline)"
	fi
fi

# --- 6. dev del, then 100 add/del cycles leak nothing --------------------------
for d in vdpa1 vdpa0; do
	if vdpa_dev_exists $d; then
		run_ok "dev del $d (bound to virtio_net)" vdpa dev del $d
		if vdpa_dev_exists $d; then fail "dev del $d: gone" "still present"; else pass "dev del $d: gone"; fi
	fi
done
# /guest/cycle.sh N BDF: N add/del of vdpa0, here on the user-mode NIC with
# virtio_vdpa bound, so every cycle also runs DRIVER_OK, MSI-X setup, reset.
settle() { sync; echo 3 >/proc/sys/vm/drop_caches; sleep 2; }
if ! ls /sys/kernel/debug/slab/*/alloc_traces >/dev/null 2>&1; then
	fail "leak check" "no /sys/kernel/debug/slab/*/alloc_traces (slub_debug=U missing?)"
else
	# Warm-up: first-use allocations (caches, per-CPU data) happen here.
	sh /guest/cycle.sh 5 "$BDF0" >/dev/null 2>&1
	settle
	slab_snapshot /tmp/slab.0
	info_0=$(slabinfo_active)
	# Two rounds of 100: a leak grows both; one-off growth shows in the first
	# round only (e.g. ~120 kmalloc-96 objects: debugfs's per-file state,
	# allocated when each alloc_traces file is first opened). Round 2 is
	# judged. Checked against a synthetic leak (100 mkdirs in a tmpfs between
	# two slab_stacks: +100 on the dentry, inode and lsm stacks, all named).
	for round in 1 2; do
		start=$(date +%s)
		out="$(timeout 600 sh /guest/cycle.sh 100 "$BDF0" 2>&1)"
		rc=$?
		secs=$(($(date +%s) - start))
		settle
		slab_snapshot /tmp/slab.$round
		slab_stacks /tmp/stacks.$round
		if [ $rc = 0 ]; then
			pass "100 add/del cycles, round $round, with virtio_vdpa bound (${secs}s)"
		else
			fail "100 add/del cycles, round $round" "rc=$rc after ${secs}s: $(echo "$out" | tail -n 3 | oneline)"
		fi
	done
	info_2=$(slabinfo_active)
	read -r all0 vp0 vd0 <<-EOF
		$(slab_totals /tmp/slab.0)
	EOF
	read -r all1 vp1 vd1 <<-EOF
		$(slab_totals /tmp/slab.1)
	EOF
	read -r all2 vp2 vd2 <<-EOF
		$(slab_totals /tmp/slab.2)
	EOF
	info "leak check: live slab objects allocated through vp_svq: $vp0 -> $vp1 -> $vp2; through vp_svq/vdpa/virtio/vhost modules: $vd0 -> $vd1 -> $vd2; all live slab objects: $all0 -> $all1 -> $all2; /proc/slabinfo active objects: $info_0 -> $info_2"
	info "leak check: caches that grew in round 1: $(slab_growth /tmp/slab.0 /tmp/slab.1)"
	info "leak check: caches that grew in round 2: $(slab_growth /tmp/slab.1 /tmp/slab.2)"
	# A per-device leak in the add/del path adds >= 100 objects per round to
	# the stacks through vp_svq or the vDPA/virtio modules. vp_svq's count is
	# exact (no device exists at a snapshot); the modules' count drifts by a
	# few dozen (skbs, RCU-deferred frees), so it gets a bound of 50.
	if [ $((vp2 - vp0)) -lt 10 ] && [ $((vd2 - vd1)) -lt 50 ]; then
		pass "leak check: objects through vp_svq $vp0 -> $vp1 -> $vp2, through vDPA/virtio modules $vd0 -> $vd1 -> $vd2"
	else
		fail "leak check: objects through vp_svq or the vDPA/virtio modules" "vp_svq $vp0 -> $vp1 -> $vp2 (bound +10), modules $vd0 -> $vd1 -> $vd2 (bound +50 in round 2)"
		for c in /sys/kernel/debug/slab/*/alloc_traces; do
			grep -A12 -E '^ *[0-9]+ ' "$c" 2>/dev/null | grep -B2 -A10 '\[vp_svq\]' | head -n 40
		done | head -n 80
	fi
	# Anywhere in the kernel, a leak per add/del shows as one allocation stack
	# gaining one live object per cycle: 100 in round 2. (Totals drift by
	# about a hundred either way with RCU, caches and the page allocator, a
	# single stack does not.) vmap_area is left out, see slab_snapshot.
	stack_growth /tmp/stacks.1 /tmp/stacks.2 50 >/tmp/stacks.grown
	if [ -s /tmp/stacks.grown ]; then
		fail "leak check: no allocation stack gained 50+ live objects in round 2" \
			"$(wc -l </tmp/stacks.grown) did, all objects $all1 -> $all2; biggest: $(head -n 1 /tmp/stacks.grown)"
		while read -r line; do info "leak check: grown: $line"; done </tmp/stacks.grown
	else
		pass "leak check: no allocation stack gained 50+ live objects in round 2 (all live objects $all1 -> $all2)"
	fi
fi

# Section 7's ring state tests on a plain device, run from there
# on the vhost-vdpa device \$1 of vdpa0 (on \$BDF0, user-mode networking).
# client_held OUT ARGS...: run the client on the background with --hold 3;
# once it says it holds the device running, record vp_svq_queues of $BDF0
# in $queues and the vstats of RX and TX in $vst0/$vst1; then wait for it.
# Sets $rc and $out.
client_held() {
	_o="$1"
	shift
	timeout 120 /bin/vdpa-client --hold 3 "$@" >"$_o" 2>&1 &
	_pid=$!
	queues="(the client never held the device running)" vst0="" vst1=""
	if wait_held 90 "$_pid" "$_o"; then
		queues="$(cat "/sys/bus/pci/devices/$BDF0/vp_svq_queues" 2>&1)"
		vst0="$(timeout $T vdpa dev vstats show vdpa0 qidx 0 2>&1 | oneline)"
		vst1="$(timeout $T vdpa dev vstats show vdpa0 qidx 1 2>&1 | oneline)"
	fi
	wait $_pid
	rc=$?
	out="$(cat "$_o")"
}
# wait_held SECONDS PID FILE: until the client PID says in FILE that it
# holds the device running (0), or it exited or time ran out (1).
wait_held() {
	_t=$(($1 * 10))
	while [ "$_t" -gt 0 ] && kill -0 "$2" 2>/dev/null; do
		grep -q 'holding the device running' "$3" && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	grep -q 'holding the device running' "$3"
}
# want NAME PATTERN: PASS with the client's matching line, else FAIL with
# the client's last lines and dmesg.
want() {
	if echo "$out" | grep -Eq -- "$2"; then
		pass "$1: $(echo "$out" | grep -E -- "$2" | tail -n 1 | sed 's/^\[[^]]*\] //')"
	else
		fail "$1" "no /$2/ (rc=$rc): $(echo "$out" | grep -E 'error|suspend:|resume:|restore:|exit' | tail -n 6 | oneline); dmesg: $(dmesg_new | tail -n 3 | oneline)"
	fi
}
# queues_have NAME LINE...: vp_svq_queues (as recorded) holds each LINE.
queues_have() {
	_n="$1"
	shift
	for _l in "$@"; do
		if ! echo "$queues" | grep -qx -- "$_l"; then
			fail "$_n" "no line '$_l' in vp_svq_queues: $(echo "$queues" | oneline)"
			return 1
		fi
	done
	pass "$_n ($(echo "$queues" | oneline))"
}
vhost_state_tests() {
	# Suspend with frames in flight, bases, nothing moves while
	# suspended, resume serves what was posted meanwhile.
	for args in "--suspend-test" "--suspend-test --cvq"; do
		dmesg_mark
		# shellcheck disable=SC2086 # two words on purpose
		client_held /tmp/suspend.out $args "$1"
		echo "$out" | sed "s/^/client $args: /"
		want "vhost-vdpa $args: suspend" 'suspend: VHOST_VDPA_SUSPEND: ok'
		bases="$(echo "$out" | grep 'suspend: vq [0-9]* [A-Z]*: VHOST_GET_VRING_BASE' | sed 's/^\[[^]]*\] suspend: //')"
		nwant=2
		[ "$args" = "--suspend-test" ] || nwant=3
		if [ "$(echo "$bases" | grep -c ': equal$')" = $nwant ] &&
			echo "$out" | grep -q 'every ring base equals its used index'; then
			pass "vhost-vdpa $args: suspended ring bases = used indices: $(echo "$bases" | sed 's/ (avail.*//' | oneline)"
		else
			fail "vhost-vdpa $args: suspended ring bases = used indices" "rc=$rc: $(echo "$out" | grep -E 'suspend|error' | tail -n 5 | oneline)"
		fi
		want "vhost-vdpa $args: nothing consumed while suspended" 'suspend: nothing consumed while suspended'
		want "vhost-vdpa $args: resume serves the buffers posted while suspended" 'resume: the buffers posted while suspended were served'
		want "vhost-vdpa $args: traffic continues after resume" 'resume: ARP request after the resume answered'
		if [ "$args" = "--suspend-test" ]; then
			queues_have "vhost-vdpa --suspend-test: vp_svq_queues after resume" "0 shadow resumed" "1 shadow resumed"
		fi
		if [ $rc = 0 ]; then pass "vhost-vdpa $args: client exit 0"; else fail "vhost-vdpa $args: client exit" "rc=$rc: $(echo "$out" | tail -n 1)"; fi
	done

	# A fresh device restored at RX 1000 / TX 300 before DRIVER_OK.
	dmesg_mark
	client_held /tmp/restore.out --restore 1000,300 "$1"
	echo "$out" | sed 's/^/client --restore 1000,300: /'
	want "vhost-vdpa --restore 1000,300: RX base set before DRIVER_OK reads back" 'vq 0 RX: VHOST_SET_VRING_BASE 1000 before DRIVER_OK, VHOST_GET_VRING_BASE reads 1000$'
	want "vhost-vdpa --restore 1000,300: TX base set before DRIVER_OK reads back" 'vq 1 TX: VHOST_SET_VRING_BASE 300 before DRIVER_OK, VHOST_GET_VRING_BASE reads 300$'
	want "vhost-vdpa --restore 1000,300: ARP through restored rings" 'ARP reply from'
	want "vhost-vdpa --restore 1000,300: TX used index continues from 300" 'vq 1 TX: used idx 3[0-9][0-9] = base 300 \+ [1-9][0-9]* used entr.*: continues from the base'
	want "vhost-vdpa --restore 1000,300: RX used index continues from 1000" 'vq 0 RX: used idx 10[0-9][0-9] = base 1000 \+ [1-9][0-9]* used entr.*: continues from the base'
	queues_have "vhost-vdpa --restore 1000,300: vp_svq_queues" "0 shadow restored" "1 shadow restored"
	if echo "$vst1" | grep -Eq ' shadow 1( |$)'; then
		pass "vhost-vdpa --restore 1000,300: vstats of TX say shadow 1 ($vst1)"
	else
		fail "vhost-vdpa --restore 1000,300: vstats of TX" "no 'shadow 1': $vst1"
	fi
	if [ $rc = 0 ]; then pass "vhost-vdpa --restore 1000,300: client exit 0"; else fail "vhost-vdpa --restore 1000,300: client exit" "rc=$rc: $(echo "$out" | tail -n 1)"; fi

	# Only the queue with a non-initial base is shadowed.
	dmesg_mark
	client_held /tmp/restore0.out --restore 1000,0 "$1"
	echo "$out" | sed 's/^/client --restore 1000,0: /'
	queues_have "vhost-vdpa --restore 1000,0: RX restored, TX (base 0) passthrough" "0 shadow restored" "1 passthrough"
	if [ $rc = 0 ]; then pass "vhost-vdpa --restore 1000,0: client exit 0 (used indexes continue from 1000 and 0)"; else fail "vhost-vdpa --restore 1000,0: client exit" "rc=$rc: $(echo "$out" | grep -E 'restore:|error|exit' | tail -n 4 | oneline)"; fi
	dmesg_mark
	client_held /tmp/plain.out "$1"
	queues_have "vhost-vdpa plain start: vp_svq_queues all passthrough" "0 passthrough" "1 passthrough"
	info "vhost-vdpa plain start: vstats RX: $vst0; TX: $vst1"
}

# --- 7. vhost-vdpa: the user-space client sends an ARP request ----------------
load_mod vhost_vdpa || fail "vhost_vdpa: load" "insmod failed"
dmesg_mark
# Autoprobe off so the new device binds to vhost_vdpa, not virtio_vdpa.
echo 0 >/sys/bus/vdpa/drivers_autoprobe
if run_ok "vhost-vdpa: dev add vdpa0 on pci/$BDF0" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0"; then
	echo vhost_vdpa >/sys/bus/vdpa/devices/vdpa0/driver_override
	echo vdpa0 >/sys/bus/vdpa/drivers_probe
	if wait_for 10 ls /sys/bus/vdpa/devices/vdpa0/vhost-vdpa-*; then
		vhdev="/dev/$(basename /sys/bus/vdpa/devices/vdpa0/vhost-vdpa-*)"
		wait_for 5 test -c "$vhdev"
		pass "vhost-vdpa: vdpa0 bound to vhost_vdpa as $vhdev"
		if [ ! -x /bin/vdpa-client ]; then
			fail "vhost-vdpa: client ARP request/reply" "client missing (samples/vhost_vdpa_client did not build)"
		else
			out="$(timeout 120 /bin/vdpa-client "$vhdev" 2>&1)"
			rc=$?
			echo "$out" | sed 's/^/client: /'
			if [ $rc = 0 ] && echo "$out" | grep -q 'ARP reply'; then
				pass "vhost-vdpa: client got an ARP reply ($(echo "$out" | grep 'ARP reply' | head -n 1))"
			else
				fail "vhost-vdpa: client ARP request/reply" "rc=$rc: $(echo "$out" | tail -n 5 | oneline); dmesg: $(dmesg_new | tail -n 5 | oneline)"
			fi
			# QEMU's way: isolation probe, CVQ group in ASID 1, commands
			# acked per descriptor, data path in ASID 0.
			out="$(timeout 120 /bin/vdpa-client --cvq "$vhdev" 2>&1)"
			rc=$?
			echo "$out" | sed 's/^/client --cvq: /'
			for want in "CVQ isolated: group 1 \(data groups 0\)" \
				"SET_GROUP_ASID: group 1 .* asid 1" \
				"MAC_ADDR_SET acked OK" \
				"unknown class 9: .*VIRTIO_NET_ERR" \
				"2 x MAC_ADDR_SET.*|both acked OK" \
				"ARP reply from"; do
				if echo "$out" | grep -Eq -- "$want"; then
					pass "vhost-vdpa --cvq: $(echo "$out" | grep -E -- "$want" | tail -n 1 | sed 's/^\[[^]]*\] //')"
				else
					fail "vhost-vdpa --cvq: /$want/" "rc=$rc: $(echo "$out" | tail -n 4 | oneline)"
				fi
			done
			if [ $rc = 0 ]; then pass "vhost-vdpa --cvq: client exit 0"; else fail "vhost-vdpa --cvq: client exit" "rc=$rc"; fi
			# QEMU 8.2+'s order: vrings enabled after DRIVER_OK. QEMU's
			# NIC has RING_RESET, so the driver can do it and says so.
			out="$(timeout 120 /bin/vdpa-client -L "$vhdev" 2>&1)"
			rc=$?
			echo "$out" | sed 's/^/client -L: /'
			if [ $rc = 0 ] && echo "$out" | grep -q 'BACKEND_FEATURES: .*ENABLE_AFTER_DRIVER_OK' &&
				echo "$out" | grep -q 'ARP reply'; then
				pass "vhost-vdpa -L: ENABLE_AFTER_DRIVER_OK offered; vrings enabled after DRIVER_OK carry ARP"
			else
				fail "vhost-vdpa -L: vrings enabled after DRIVER_OK" "rc=$rc: $(echo "$out" | grep -E 'BACKEND|exit' | oneline)"
			fi
			# QEMU stops a device without SUSPEND by resetting it, then
			# asks each ring's base: the used index the ring shows.
			for args in "--reset-base" "--reset-base --cvq"; do
				# shellcheck disable=SC2086 # two words on purpose
				out="$(timeout 120 /bin/vdpa-client $args "$vhdev" 2>&1)"
				rc=$?
				echo "$out" | sed "s/^/client $args: /"
				bases="$(echo "$out" | grep 'VHOST_GET_VRING_BASE [0-9]*, used idx' | sed 's/^\[[^]]*\] //')"
				want=2
				[ "$args" = "--reset-base" ] || want=3
				if [ $rc = 0 ] && [ "$(echo "$bases" | grep -c ': equal$')" = $want ] &&
					echo "$out" | grep -q 'every ring base equals its used index'; then
					pass "vhost-vdpa $args: bases after a reset of the running device = used indices: $(echo "$bases" | sed 's/ (avail.*//' | oneline)"
				else
					fail "vhost-vdpa $args: bases after a reset of the running device" "rc=$rc: $(echo "$out" | grep -E 'reset-base|error|exit' | oneline); dmesg: $(dmesg_new | tail -n 3 | oneline)"
				fi
			done
			vhost_state_tests "$vhdev"
		fi
	else
		fail "vhost-vdpa: bind vdpa0 to vhost_vdpa" "no vhost-vdpa device; dmesg: $(dmesg_new | tail -n 5 | oneline)"
	fi
fi
dev_del_quiet vdpa0
echo 1 >/sys/bus/vdpa/drivers_autoprobe

# --- 8. PCI unbind with a vDPA device present and in use ----------------------
# unbind_check NAME BDF VDPA: unbind vp_svq from BDF while VDPA exists.
unbind_check() {
	dmesg_mark
	timeout 60 sh -c "echo $2 >/sys/bus/pci/drivers/vp_svq/unbind"
	_rc=$?
	_oops="$(dmesg_new | grep -E "$OOPS_RE" | head -n 3 | oneline)"
	if [ $_rc != 0 ]; then
		fail "$1" "unbind rc=$_rc (124: hung for 60 s); dmesg: $(dmesg_new | tail -n 5 | oneline)"
	elif [ -n "$_oops" ]; then
		fail "$1" "kernel complained: $_oops"
	elif mgmtdev_exists "$2"; then
		fail "$1" "mgmtdev pci/$2 still listed"
	elif vdpa_dev_exists "$3"; then
		fail "$1" "$3 still exists"
	else
		pass "$1 (unbind returned, mgmtdev and $3 gone, no oops)"
	fi
}
if run_ok "unbind: dev add vdpa1 max_vqp 2 on pci/$BDF1" vdpa dev add name vdpa1 mgmtdev "pci/$BDF1" max_vqp 2; then
	if wait_for 15 vdpa_netdev vdpa1; then
		ifq="$(vdpa_netdev vdpa1)"
	else
		# Still unbind: a device without a netdev must go away as well.
		fail "unbind: vdpa1 virtio_net interface" "none after 15 s"
		ifq=none
	fi
	/bin/ip addr add "$ADDR/24" dev "$ifq" 2>/dev/null
	/bin/ip link set "$ifq" up 2>/dev/null
	# Keep the interface busy while the function goes away.
	ping -i 0.2 -W 1 "$PEER" >/dev/null 2>&1 &
	pinger=$!
	sleep 2
	unbind_check "unbind vp_svq from $BDF1 while virtio_net ($ifq) runs traffic" "$BDF1" vdpa1
	kill $pinger 2>/dev/null
	wait $pinger 2>/dev/null
	if [ "$ifq" != none ]; then
		if vdpa_netdev vdpa1 >/dev/null 2>&1 || [ -e "/sys/class/net/$ifq" ]; then
			fail "unbind: $ifq removed" "interface still present"
		else
			pass "unbind: $ifq removed"
		fi
	fi
	# The function can be bound again and serve a new device.
	dmesg_mark
	echo "$BDF1" >/sys/bus/pci/drivers_probe 2>/dev/null
	if mgmtdev_exists "$BDF1" && run_ok "rebind: dev add on pci/$BDF1 after unbind/rebind" \
		vdpa dev add name vdpa1 mgmtdev "pci/$BDF1"; then
		if wait_for 15 vdpa_netdev vdpa1; then
			pass "rebind: vdpa1 has a virtio_net interface again"
		else
			fail "rebind: vdpa1 virtio_net interface" "none after 15 s"
		fi
	else
		fail "rebind: $BDF1 to vp_svq" "mgmtdev missing; dmesg: $(dmesg_new | tail -n 3 | oneline)"
	fi
fi
# Second case: a device bound to vhost_vdpa (not opened).
echo 0 >/sys/bus/vdpa/drivers_autoprobe
if run_ok "unbind: dev add vdpa0 on pci/$BDF0 for vhost_vdpa" vdpa dev add name vdpa0 mgmtdev "pci/$BDF0"; then
	echo vhost_vdpa >/sys/bus/vdpa/devices/vdpa0/driver_override
	echo vdpa0 >/sys/bus/vdpa/drivers_probe
	unbind_check "unbind vp_svq from $BDF0 while vdpa0 is bound to vhost_vdpa" "$BDF0" vdpa0
fi
echo 1 >/sys/bus/vdpa/drivers_autoprobe

# --- 9. a hostile vhost-vdpa client -------------------------------------------
# Each case of "vdpa-client --hostile CASE" on a fresh vdpa0 on $BDF0 bound to
# vhost_vdpa. The client checks what it sees itself and ends with
# "hostile CASE: ok (...)"; this step checks what only the host sees: the
# client exits in bounded time, the kernel log since the case began (no
# BUG/WARNING/Oops, the case's own lines), vstats and dev del answer in
# bounded time. A client or command that does not return means the driver
# hangs: the device is left alone and the later cases are not run. That is
# why this step comes last, and cvq-indirect0 (a hang without its defence)
# last of all.

# bounded SECS OUT CMD...: CMD in the background, output to OUT, at most SECS
# seconds. Sets $rc (124 when it did not return: it is left behind, a
# process stuck in the kernel cannot be killed anyway).
bounded() {
	_s="$1" _o="$2"
	shift 2
	"$@" >"$_o" 2>&1 &
	_p=$!
	_t=$((_s * 10))
	while [ "$_t" -gt 0 ] && kill -0 "$_p" 2>/dev/null; do
		sleep 0.1
		_t=$((_t - 1))
	done
	if kill -0 "$_p" 2>/dev/null; then
		kill -9 "$_p" 2>/dev/null
		rc=124
	else
		wait "$_p"
		rc=$?
	fi
}
# vp_svq_lines: the kernel log lines from vp_svq since the last dmesg_mark.
vp_svq_lines() { dmesg_new | grep -c 'vp_svq'; }
# hostile_stat QIDX NAME: one counter of "vdpa dev vstats" for vdpa0, within
# 10 s; empty when vstats does not answer.
hostile_stat() {
	bounded 10 /tmp/hostile.vst vdpa dev vstats show vdpa0 qidx "$1"
	[ $rc = 0 ] && oneline </tmp/hostile.vst | sed -n "s/.* $2 \([0-9]*\).*/\1/p"
}
# hostile_case CASE [DEVICE_FEATURES]: one case, its checks and the device's
# removal. Returns 1 when the driver hung (nothing more should touch it).
hostile_case() {
	_case="$1" _feat="${2:-}"
	if ! run_ok "hostile $_case: dev add vdpa0 on pci/$BDF0${_feat:+ device_features $_feat}" \
		vdpa dev add name vdpa0 mgmtdev "pci/$BDF0" ${_feat:+device_features "$_feat"}; then
		return 0
	fi
	echo vhost_vdpa >/sys/bus/vdpa/devices/vdpa0/driver_override
	echo vdpa0 >/sys/bus/vdpa/drivers_probe
	if ! wait_for 10 ls /sys/bus/vdpa/devices/vdpa0/vhost-vdpa-*; then
		fail "hostile $_case: bind vdpa0 to vhost_vdpa" "no vhost-vdpa device"
		dev_del_quiet vdpa0
		return 0
	fi
	_vh="/dev/$(basename /sys/bus/vdpa/devices/vdpa0/vhost-vdpa-*)"
	wait_for 5 test -c "$_vh"
	dmesg_mark
	_args=""
	# avail-back holds the broken queue for 2 s: vstats are read meanwhile.
	[ "$_case" = avail-back ] && _args="--hold 2"
	# shellcheck disable=SC2086 # the arguments are words on purpose
	/bin/vdpa-client --hostile "$_case" $_args "$_vh" >/tmp/hostile.out 2>&1 &
	_pid=$!
	_vst="" _vsb=""
	if [ "$_case" = avail-back ] && wait_held 60 "$_pid" /tmp/hostile.out; then
		_vst="$(hostile_stat 0 shadow_avail)"
		_vsb="$(hostile_stat 0 shadow_broken)"
	fi
	_t=600
	while [ "$_t" -gt 0 ] && kill -0 "$_pid" 2>/dev/null; do
		sleep 0.1
		_t=$((_t - 1))
	done
	if kill -0 "$_pid" 2>/dev/null; then
		_hung=1
		_crc="hung: $(cat "/proc/$_pid/wchan" 2>/dev/null)"
	else
		_hung=0
		wait "$_pid"
		_crc=$?
	fi
	out="$(cat /tmp/hostile.out)"
	echo "$out" | sed "s/^/client --hostile $_case: /"
	_line="$(echo "$out" | grep "hostile $_case: " | tail -n 1 | sed 's/^\[[^]]*\] //')"
	if [ "$_crc" = 0 ] && echo "$_line" | grep -q "^hostile $_case: ok"; then
		pass "$_line"
	elif [ $_hung = 1 ]; then
		fail "hostile $_case: client exits within 60 s" "$_crc: $(echo "$out" | tail -n 2 | oneline); dmesg: $(dmesg_new | grep -E 'vp_svq|blocked|lockup' | tail -n 3 | oneline)"
	else
		fail "hostile $_case: client" "rc=$_crc: ${_line:-$(echo "$out" | tail -n 3 | oneline)}"
	fi
	_oops="$(dmesg_new | grep -E "$OOPS_RE" | head -n 3 | oneline)"
	if [ -z "$_oops" ]; then
		pass "hostile $_case: no BUG, WARNING or Oops in dmesg"
	else
		fail "hostile $_case: dmesg" "$_oops"
	fi

	# What each defence shows outside the client.
	_n="$(vp_svq_lines)"
	case "$_case" in
	avail-back)
		if dmesg_new | grep -q 'vp_svq.* vq 0: .*stops until the device is reset'; then
			pass "hostile avail-back: dmesg says vq 0 is broken: $(dmesg_new | grep 'vp_svq.* vq 0: .*stops until' | head -n 1 | sed 's/^\[[^]]*\] //')"
		else
			fail "hostile avail-back: dmesg says vq 0 is broken" "no such line: $(dmesg_new | grep vp_svq | tail -n 3 | oneline)"
		fi
		if [ "$_vsb" = 1 ]; then
			pass "hostile avail-back: vstats of vq 0 while held: shadow_broken 1"
		else
			fail "hostile avail-back: vstats of vq 0 say shadow_broken 1" "shadow_broken '$_vsb'"
		fi
		# All the work a kick may do is the ring: 256 chains forwarded.
		if [ -n "$_vst" ] && [ "$_vst" -le 256 ]; then
			pass "hostile avail-back: vstats of vq 0 while broken: shadow_avail $_vst (at most the ring's 256)"
		else
			fail "hostile avail-back: vstats of vq 0 while broken" "shadow_avail '$_vst' (bound 256)"
		fi
		;;
	vq-not-negotiated)
		if dmesg_new | grep -q 'vp_svq.*vq 2'; then
			pass "hostile vq-not-negotiated: dmesg says why vq 2 is refused: $(dmesg_new | grep 'vp_svq.*vq 2' | head -n 1 | sed 's/^\[[^]]*\] //')"
		else
			fail "hostile vq-not-negotiated: dmesg says why vq 2 is refused" "no vp_svq line on vq 2: $(dmesg_new | grep vp_svq | tail -n 3 | oneline)"
		fi
		;;
	log-flood)
		if [ "$_n" -le 10 ]; then
			pass "hostile log-flood: $_n kernel log lines from vp_svq for 1000 SET_VRING_ENABLE (at most 10)"
		else
			fail "hostile log-flood: at most 10 kernel log lines from vp_svq" "$_n lines, e.g. $(dmesg_new | grep vp_svq | tail -n 1 | sed 's/^\[[^]]*\] //')"
		fi
		;;
	esac
	info "hostile $_case: $_n kernel log lines from vp_svq: $(dmesg_new | grep vp_svq | head -n 4 | sed 's/^\[[^]]*\] //' | oneline)"
	if [ $_hung = 1 ]; then
		fail "hostile $_case: vstats and dev del" "not tried: the client hangs in the driver"
		return 1
	fi

	# The driver still answers its administrator. After the client's
	# reset vstats may refuse (no features negotiated): it must answer.
	bounded 10 /tmp/hostile.vst vdpa dev vstats show vdpa0 qidx 2
	if [ $rc != 124 ]; then
		pass "hostile $_case: vstats answer (rc=$rc: $(oneline </tmp/hostile.vst))"
	else
		fail "hostile $_case: vstats answer within 10 s" "no answer"
		return 1
	fi
	bounded 10 /tmp/hostile.del vdpa dev del vdpa0
	if [ $rc = 0 ] && ! vdpa_dev_exists vdpa0; then
		pass "hostile $_case: dev del vdpa0 answers"
	else
		fail "hostile $_case: dev del vdpa0 within 10 s" "rc=$rc: $(oneline </tmp/hostile.del)"
		[ $rc = 124 ] && return 1
	fi
	return 0
}
if [ -x /bin/vdpa-client ]; then
	load_mod vhost_vdpa
	# Section 8 unbound $BDF0: driver_override still names vp_svq.
	echo "$BDF0" >/sys/bus/pci/drivers_probe 2>/dev/null
	if wait_for 10 mgmtdev_exists "$BDF0"; then
		echo 0 >/sys/bus/vdpa/drivers_autoprobe
		# VERSION_1 ACCESS_PLATFORM MAC STATUS CTRL_VQ CTRL_MAC_ADDR and
		# INDIRECT_DESC (28), which the default set leaves out.
		feat_indirect=0x310830020
		hung=""
		for hc in avail-back vq-not-negotiated asid-stale window log-flood cvq-indirect0; do
			if [ -n "$hung" ]; then
				fail "hostile $hc" "not run: the driver hangs since $hung"
				continue
			fi
			feat=""
			[ "$hc" = cvq-indirect0 ] && feat=$feat_indirect
			hostile_case "$hc" $feat || hung="$hc"
		done
		echo 1 >/sys/bus/vdpa/drivers_autoprobe
	else
		fail "hostile: rebind $BDF0 to vp_svq" "no mgmtdev pci/$BDF0"
	fi
else
	fail "hostile: client" "missing (samples/vhost_vdpa_client did not build)"
fi

# --- the kernel log as a whole ------------------------------------------------
bad="$(dmesg | grep -E "$OOPS_RE" | head -n 5)"
if [ -z "$bad" ]; then
	pass "dmesg: no BUG, Oops, WARNING or Call Trace"
else
	fail "dmesg: kernel complaints" "$(echo "$bad" | oneline)"
fi
echo "===== guest dmesg ====="
dmesg | grep -v vptest-mark-
echo "===== end of guest dmesg ====="
report "E2E-END"
