#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the vp_svq harness scripts. Source it; it sets no shell
# options of its own (the caller runs with set -euo pipefail).

# Repository root (this file lives in scripts/).
VP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Every cache and build artefact of the harness lives here (git-ignored).
VP_BUILD="$VP_ROOT/.build"
export VP_ROOT VP_BUILD

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Debian's 6.12 kernel release, e.g. 6.12.117+deb12-amd64. Found by globbing
# the installed image (the minor drifts with every point release); the newest
# one wins when several are installed.
vp_kver() {
	local f v best=""
	for f in /boot/vmlinuz-6.12*-amd64; do
		[ -e "$f" ] || continue
		v="${f#/boot/vmlinuz-}"
		[ -d "/lib/modules/$v" ] || continue
		best="$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)"
	done
	[ -n "$best" ] || die "no /boot/vmlinuz-6.12*-amd64 with modules: run scripts/install-deps.sh"
	printf '%s\n' "$best"
}

# Headers directory matching vp_kver.
vp_kdir() {
	local d
	d="/usr/src/linux-headers-$(vp_kver)"
	[ -d "$d" ] || die "$d missing: run scripts/install-deps.sh"
	printf '%s\n' "$d"
}

# The newer `vdpa` tool (bookworm-backports iproute2, which ships it in /sbin),
# unpacked by install-deps.
VP_VDPA_TOOL="$VP_BUILD/iproute2-bpo/root/sbin/vdpa"
# Where the busybox initramfs ends up.
VP_INITRAMFS="$VP_BUILD/initramfs.cpio.gz"
export VP_VDPA_TOOL VP_INITRAMFS

# --- the QEMU guest ------------------------------------------------------------
# Test network. NIC 0 (slot 4) is on QEMU user-mode networking: gateway
# 10.0.2.2, guest 10.0.2.15, one queue pair. NIC 1 (slot 5) is backed by a
# 4-queue tap inside a network namespace the harness creates; the peer
# address sits on the tap there. Traffic only ever goes to these addresses.
VP_MAC0=52:54:00:12:34:56
VP_MAC1=52:54:00:12:34:57
VP_PEER=192.168.100.1
VP_GUEST_ADDR=192.168.100.2
VP_TAP=vptap0
VP_NS=""
VP_IPERF_PID=""
VP_QEMU_PID=""

