#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# `make e2e-qemu` inside the test guest (vp.mode=e2e-qemu): Debian's QEMU 7.2
# as the vhost-vdpa client of a small nested guest, on vp_svq.
#
# Both virtio-net-pci functions of the test guest sit on one QEMU hub with
# the user-mode network (VP_HUB=1), so each reaches 10.0.2.2. Each gets a
# vDPA device bound to vhost_vdpa, both provisioned with the nested guest's
# MAC. A nested QEMU (-M pc -bios qboot.rom, the minimal kernel and busybox
# initramfs under /nested) runs on /dev/vhost-vdpa of the first; its guest
# pings 10.0.2.2 once per round and prints NESTED-PING-OK/FAIL lines on its
# serial port. QEMU is driven through QMP on a pipe (-chardev pipe).
#
# Scenarios, each with its own nested QEMU(s):
# - plain (-netdev vhost-vdpa as is): traffic through vp_svq; a migration to
#   a second QEMU (-incoming) on the second vDPA device is tried (QEMU 7.2
#   refuses it: its message is quoted as INFO); QMP stop must log no
#   "ring restore failed"; after cont the device's rings restart at the
#   indices QEMU saved and the nested guest pings again.
# - svq: source and destination with x-svq=on, the option QEMU's blocker
#   leaves. If QEMU names feature bits its SVQ cannot shadow, both vDPA
#   devices are created again without them. The nested guest migrates and
#   keeps pinging; the destination's virtqueues hold the migrated indices.
# - svq-to-plain: source x-svq=on, destination without SVQ (a migration
#   blocker binds only the source), so the destination's device rings
#   themselves must start at the migrated indices (VHOST_SET_VRING_BASE).
# Each step prints "PASS: ..." or "FAIL: ...: why"; the host counts them.
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

T=30			# seconds for any single command
GW=10.0.2.2
NADDR=10.0.2.16		# the nested guest's address (the test guest uses none)
NMAC=52:54:00:ab:cd:01	# the nested guest's MAC, provisioned on both devices
NMEM=64M
BOOT_TMO=240		# 3 nested ping replies (about 20 s here)
MIG_TMO=120		# migration to complete (1 to 2 s here)
AFTER_TMO=90		# 2 more replies after cont or migration
QTMO=1500		# hard bound on any nested QEMU's life
W=/tmp/nq
mkdir -p "$W"
# The QEMU under test: Debian's 7.2, then bookworm-backports' under
# /opt/qemu-bpo (its firmware in its own data directory, -L). Its NIC gets
# mac=$NICMAC (none when empty); the vDPA devices get mac $PROV_MAC at
# `vdpa dev add` (none when empty).
QEMU=qemu-system-x86_64 QEMU_L="" QV=7.2
SETBASE=vhost_vdpa_set_vring_base
NICMAC="$NMAC" PROV_MAC="$NMAC"
BPO=/opt/qemu-bpo

now() { cut -d. -f1 /proc/uptime; }
T0="$(now)"

end() {
	bad="$(dmesg | grep -E "$OOPS_RE" | head -n 5)"
	if [ -z "$bad" ]; then
		pass "dmesg: no BUG, Oops, WARNING or Call Trace"
	else
		fail "dmesg: kernel complaints" "$(echo "$bad" | oneline)"
	fi
	info "test guest steps took $(($(now) - T0))s"
	echo "===== guest dmesg ====="
	dmesg | grep -v vptest-mark-
	echo "===== end of guest dmesg ====="
	report "E2E-END"
	exit 0
}

