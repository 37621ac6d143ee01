# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the guest scripts (busybox ash), sourced by e2e.sh and demo.sh.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

# Kernel command-line parameters the host passes: vp.KEY=VALUE.
cmdline_get() {
	read -r _cl </proc/cmdline
	for _a in $_cl; do
		case "$_a" in
		"vp.$1="*) echo "${_a#vp."$1"=}"; return 0 ;;
		esac
	done
	return 1
}

# Results go to the console and, for the e2e harness, to a dedicated serial
# port (ttyS1, a file on the host) so that kernel messages on the console can
# never break a result line apart.
RESULTS=/dev/null
if [ "$(cmdline_get results || true)" = ttyS1 ] && [ -c /dev/ttyS1 ]; then
	stty -F /dev/ttyS1 raw -echo 2>/dev/null || true
	RESULTS=/dev/ttyS1
fi
report() {
	echo "$*"
	echo "$*" >>"$RESULTS"
}
pass() { report "PASS: $1"; }
# fail NAME WHY
fail() { report "FAIL: $1: $2"; }
info() { report "INFO: $*"; }

# Collapse a command's output to one line for a result message.
oneline() { tr '\n\t' '  ' | sed 's/  */ /g; s/ $//'; }

# Load a module and its dependencies, in the order the host's modprobe gave
# (see scripts/mkinitramfs.sh). Already-loaded modules are skipped.
load_mod() {
	_list="/etc/modules.d/$1"
	[ -f "$_list" ] || { echo "load_mod: no module list for $1" >&2; return 1; }
	while read -r _ko; do
		_name="$(basename "$_ko" .ko | tr '-' '_')"
		[ -d "/sys/module/$_name" ] && continue
		insmod "$_ko" || return 1
	done <"$_list"
}

# dmesg since the last dmesg_mark: a marker written to /dev/kmsg, so the ring
# buffer can be cleared by nobody and still be read incrementally.
DMARK=0
dmesg_mark() {
	DMARK=$((DMARK + 1))
	echo "vptest-mark-$DMARK" >/dev/kmsg
}
dmesg_new() {
	dmesg | sed -n "/vptest-mark-$DMARK\$/,\$p" | sed 1d
}
# The pattern that means the kernel hit a bug, a warning or an oops.
# shellcheck disable=SC2034 # used by the scripts that source this
OOPS_RE='BUG:|Oops|WARNING:|Call Trace'

# virtio-pci net functions (vendor 0x1af4, modern net device 0x1041), BDFs.
virtio_net_bdfs() {
	for _d in /sys/bus/pci/devices/*; do
		[ "$(cat "$_d/vendor")" = 0x1af4 ] && [ "$(cat "$_d/device")" = 0x1041 ] && basename "$_d"
	done
	return 0
}
# The MAC of the netdev of a PCI function while virtio-pci drives it.
pci_netdev() {
	for _n in /sys/bus/pci/devices/"$1"/virtio*/net/*; do
		[ -e "$_n" ] && basename "$_n" && return 0
	done
	return 1
}
# The netdev virtio_net created on a vDPA device. virtio_vdpa parents its
# virtio device to the vDPA device's DMA device: the vDPA device itself for
# a software parent, the PCI function (the vDPA device's own parent) for
# vp_svq. Look in both places.
vdpa_netdev() {
	_v="$(readlink -f "/sys/bus/vdpa/devices/$1")" || return 1
	for _n in "$_v"/virtio*/net/* "${_v%/*}"/virtio*/net/*; do
		[ -e "$_n" ] && basename "$_n" && return 0
	done
	return 1
}
# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	_t=$(($1 * 10))
	shift
	while [ "$_t" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}