# Build everything the guest needs: vp_svq.ko against Debian's 6.12 headers,
# the vhost-vdpa client, the initramfs. A part that does not build is left
# out of the initramfs (the guest then reports its steps as FAIL) and its
# name is appended to VP_BUILD_FAILED.
VP_BUILD_FAILED=""
vp_build() {
	local kdir ko="" client="" drv="$VP_ROOT/drivers/vdpa/vp_svq"
	kdir="$(vp_kdir)"
	mkdir -p "$VP_BUILD"
	if [ -e "$drv/Makefile" ] || [ -e "$drv/Kbuild" ]; then
		# Build a copy under .build/: the driver's own tree may be in the
		# middle of someone's build, and kbuild writes next to the sources.
		# The copy keeps the repository's layout: the driver finds the
		# shared headers at ../../../include.
		local top="$VP_BUILD/vp_svq-src" src="$VP_BUILD/vp_svq-src/drivers/vdpa/vp_svq"
		rm -rf "$top"
		mkdir -p "$src"
		cp -a "$drv"/. "$src"/
		cp -a "$VP_ROOT/include" "$top/"
		(cd "$src" && rm -f ./*.o ./*.ko ./*.mod ./*.mod.c ./.*.cmd ./modules.order ./Module.symvers)
		log "building vp_svq.ko against $kdir"
		if make -C "$VP_ROOT" module KDIR="$kdir" DRV_DIR="$src" >"$VP_BUILD/module-build.log" 2>&1; then
			ko="$src/vp_svq.ko"
		else
			tail -n 30 "$VP_BUILD/module-build.log" >&2
			VP_BUILD_FAILED+=" vp_svq.ko"
		fi
	else
		log "no driver sources in $drv yet"
		VP_BUILD_FAILED+=" vp_svq.ko"
	fi
	if [ -e "$VP_ROOT/samples/vhost_vdpa_client/Makefile" ]; then
		log "building the vhost-vdpa client"
		if make -C "$VP_ROOT" client >"$VP_BUILD/client-build.log" 2>&1 &&
			[ -x "$VP_ROOT/samples/vhost_vdpa_client/vdpa-client" ]; then
			client="$VP_ROOT/samples/vhost_vdpa_client/vdpa-client"
		else
			tail -n 30 "$VP_BUILD/client-build.log" >&2
			VP_BUILD_FAILED+=" vdpa-client"
		fi
	else
		log "no client sources in samples/vhost_vdpa_client yet"
		VP_BUILD_FAILED+=" vdpa-client"
	fi
	"$VP_ROOT/scripts/mkinitramfs.sh" ${ko:+-m "$ko"} ${client:+-c "$client"} -o "$VP_INITRAMFS"
}

# Network namespace with the multi-queue tap and the peer address, plus an
# iperf3 server bound to the peer address. Undone by vp_netns_down.
vp_netns_up() {
	local ns
	# Namespaces left by a harness that was killed (its pid is gone).
	for ns in $(ip netns list | awk '/^vpsvq-e2e-[0-9]+/ {print $1}'); do
		kill -0 "${ns#vpsvq-e2e-}" 2>/dev/null || ip netns del "$ns" || true
	done
	VP_NS="vpsvq-e2e-$$"
	ip netns add "$VP_NS"
	ip -n "$VP_NS" link set lo up
	# multi_queue: QEMU attaches one fd per queue pair (queues=4).
	ip -n "$VP_NS" tuntap add dev "$VP_TAP" mode tap multi_queue
	ip -n "$VP_NS" addr add "$VP_PEER/24" dev "$VP_TAP"
	ip -n "$VP_NS" link set "$VP_TAP" up
	# Bounded in time like everything else; killed by vp_netns_down.
	ip netns exec "$VP_NS" timeout 1200 iperf3 -s -B "$VP_PEER" >"$VP_BUILD/iperf3-server.log" 2>&1 &
	VP_IPERF_PID=$!
}
vp_netns_down() {
	if [ -n "$VP_QEMU_PID" ] && kill -0 "$VP_QEMU_PID" 2>/dev/null; then
		kill "$VP_QEMU_PID" 2>/dev/null || true
		wait "$VP_QEMU_PID" 2>/dev/null || true
	fi
	if [ -n "$VP_IPERF_PID" ]; then
		kill "$VP_IPERF_PID" 2>/dev/null || true
		wait "$VP_IPERF_PID" 2>/dev/null || true
		VP_IPERF_PID=""
	fi
	if [ -n "$VP_NS" ]; then
		# Deleting the namespace destroys the tap inside it.
		ip netns del "$VP_NS" 2>/dev/null || true
		VP_NS=""
	fi
}

# vp_qemu MODE TIMEOUT CONSOLE RESULTS
# Boot the guest in the namespace (so QEMU can open the tap). CONSOLE is a
# file for ttyS0, or "stdio" to stream it; RESULTS a file for ttyS1 or "".
# Returns QEMU's exit status (124 when TIMEOUT seconds ran out).
# Environment: VP_QEMU_MEM guest memory (default 1G); VP_HUB=1 puts both
# functions on one hub with the user-mode network (no tap; the guest sees
# vp.hub=1) instead of one function on each.
vp_qemu() {
	local mode="$1" tmo="$2" console="$3" results="$4" kver
	kver="$(vp_kver)"
	local nic="disable-legacy=on,iommu_platform=on,ats=on,mq=on,ctrl_vq=on"
	local append="console=ttyS0 intel_iommu=on panic=1 loglevel=4 log_buf_len=8M"
	# slub_debug=U records who allocated every slab object: the add/del leak
	# check counts live objects whose allocation stack went through vp_svq.
	append+=" slub_debug=U vp.mode=$mode vp.mac0=$VP_MAC0 vp.mac1=$VP_MAC1"
	append+=" vp.peer=$VP_PEER vp.addr=$VP_GUEST_ADDR"
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	local args=(
		-M q35,kernel-irqchip=split -accel tcg -smp 2 -m "${VP_QEMU_MEM:-1G}"
		-device intel-iommu,intremap=off,caching-mode=on
		-kernel "/boot/vmlinuz-$kver" -initrd "$VP_INITRAMFS"
		-display none -monitor none -no-reboot
		# restrict=on: user-mode networking reaches nothing outside QEMU;
		# the gateway 10.0.2.2 (ping, ARP) is QEMU itself.
		-netdev user,id=u0,restrict=on
	)
	if [ "${VP_HUB:-0}" = 1 ]; then
		# Both functions and the user-mode network on one QEMU hub: each
		# function sees the other's frames and reaches 10.0.2.2.
		append+=" vp.hub=1"
		args+=(
			-netdev hubport,id=h0,hubid=0,netdev=u0
			-netdev hubport,id=h1,hubid=0
			-netdev hubport,id=h2,hubid=0
			-device "virtio-net-pci,netdev=h1,addr=0x4,mac=$VP_MAC0,$nic,vectors=4,host_mtu=1500"
			-device "virtio-net-pci,netdev=h2,addr=0x5,mac=$VP_MAC1,$nic,vectors=4,host_mtu=1500"
		)
	else
		args+=(
			-device "virtio-net-pci,netdev=u0,addr=0x4,mac=$VP_MAC0,$nic,vectors=4,host_mtu=1500"
			-netdev "tap,id=t0,ifname=$VP_TAP,script=no,downscript=no,queues=4,vhost=off"
			-device "virtio-net-pci,netdev=t0,addr=0x5,mac=$VP_MAC1,$nic,vectors=10,host_mtu=9000"
		)
	fi
	# What the console printed, also when it goes to the terminal: the
	# retry below reads it.
	local conlog="$console"
	if [ "$console" = stdio ]; then
		conlog="$VP_BUILD/$mode-console.log"
		rm -f "$conlog"
		args+=(-chardev "stdio,id=con0,logfile=$conlog" -serial chardev:con0)
	else
		args+=(-serial "file:$console")
	fi
	if [ -n "$results" ]; then
		args+=(-serial "file:$results")
		append+=" vp.results=ttyS1"
	fi
	args+=(-append "$append")
	local rc attempt
	for attempt in 1 2; do
		rc=0
		ip netns exec "$VP_NS" timeout --kill-after=10 "$tmo" qemu-system-x86_64 "${args[@]}" </dev/null &
		VP_QEMU_PID=$!
		wait "$VP_QEMU_PID" || rc=$?
		VP_QEMU_PID=""
		# Under TCG the guest kernel now and then panics while it boots,
		# before its init (scripts/guest/init) said a word, so before any
		# module or test ran (seen: an int3 Oops in sched_clock_cpu): such
		# a boot is booted once more. A panic after init started fails.
		[ "$attempt" = 1 ] && grep -q 'Kernel panic' "$conlog" 2>/dev/null &&
			! grep -q '^vp-guest: kernel' "$conlog" ||
			break
		cp "$conlog" "$conlog.panic"
		log "the guest panicked while booting, before its init ran (console kept in $conlog.panic): booting again"
	done
	return "$rc"
}