# --- the nested QEMU ----------------------------------------------------------
# qemu_start NAME VHOSTDEV NETDEV_EXTRA [INCOMING]: start a nested QEMU in
# the background; with INCOMING it waits for a migration and stays paused
# after it (-S), so the migrated state can be read before it runs. Files
# under $W/NAME: serial.log (the nested console), stderr.log (QEMU's
# messages and its vhost_vdpa trace), qmp.log (QMP).
qemu_start() {
	_n="$1" _d="$W/$1"
	rm -rf "$_d"
	mkdir -p "$_d"
	mkfifo "$_d/qmp.in" "$_d/qmp.out"
	# Drain QEMU's side of the pipe for the whole run; QEMU opens both
	# ends read-write, so nothing blocks and no end-of-file is seen.
	cat "$_d/qmp.out" >"$_d/qmp.log" &
	echo $! >"$_d/cat.pid"
	set -- -M pc -accel tcg -m "$NMEM" -smp 1 -nodefaults -no-user-config \
		-display none ${QEMU_L:+-L "$QEMU_L"} \
		-bios "${QEMU_L:-/usr/share/qemu}/qboot.rom" \
		-kernel /nested/bzImage -initrd /nested/initramfs.cpio.gz \
		-append "console=ttyS0 panic=-1 nested.addr=$NADDR nested.gw=$GW" \
		-serial "file:$_d/serial.log" \
		-chardev "pipe,id=qmp,path=$_d/qmp" -mon chardev=qmp,mode=control \
		-netdev "vhost-vdpa,vhostdev=$2,id=n0$3" \
		-device "virtio-net-pci,id=nic0,netdev=n0,disable-legacy=on,romfile=${NICMAC:+,mac=$NICMAC}" \
		-trace vhost_vdpa_get_vring_base -trace "$SETBASE" \
		-trace vhost_vdpa_dev_start -trace vhost_vdpa_reset_device \
		${QEMU_L:+-trace vhost_vdpa_set_address_space_id} \
		${4:+-S -incoming "$4"}
	echo "$QEMU $*" >"$_d/cmdline"
	# busybox timeout execs QEMU in this process: $! is QEMU's pid.
	timeout -s KILL "$QTMO" "$QEMU" "$@" >"$_d/stdout.log" 2>"$_d/stderr.log" &
	echo $! >"$_d/pid"
	qmp "$_n" '{"execute":"qmp_capabilities"}' >/dev/null
}
qemu_alive() { kill -0 "$(cat "$W/$1/pid")" 2>/dev/null; }

# qmp NAME JSON [SECONDS]: send one QMP command, print the first answer
# ("return" or "error") that follows it. Returns 1 without an answer.
qmp() {
	_d="$W/$1"
	_off="$(wc -c <"$_d/qmp.log")"
	echo "$2" >"$_d/qmp.in"
	_t=$((${3:-$T} * 10))
	while [ "$_t" -gt 0 ]; do
		_r="$(tail -c +$((_off + 1)) "$_d/qmp.log" | grep -E '"(return|error)"' | head -n 1)"
		if [ -n "$_r" ]; then
			echo "$_r" | tr -d '\r'
			return 0
		fi
		qemu_alive "$1" || break
		sleep 0.1
		_t=$((_t - 1))
	done
	echo "(no QMP answer)"
	return 1
}

# qemu_quit NAME: QMP stop, then quit; kill if it does not exit in $T s.
qemu_quit() {
	_d="$W/$1"
	if qemu_alive "$1"; then
		qmp "$1" '{"execute":"stop"}' >/dev/null
		qmp "$1" '{"execute":"quit"}' >/dev/null
		wait_for "$T" sh -c "! kill -0 $(cat "$_d/pid") 2>/dev/null" ||
			{ info "$1: QEMU did not quit within ${T}s; killed"; kill -9 "$(cat "$_d/pid")" 2>/dev/null; }
	fi
	kill "$(cat "$_d/cat.pid")" 2>/dev/null
	return 0
}

# The nested console without CRs.
serial() { [ -f "$W/$1/serial.log" ] && tr -d '\r' <"$W/$1/serial.log"; }
# count_ok NAME: the NESTED-PING-OK lines so far.
count_ok() { serial "$1" | grep -c '^NESTED-PING-OK' || true; }
# wait_ok NAME MIN SECONDS: wait until the console holds more than MIN
# NESTED-PING-OK lines, or QEMU died.
wait_ok() {
	_t=$(($3 * 2))
	while [ "$_t" -gt 0 ]; do
		[ "$(count_ok "$1")" -gt "$2" ] && return 0
		qemu_alive "$1" || return 1
		# Progress on the console (not a result) every 30 s.
		[ $((_t % 60)) = 0 ] && echo "e2e-qemu: $1: waiting; nested console: $(serial "$1" | tail -n 1)"
		sleep 0.5
		_t=$((_t - 1))
	done
	return 1
}
# QEMU's messages other than its trace lines.
qemu_msgs() { grep -v '^vhost_vdpa_' "$W/$1/stderr.log" 2>/dev/null; }
# trace_num NAME EVENT INDEX: num of the last EVENT trace line for INDEX.
trace_num() {
	sed -n "s/^$2 dev: [^ ]* index: $3 num: \([0-9]*\).*/\1/p" "$W/$1/stderr.log" | tail -n 1
}
# dump NAME: what went on in a nested QEMU, on the console only.
dump() {
	echo "----- $1: $(cat "$W/$1/cmdline")"
	echo "----- $1: stderr"
	tail -n 30 "$W/$1/stderr.log"
	echo "----- $1: qmp"
	tail -c 3000 "$W/$1/qmp.log"
	echo
	echo "----- $1: nested console (tail)"
	serial "$1" | tail -n 40
	echo "----- end of $1"
}

