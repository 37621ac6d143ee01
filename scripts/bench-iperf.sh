#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iperf3 through vp_svq against virtio-pci, the QEMU half of "make bench".
#
# Builds vp_svq.ko and the initramfs, boots the guest with both
# virtio-net-pci functions on one QEMU hub (VP_HUB=1) and runs
# scripts/guest/bench-iperf.sh (vp.mode=bench): iperf3 from function A in
# one network namespace to function B in another, with A driven by
# virtio-pci, by vp_svq passing its data queues through, and by vp_svq
# shadowing them (force_shadow=1), alternated round by round in one boot.
# Prints every run, the median of each mode and the ratios to virtio-pci.
# Figures are printed, never judged; the exit status is non-zero when a run
# produced no figure or the guest did not finish. A mode the driver does not
# have yet is printed as "unsupported" and is not a failure.
#
# Heavyweight (a TCG guest on every core): run one at a time, e.g.
#   flock /tmp/vp_svq-qemu.lock scripts/bench-iperf.sh
#
# Environment:
#   BENCH_ROUNDS   runs per mode (default 7)
#   BENCH_SECS     seconds per run, iperf3 -t (default 5; plus 1 s omitted)
#   BENCH_WARMUP   seconds of an uncounted virtio-pci run first (default 3)
#   BENCH_REVERSE  1: iperf3 -R, B sends and A receives (default 0: A sends)
#   BENCH_IPERF_TIMEOUT  seconds for the whole guest (default from the above)
#   VP_QEMU_MEM    guest memory (lib.sh; default 1G)
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS="${BENCH_ROUNDS:-7}"
SECS="${BENCH_SECS:-5}"
WARMUP="${BENCH_WARMUP:-3}"
REVERSE="${BENCH_REVERSE:-0}"
for v in "$ROUNDS" "$SECS" "$WARMUP" "$REVERSE"; do
	[[ "$v" =~ ^[0-9]+$ ]] || die "BENCH_ROUNDS, BENCH_SECS, BENCH_WARMUP and BENCH_REVERSE take whole numbers"
done
if [ "$ROUNDS" -lt 1 ] || [ "$SECS" -lt 1 ]; then
	die "BENCH_ROUNDS and BENCH_SECS must be at least 1"
fi
OUTDIR="$VP_BUILD/bench-iperf"
# Own initramfs: the parameters are appended to it (below), and the e2e's
# copy stays as vp_build made it.
VP_INITRAMFS="$OUTDIR/initramfs.cpio.gz"
# Per run: driver changes and a ping (about 10 s under TCG) plus iperf3.
TIMEOUT="${BENCH_IPERF_TIMEOUT:-$((240 + WARMUP + 3 * ROUNDS * (SECS + 30)))}"

"$VP_ROOT/scripts/install-deps.sh"
mkdir -p "$OUTDIR"
vp_build

# The guest reads its parameters from /etc/bench-iperf.conf: a second
# archive appended to the initramfs (the kernel unpacks them in turn).
conf="$(mktemp -d "$OUTDIR/conf.XXXXXX")"
mkdir -p "$conf/etc"
printf 'ROUNDS=%s\nSECS=%s\nWARMUP=%s\nREVERSE=%s\n' "$ROUNDS" "$SECS" "$WARMUP" "$REVERSE" >"$conf/etc/bench-iperf.conf"
(cd "$conf" && printf '%s\n' etc etc/bench-iperf.conf | cpio -o -H newc --quiet) | gzip -1 >>"$VP_INITRAMFS"
rm -rf "$conf"

CONSOLE="$OUTDIR/console.log"
RESULTS="$OUTDIR/results.log"
rm -f "$CONSOLE" "$RESULTS" "$RESULTS.txt"

# vp_qemu runs QEMU inside VP_NS. On the hub there is no tap: an empty
# namespace will do. Namespaces of a killed run (pid gone) are removed.
for ns in $(ip netns list | awk '/^vpsvq-bench-[0-9]+/ {print $1}'); do
	kill -0 "${ns#vpsvq-bench-}" 2>/dev/null || ip netns del "$ns" || true
done
VP_NS="vpsvq-bench-$$"
trap vp_netns_down EXIT
ip netns add "$VP_NS"
ip -n "$VP_NS" link set lo up

