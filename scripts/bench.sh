#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks of vp_svq ("make bench"): in UML against the KUnit device
# model, then iperf3 in a QEMU guest (scripts/bench-iperf.sh).
#
# The UML part runs scripts/kunit.sh (same kernel tree, same lock) with
# kunit/bench.config in its own build directory, .build/kunit/um-bench: the
# driver, the model and the benchmark suites (CONFIG_VP_SVQ_KUNIT_BENCH),
# without KASAN, lockdep or kmemleak. Only the benchmark suites run. Prints
# the "bench: " lines of the kernel log, then a summary. Figures are
# printed, never judged; the exit status is non-zero when a benchmark's
# functional checks fail or no figure came out (in either part).
# kunit/README ("Benchmarks") says what each figure includes.
#
# The iperf3 part compares vp_svq (passthrough and shadow data queues)
# with virtio-pci on the same function; README.md ("Benchmarks"). It boots
# a TCG guest for several minutes: run one at a time, e.g.
#   flock /tmp/vp_svq-qemu.lock make bench
#
# Environment:
#   BENCH_FILTER   kunit.py filter_glob (default 'vp_svq_bench*')
#   BENCH_IPERF    0 skips the iperf3 part (default 1); BENCH_ROUNDS,
#                  BENCH_SECS, BENCH_WARMUP: see scripts/bench-iperf.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

BUILD_DIR="$VP_BUILD/kunit/um-bench"
OUT="$BUILD_DIR.out"
KLOG="$BUILD_DIR/test.log"

mkdir -p "$VP_BUILD/kunit"
# A stale log must not pass for this run's.
rm -f "$KLOG"
start=$SECONDS
rc=0
log "building and running the benchmarks in $BUILD_DIR (kunit.py output: $OUT)"
KUNIT_BUILD_DIR="$BUILD_DIR" KUNIT_CONFIG="$VP_ROOT/kunit/bench.config" \
	KUNIT_FILTER="${BENCH_FILTER:-vp_svq_bench*}" \
	"$VP_ROOT/scripts/kunit.sh" >"$OUT" || rc=$?

lines=""
[ ! -e "$KLOG" ] || lines="$(grep -ao 'bench: .*' "$KLOG" | tr -d '\r' || true)"
if [ -n "$lines" ]; then
	printf '%s\n' "$lines"
else
	log "no bench: lines in $KLOG; the end of $OUT:"
	tail -n 30 "$OUT" >&2 || true
fi
n="$(grep -c . <<<"$lines" || true)"
echo "bench: $n lines in $((SECONDS - start)) s; functional checks: $(tail -n 1 "$OUT")"
[ "$n" -gt 0 ] || rc=1

if [ "${BENCH_IPERF:-1}" != 0 ]; then
	"$VP_ROOT/scripts/bench-iperf.sh" || rc=1
else
	log "BENCH_IPERF=0: iperf3 part skipped"
fi
[ "$rc" -eq 0 ]