# vq_stat DEV QIDX NAME: one counter of `vdpa dev vstats`.
vq_stat() {
	timeout $T vdpa dev vstats show "$1" qidx "$2" 2>/dev/null |
		oneline | sed -n "s/.* $3 \([0-9]*\).*/\1/p"
}
# traffic DEV: kicks + interrupts the driver saw on data queues 0 and 1.
traffic() {
	_s=0
	for _q in 0 1; do
		for _n in kicks interrupts; do
			_v="$(vq_stat "$1" $_q $_n)"
			_s=$((_s + ${_v:-0}))
		done
	done
	echo "$_s"
}
# queues_info DEV BDF: the driver's view of each queue, for INFO lines.
queues_info() {
	_q="/sys/bus/pci/devices/$2/vp_svq_queues"
	[ -r "$_q" ] && echo "$_q: $(oneline <"$_q")"
	for _i in 0 1; do
		echo "vstats $1 qidx $_i: $(timeout $T vdpa dev vstats show "$1" qidx "$_i" 2>&1 | oneline)"
	done
}

# --- 0. QEMU, vp_svq, two vDPA devices on vhost_vdpa --------------------------
if [ -x /usr/bin/qemu-system-x86_64 ] && [ -f /nested/bzImage ]; then
	pass "setup: $(qemu-system-x86_64 --version | head -n 1) and the nested guest are in the initramfs"
else
	fail "setup: QEMU and the nested guest" "missing from the initramfs"
	end
fi
if ! load_mod vp_svq 2>/dev/null; then
	fail "setup: load vp_svq" "$( [ -f /etc/modules.d/vp_svq ] && echo 'insmod failed' || echo 'vp_svq.ko missing (did not build)')"
	end
fi
load_mod vhost_vdpa || { fail "setup: load vhost_vdpa" "insmod failed"; end; }
# shellcheck disable=SC2046 # one word per BDF
set -- $(virtio_net_bdfs)
BDF0="${1:-}" BDF1="${2:-}"
if [ -z "$BDF1" ]; then
	fail "setup: two virtio-net-pci functions" "found '$*'"
	end
fi
# vhost-vdpa pins the client's memory against RLIMIT_MEMLOCK, capability or
# not; the kernel's default (8 MiB) is less than the nested guest's RAM.
# shellcheck disable=SC3045 # busybox ash has ulimit -l
ulimit -l unlimited || info "setup: ulimit -l unlimited failed: memlock limit $(ulimit -l)"
dmesg_mark
echo 0 >/sys/bus/vdpa/drivers_autoprobe
# mkvhost NAME BDF [FEATURES]: bind BDF to vp_svq (unless it is), add vDPA
# device NAME with the nested guest's MAC (and device_features FEATURES),
# bind it to vhost_vdpa; echo its /dev/vhost-vdpa-N.
mkvhost() {
	if [ "$(basename "$(readlink "/sys/bus/pci/devices/$2/driver")")" != vp_svq ]; then
		timeout $T sh /guest/bind.sh "$2" vp_svq || return 1
	fi
	timeout $T vdpa dev add name "$1" mgmtdev "pci/$2" ${PROV_MAC:+mac "$PROV_MAC"} ${3:+device_features "$3"} || return 1
	echo vhost_vdpa >"/sys/bus/vdpa/devices/$1/driver_override"
	echo "$1" >/sys/bus/vdpa/drivers_probe
	wait_for 10 ls "/sys/bus/vdpa/devices/$1/"vhost-vdpa-* || return 1
	_v="/dev/$(basename "/sys/bus/vdpa/devices/$1/"vhost-vdpa-*)"
	wait_for 5 test -c "$_v" || return 1
	echo "$_v"
}
VH0="$(mkvhost vdpa0 "$BDF0")" && VH1="$(mkvhost vdpa1 "$BDF1")"
if [ -n "${VH0:-}" ] && [ -n "${VH1:-}" ]; then
	pass "setup: vdpa0 on $BDF0 as $VH0, vdpa1 on $BDF1 as $VH1 (vp_svq, vhost_vdpa, mac $NMAC)"
else
	fail "setup: two vDPA devices on vhost_vdpa" "dmesg: $(dmesg_new | tail -n 5 | oneline)"
	end