log "booting the guest (hub, timeout ${TIMEOUT}s): $ROUNDS rounds of ${SECS}s per mode; console: $CONSOLE"
# TCG shares the host's cores with whatever else runs: the load averages
# tell how busy the host was.
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
start=$SECONDS
qrc=0
VP_HUB=1 vp_qemu bench "$TIMEOUT" "$CONSOLE" "$RESULTS" || qrc=$?
vp_netns_down
log "guest ran $((SECONDS - start))s, QEMU exit status $qrc"

touch "$RESULTS"
tr -d '\r' <"$RESULTS" >"$RESULTS.txt"
rc=0
if ! grep -qx 'BENCH-END' "$RESULTS.txt"; then
	log "the guest did not finish (QEMU exit status $qrc); console tail:"
	tail -n 40 "$CONSOLE" | tr -d '\r' >&2 || true
	rc=1
fi
# Without vp_svq.ko the guest reports its modes as unsupported: a failure
# here, not a driver that lacks them.
for part in $VP_BUILD_FAILED; do
	log "$part did not build (see $VP_BUILD/*-build.log)"
	[ "$part" != vp_svq.ko ] || rc=1
done
sed -n 's/^INFO: /bench: iperf3 info: /p' "$RESULTS.txt"
echo "bench: iperf3 info: host load average $load0 before the guest, $(cut -d' ' -f1-3 /proc/loadavg) after ($(nproc) CPUs)"

# median_of FORMAT: the median of the numbers on stdin, printed with the
# awk FORMAT ("" without any number).
median_of() {
	sort -g | awk -v f="$1" '{ v[NR] = $1 }
		END { if (NR) printf(f "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
# Every run, and the median of each mode.
declare -A med
for m in virtio-pci passthrough shadow; do
	runs="$(awk -v m="$m" '$1 == "RUN:" && $3 == m' "$RESULTS.txt")"
	unsup="$(sed -n "s/^UNSUPPORTED: $m //p" "$RESULTS.txt")"
	if [ -n "$unsup" ]; then
		echo "bench: iperf3 $m: unsupported ($unsup)"
		continue
	fi
	if [ -z "$runs" ]; then
		echo "bench: iperf3 $m: no runs"
		rc=1
		continue
	fi
	while read -r _ round _ mb why; do
		if [ "$mb" = none ]; then
			echo "bench: iperf3 run $round $m: no figure: $why"
			rc=1
		else
			echo "bench: iperf3 run $round $m: $mb Mbit/s${why:+ ($why)}"
		fi
	done <<<"$runs"
	figures="$(awk '$4 != "none" { print $4 }' <<<"$runs")"
	med[$m]="$(median_of %.1f <<<"$figures")"
	[ -z "${med[$m]}" ] ||
		echo "bench: iperf3 $m: median ${med[$m]} Mbit/s of $(grep -c . <<<"$figures") run(s)"
done
# The ratios to virtio-pci: of the medians, and the median of each round's
# own ratio (a round's runs are minutes closer in time than the rounds are,
# so a round slowed down by the host's load weighs less).
for pair in passthrough:0.97 shadow:0.85; do
	m="${pair%:*}" target="${pair#*:}"
	if grep -q "^UNSUPPORTED: $m " "$RESULTS.txt"; then
		echo "bench: iperf3 $m/virtio-pci = unsupported (target >= $target)"
		continue
	fi
	if [ -n "${med[$m]:-}" ] && [ -n "${med[virtio-pci]:-}" ]; then
		echo "bench: iperf3 $m/virtio-pci = $(awk -v a="${med[$m]}" -v b="${med[virtio-pci]}" \
			'BEGIN { printf("%.2f", b > 0 ? a / b : 0) }') (target >= $target)"
	else
		echo "bench: iperf3 $m/virtio-pci = no figure (target >= $target)"
	fi
	r="$(awk -v m="$m" '$1 == "RUN:" && $4 != "none" { v[$2, $3] = $4; n[$2] = 1 }
		END { for (k in n) if (v[k, m] != "" && v[k, "virtio-pci"] > 0) printf "%.2f\n", v[k, m] / v[k, "virtio-pci"] }' \
		"$RESULTS.txt" | sort -g)"
	[ -z "$r" ] ||
		echo "bench: iperf3 $m/virtio-pci round by round: median $(median_of %.2f <<<"$r") of $(tr '\n' ' ' <<<"$r" | sed 's/ $//')"
done
echo "bench: iperf3: $((SECONDS - start)) s; results: $RESULTS.txt"
exit "$rc"