fi
info "vdpa0 config: $(timeout $T vdpa dev config show vdpa0 | oneline)"
# The features vdpa0 offers (its dev add line in dmesg).
dev_features() { dmesg | sed -n "s/.* $1: .*, features \(0x[0-9a-f]*\);.*/\1/p" | tail -n 1; }
FEAT0="$(dev_features vdpa0)"
info "vdpa0 offers features ${FEAT0:-?}"

# --- QEMU's view of the nested guest's virtqueues ------------------------------
NIC_PATH=/machine/peripheral/nic0/virtio-backend
# vq_idx NAME Q: "last_avail/used" of virtqueue Q as QEMU holds it. Only
# while the VM is stopped: with vhost running, QEMU would ask the device
# (GET_VRING_BASE) and so stop the queue.
vq_idx() {
	_r="$(qmp "$1" "{\"execute\":\"x-query-virtio-queue-status\",\"arguments\":{\"path\":\"$NIC_PATH\",\"queue\":$2}}")"
	_a="$(echo "$_r" | sed -n 's/.*"last-avail-idx": *\([0-9]*\).*/\1/p')"
	_u="$(echo "$_r" | sed -n 's/.*"used-idx": *\([0-9]*\).*/\1/p')"
	echo "${_a:-?}/${_u:-?}"
}
# restore_fails NAME: how many "ring restore failed" QEMU logged so far.
restore_fails() { qemu_msgs "$1" | grep -c 'ring restore failed' || true; }
# last_ok NAME / first_ok NAME: the round number of the last/first reply.
last_ok() { serial "$1" | sed -n 's/^NESTED-PING-OK \([0-9]*\).*/\1/p' | tail -n 1; }
first_ok() { serial "$1" | sed -n 's/^NESTED-PING-OK \([0-9]*\).*/\1/p' | head -n 1; }
# set_bases NAME: "vqI=N" for the last VHOST_SET_VRING_BASE QEMU made on
# data queues 0 and 1.
set_bases() {
	for _i in 0 1; do
		printf 'vq%s=%s ' "$_i" "$(trace_num "$1" "$SETBASE" "$_i")"
	done
}
# drv_queues BDF: the driver's view of its queues, if it has the file.
drv_queues() {
	[ -r "/sys/bus/pci/devices/$1/vp_svq_queues" ] &&
		echo "; vp_svq_queues: $(oneline <"/sys/bus/pci/devices/$1/vp_svq_queues")"
}
# base_ok "vq0=A vq1=B " LAST0/USED0 LAST1/USED1: each base is the ring's
# last_avail or used index.
base_ok() {
	_b0="${1#vq0=}" _b0="${_b0%% *}" _b1="${1##*vq1=}" _b1="${_b1%% *}"
	{ [ "$_b0" = "${2%/*}" ] || [ "$_b0" = "${2#*/}" ]; } &&
		{ [ "$_b1" = "${3%/*}" ] || [ "$_b1" = "${3#*/}" ]; } && [ -n "$_b0" ] && [ -n "$_b1" ]
}
# vhost_ok NAME FROM_LINE: QEMU logged no vhost failure after line
# FROM_LINE of its messages (a refused base is traced all the same).
vhost_ok() { ! qemu_msgs "$1" | tail -n +$(($2 + 1)) | grep -Eq 'vhost.*(fail|unable)'; }
# started_ok NAME FROM_LINE BDF: vhost_ok, and the driver, if it says,
# runs both data queues from the (non-initial) bases it was given.
started_ok() {
	vhost_ok "$1" "$2" || return 1
	[ -r "/sys/bus/pci/devices/$3/vp_svq_queues" ] || return 0
	grep -q '^0 shadow restored' "/sys/bus/pci/devices/$3/vp_svq_queues" &&
		grep -q '^1 shadow restored' "/sys/bus/pci/devices/$3/vp_svq_queues"
}
# stop_check NAME LABEL: QMP stop; PASS if QEMU logged no (new) "ring
# restore failed" while stopping the device.
stop_check() {
	_b="$(restore_fails "$1")"
	_gn="$(grep -c '^vhost_vdpa_get_vring_base' "$W/$1/stderr.log")"
	qmp "$1" '{"execute":"stop"}' >/dev/null
	sleep 1
	_g="$(grep '^vhost_vdpa_get_vring_base' "$W/$1/stderr.log" | tail -n +$((_gn + 1)) | sed 's/.*index: \([0-9]*\) num: \([0-9]*\).*/vq\1=\2/' | oneline)"
	if [ "$(restore_fails "$1")" = "$_b" ]; then
		pass "$2: QEMU stopped the device, no 'ring restore failed' (${_g:+GET_VRING_BASE: }${_g:-SVQ: QEMU asks the device for no ring base})"
	else
		fail "$2: QEMU stopped the device without 'ring restore failed'" "$(qemu_msgs "$1" | grep 'ring restore failed' | oneline)"
	fi
}

# boot NAME VHOSTDEV NETDEV_EXTRA TAG: start the source QEMU and wait for
# 3 replies. Returns 2 when QEMU refused to start (message in $EARLY).
boot() {
	_tr0="$(traffic "$(vdev_of "$2")")"
	_bt="$(now)"
	qemu_start "$1" "$2" "$3"
	sleep 3
	if ! qemu_alive "$1"; then
		EARLY="$(qemu_msgs "$1" | oneline)"
		info "$4: QEMU refused to start: \"$EARLY\""
		kill "$(cat "$W/$1/cat.pid")" 2>/dev/null
		return 2
	fi
	if wait_ok "$1" 2 "$BOOT_TMO"; then
		pass "$4: nested guest on $2 booted and pinged $GW ($(serial "$1" | grep -m1 '^NESTED-UP'); 3rd reply $(($(now) - _bt))s after QEMU started)"
	else
		fail "$4: nested guest pings $GW through $2" "not 3 replies within ${BOOT_TMO}s (QEMU $(qemu_alive "$1" && echo running || echo exited)); last console line: $(serial "$1" | tail -n 1); QEMU: $(qemu_msgs "$1" | tail -n 3 | oneline)"
		dump "$1"
		qemu_quit "$1"
		return 1
	fi
	_tr1="$(traffic "$(vdev_of "$2")")"
	if [ "$_tr1" -gt "$_tr0" ]; then
		pass "$4: the nested traffic went through vp_svq ($(vdev_of "$2") data queues: kicks+interrupts $_tr0 -> $_tr1)"
	else
		fail "$4: traffic through vp_svq" "$(vdev_of "$2") kicks+interrupts did not move ($_tr0 -> $_tr1)"
	fi
	return 0
}
# vdev_of VHOSTDEV: the vDPA device behind /dev/vhost-vdpa-N.
vdev_of() {
	for _v in /sys/bus/vdpa/devices/*; do
		[ -e "$_v/$(basename "$1")" ] && basename "$_v"
	done
	return 0
}
# swap_devs: the nested QEMUs run on the other function from now on.
swap_devs() {
	_t="$VH0" VH0="$VH1" VH1="$_t"
	_t="$BDF0" BDF0="$BDF1" BDF1="$_t"
}

# migrate SRC DST SOCK TAG: migrate SRC to DST (waiting on SOCK); echoes the
# final status: completed, failed, ... or "refused" (QEMU's message in
# $W/refused: callers run this in a command substitution).
migrate() {
	wait_for $T test -S "$3" || info "$4: the destination's socket $3 did not appear"
	qmp "$1" '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1073741824,"downtime-limit":2000}}' >/dev/null
	_r="$(qmp "$1" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:$3\"}}")"
	if echo "$_r" | grep -q '"error"'; then
		_m="$(echo "$_r" | sed -n 's/.*"desc": *"\([^"]*\)".*/\1/p')"
		echo "${_m:-$_r}" >"$W/refused"
		echo refused
		return 0
	fi
	_tm="$(now)"
	_st=""
	while [ $(($(now) - _tm)) -lt $MIG_TMO ]; do
		qmp "$1" '{"execute":"query-migrate"}' >"$W/query-migrate"
		_st="$(sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p' "$W/query-migrate")"
		case "$_st" in completed | failed | cancelled) break ;; esac
		qemu_alive "$1" || break
		sleep 1
	done
	echo "${_st:-none}"
}

# --- scenario plain -------------------------------------------------------------
# mac_check NAME TAG: the MAC the nested guest uses (its NESTED-UP line) is
# the one its vDPA device's config space shows, which vp_svq has the device
# filter on.
mac_check() {
	_g="$(serial "$1" | sed -n 's/^NESTED-UP [^ ]* [^ ]* \([0-9a-f:]*\) .*/\1/p' | head -n 1)"
	_c="$(timeout $T vdpa dev config show "$(vdev_of "$VH0")" | oneline | sed -n 's/.* mac \([0-9a-f:]*\).*/\1/p')"
	_q="$(qmp "$1" '{"execute":"query-rx-filter"}' | sed -n 's/.*"main-mac": *"\([0-9a-f:]*\)".*/\1/p')"
	_why="NIC mac=${NICMAC:-(none)}, vdpa dev add mac ${PROV_MAC:-(none)}; nested guest $_g, $(vdev_of "$VH0") config $_c, QEMU's rx-filter main-mac ${_q:-?}"
	if [ -n "$_g" ] && [ "$_g" = "$_c" ]; then
		pass "$2: the nested guest's MAC is the one vp_svq shows and filters on ($_why)"
	else
		fail "$2: the nested guest's MAC is the one vp_svq shows and filters on" "$_why"
	fi
}
# isolation_check NAME TAG: QEMU (8.1+) found the CVQ isolated and put its
# group (1) in its own address space (1).
isolation_check() {
	_a="$(grep '^vhost_vdpa_set_address_space_id' "$W/$1/stderr.log" | sed 's/.*vq_group: \([0-9]*\) asid: \([0-9]*\).*/group \1 asid \2/' | sort -u | oneline)"
	if echo "$_a" | grep -q 'group 1 asid 1'; then
		pass "$2: QEMU found the CVQ isolated and bound its group to ASID 1 (SET_GROUP_ASID: $_a)"
	else
		fail "$2: QEMU finds the CVQ isolated" "SET_GROUP_ASID: ${_a:-none}; QEMU: $(qemu_msgs "$1" | tail -n 3 | oneline)"
	fi
}

# scenario_plain [TAG [nomig [short]]]: with nomig no migration is tried
# (QEMU 10.0 would run it: scenario_migrate checks that); with short the
# scenario ends after the traffic and MAC checks.
scenario_plain() {
	tag="${1:-plain}" src="src-${1:-plain}" dst="dst-${1:-plain}"
	info "$tag: nested QEMU $QV on $VH0 with -netdev vhost-vdpa (no SVQ)"
	boot "$src" "$VH0" "" "$tag" || return 0
	mac_check "$src" "$tag"
	[ -n "$QEMU_L" ] && isolation_check "$src" "$tag"
	if [ -n "${3:-}" ]; then
		qemu_quit "$src"
		return 0
	fi
	queues_info "$(vdev_of "$VH0")" "$BDF0" | while read -r l; do info "$tag: $l"; done
	st=""
	if [ -z "${2:-}" ]; then
		qemu_start "$dst" "$VH1" "" "unix:$W/mig-$tag.sock"
		st="$(migrate "$src" "$dst" "$W/mig-$tag.sock" "$tag")"
		if [ "$st" = refused ]; then
			info "$tag: QEMU $QV refused to migrate: \"$(cat "$W/refused")\""
		else
			info "$tag: QEMU $QV migrated without SVQ (status '$st'); not checked further here"
		fi
		qemu_quit "$dst"
	fi
	if [ "$st" = completed ]; then
		qemu_quit "$src"
		return 0
	fi
	# QEMU stops the device: GET_VRING_BASE on each ring, then a reset.
	stop_check "$src" "$tag: stop"
	i0="$(vq_idx "$src" 0)" i1="$(vq_idx "$src" 1)"
	n="$(count_ok "$src")"
	m="$(qemu_msgs "$src" | wc -l)"
	qmp "$src" '{"execute":"cont"}' >/dev/null
	if wait_ok "$src" $((n + 1)) "$AFTER_TMO"; then
		pass "$tag: after stop/cont the nested guest pings again (reply $(last_ok "$src"))"
	else
		fail "$tag: pings after stop/cont" "no 2 more replies within ${AFTER_TMO}s; console: $(serial "$src" | tail -n 2 | oneline); QEMU: $(qemu_msgs "$src" | tail -n 3 | oneline)"
	fi
	# At cont QEMU sets each ring's base to the index it saved at stop.
	b="$(set_bases "$src")"
	if started_ok "$src" "$m" "$BDF0" && base_ok "$b" "$i0" "$i1" && [ "${i0%/*}${i1%/*}" != 00 ]; then
		pass "$tag: after cont the device's rings restart at the saved indices (SET_VRING_BASE $b; QEMU's last_avail/used at stop: vq0 $i0, vq1 $i1$(drv_queues "$BDF0"))"
	else
		fail "$tag: device rings at the saved indices after cont" "SET_VRING_BASE $b; QEMU's last_avail/used at stop: vq0 $i0, vq1 $i1$(drv_queues "$BDF0"); QEMU since cont: $(qemu_msgs "$src" | tail -n +$((m + 1)) | oneline)"
	fi
	queues_info "$(vdev_of "$VH0")" "$BDF0" | while read -r l; do info "$tag: after cont: $l"; done
	# Stopped again, if QEMU got the device running again at all.
	vhost_ok "$src" "$m" && stop_check "$src" "$tag: stop after cont"
	qemu_quit "$src"
	info "$tag: QEMU said: $(qemu_msgs "$src" | oneline)"
}

# --- migration scenarios -------------------------------------------------------
MIGRATED=""
# scenario_migrate TAG SRC_EXTRA DST_EXTRA: returns 2 if the source QEMU
# refused to start (message in $EARLY).
scenario_migrate() {
	tag="$1" src="src-$1" dst="dst-$1" sock="$W/mig-$1.sock"
	info "$tag: source on $VH0 with -netdev vhost-vdpa$2, destination (-incoming) on $VH1 with -netdev vhost-vdpa$3"
	rc=0
	boot "$src" "$VH0" "$2" "$tag" || rc=$?
	[ $rc = 0 ] || return $rc
	qemu_start "$dst" "$VH1" "$3" "unix:$sock"
	before="$(count_ok "$src")"
	tm="$(now)"
	st="$(migrate "$src" "$dst" "$sock" "$tag")"
	if [ "$st" != completed ]; then
		if [ "$st" = refused ]; then
			fail "$tag: migrate" "QEMU $QV refused: \"$(cat "$W/refused")\""
		else
			fail "$tag: migrate" "status '$st' after $(($(now) - tm))s"
			dump "$src"
			dump "$dst"
		fi
		qemu_quit "$dst"
		stop_check "$src" "$tag: stop"
		qemu_quit "$src"
		return 1
	fi
	downtime="$(sed -n 's/.*"downtime": *\([0-9]*\).*/\1/p' "$W/query-migrate")"
	info "$tag: migration completed in $(($(now) - tm))s after $before replies on the source; QEMU's downtime ${downtime:-?} ms"
	# The source stopped its device when the migration ended.
	if [ "$(restore_fails "$src")" = 0 ]; then
		pass "$tag: the source QEMU stopped the device at migration, no 'ring restore failed'"
	else
		fail "$tag: the source QEMU stopped the device without 'ring restore failed'" "$(qemu_msgs "$src" | grep 'ring restore failed' | oneline)"
	fi
	s0="$(vq_idx "$src" 0)" s1="$(vq_idx "$src" 1)"
	lastsrc="$(last_ok "$src")"
	qemu_quit "$src"
	# The destination, paused after the migration (-S): the state it got.
	d0="$(vq_idx "$dst" 0)" d1="$(vq_idx "$dst" 1)"
	if [ "$s0 $s1" = "$d0 $d1" ] && [ "${s0%/*}${s1%/*}" != 00 ]; then
		pass "$tag: the destination's virtqueues start at the migrated indices (last_avail/used: vq0 $d0, vq1 $d1)"
	else
		fail "$tag: the destination's virtqueues at the migrated indices" "source vq0 $s0, vq1 $s1; destination vq0 $d0, vq1 $d1"
	fi
	qmp "$dst" '{"execute":"cont"}' >/dev/null
	if wait_ok "$dst" 1 "$AFTER_TMO"; then
		if serial "$dst" | grep -q '^NESTED-UP' || [ "$(first_ok "$dst")" -le "${lastsrc:-0}" ]; then
			fail "$tag: migrate: the same nested guest runs on" "the destination's console: $(serial "$dst" | head -n 3 | oneline)"
		else
			pass "$tag: migrate: the nested guest kept its network (replies up to round $lastsrc on $VH0, from round $(first_ok "$dst") on $VH1)"
			info "$tag: figures: downtime ${downtime:-?} ms (query-migrate), ping rounds lost $(($(first_ok "$dst") - ${lastsrc:-0} - 1))"
			MIGRATED="$MIGRATED $tag"
		fi
	else
		fail "$tag: migrate: nested guest pings after migration" "not 2 replies on $VH1 within ${AFTER_TMO}s; console: $(serial "$dst" | tail -n 2 | oneline); QEMU: $(qemu_msgs "$dst" | tail -n 3 | oneline)"
		dump "$dst"
	fi
	b="$(set_bases "$dst")"
	case "$3" in
	*x-svq=on*)
		info "$tag: the destination device's rings are QEMU's shadow rings: SET_VRING_BASE $b"
		;;
	*)
		# QEMU sets each ring's last_avail index, or its used index when
		# it hands in-flight buffers back to the guest (vhost-vdpa does).
		if started_ok "$dst" 0 "$BDF1" && base_ok "$b" "$d0" "$d1"; then
			pass "$tag: the destination device's rings start at the migrated indices (SET_VRING_BASE $b; migrated last_avail/used vq0 $d0, vq1 $d1$(drv_queues "$BDF1"))"
		else
			fail "$tag: the destination device's rings at the migrated indices" "SET_VRING_BASE $b, migrated last_avail/used vq0 $d0, vq1 $d1$(drv_queues "$BDF1"); destination QEMU: $(qemu_msgs "$dst" | tail -n 3 | oneline)"
		fi
		;;
	esac
	queues_info vdpa1 "$BDF1" | while read -r l; do info "$tag: destination: $l"; done
	vhost_ok "$dst" 0 && stop_check "$dst" "$tag: destination stop"
	qemu_quit "$dst"
	info "$tag: source QEMU said: $(qemu_msgs "$src" | oneline)"
	info "$tag: destination QEMU said: $(qemu_msgs "$dst" | oneline)"
	return 0
}

# recreate FEATURES: both vDPA devices again, offering FEATURES.
recreate() {
	timeout $T vdpa dev del vdpa0
	timeout $T vdpa dev del vdpa1
	if ! VH0="$(mkvhost vdpa0 "$BDF0" "$1")" || ! VH1="$(mkvhost vdpa1 "$BDF1" "$1")"; then
		fail "setup: vDPA devices with device_features $1" "dmesg: $(dmesg | tail -n 3 | oneline)"
		return 1
	fi
	info "vdpa0 ($VH0) and vdpa1 ($VH1) now offer $(dev_features vdpa0)"
}

EARLY=""
scenario_plain
rc=0
scenario_migrate svq ",x-svq=on" ",x-svq=on" || rc=$?
# QEMU 7.2's SVQ shadows fewer CVQ commands than the device offers; its
# message names the feature bits. Offer the devices without them.
bits="$(echo "$EARLY" | sed -n 's/.*vdpa svq does not work with features \(0x[0-9a-f]*\).*/\1/p')"
if [ $rc = 2 ] && [ -n "$bits" ] && [ -n "$FEAT0" ]; then
	feat="$(printf '0x%x' $((FEAT0 & ~bits)))"
	info "svq: offering device_features $feat (vdpa0's $FEAT0 without $bits, which QEMU 7.2's SVQ cannot shadow)"
	if recreate "$feat"; then
		rc=0
		scenario_migrate svq ",x-svq=on" ",x-svq=on" || rc=$?
	fi
fi
if [ $rc = 2 ]; then
	fail "svq: QEMU with x-svq=on" "refused to start: $EARLY"
else
	scenario_migrate svq-to-plain ",x-svq=on" "" || true
fi
if [ -n "$MIGRATED" ]; then
	pass "migrate: the nested guest migrated between the two vDPA devices with its network (scenarios:$MIGRATED)"
else
	fail "migrate" "no scenario migrated with the nested guest's network intact"
fi

# --- no MAC at vdpa dev add, none on QEMU's NIC -----------------------------
# QEMU writes its default MAC into the config space; the nested guest uses
# the one it reads there.
# On the second function: QEMU's default MAC is the first one's own.
PROV_MAC="" NICMAC=""
swap_devs
recreate "" && scenario_plain plain-nomac nomig
swap_devs
PROV_MAC="$NMAC" NICMAC="$NMAC"

# --- QEMU from bookworm-backports ----------------------------------------------
if [ -x "$BPO/bin/qemu-system-x86_64" ]; then
	QEMU="$BPO/bin/qemu-system-x86_64" QEMU_L="$BPO/share/qemu"
	QV="$("$QEMU" --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p')"
	SETBASE=vhost_vdpa_set_dev_vring_base
	pass "$QV: setup: $("$QEMU" --version | head -n 1) in $BPO"
	if recreate ""; then
		scenario_plain "$QV-plain" nomig
		MIGRATED=""
		scenario_migrate "$QV-migrate" "" "" || true
		[ -n "$MIGRATED" ] || fail "$QV-migrate" "x-svq=off migration did not keep the nested guest's network"
	fi
	PROV_MAC="" NICMAC=""
	swap_devs
	recreate "" && scenario_plain "$QV-plain-nomac" nomig
	swap_devs
	# mac= on the NIC, none at vdpa dev add (libvirt on an unprovisioned
	# device): the NIC's MAC is neither function's own.
	NICMAC="$NMAC"
	recreate "" && scenario_plain "$QV-plain-nicmac" nomig short
	PROV_MAC="$NMAC"
else
	fail "setup: QEMU from bookworm-backports" "$BPO/bin/qemu-system-x86_64 missing from the initramfs"
fi
end
