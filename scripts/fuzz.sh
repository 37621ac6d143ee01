#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The KUnit fuzz suites of vp_svq (vp_svq_fuzz_shadow, vp_svq_fuzz_cvq) with
# as many cases as asked, in the same UML build as scripts/kunit.sh. Prints
# each suite's "fuzz <target>: N cases, seed S, V violations, X cases/s" line
# and the seed of every failing case; the last line is kunit.sh's "N passed,
# M failed" (one test per batch of up to 5000 cases).
#
# Environment:
#   FUZZ_CASES  cases per suite (default 100000)
#   FUZZ_SEED   seed of the first case; case i uses FUZZ_SEED + i (default:
#               the clock, printed)
# Replay one case: FUZZ_CASES=1 FUZZ_SEED=<the case's seed> scripts/fuzz.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cases="${FUZZ_CASES:-100000}"
seed="${FUZZ_SEED:-$(date +%s)}"
[[ "$cases" =~ ^[0-9]+$ ]] || die "FUZZ_CASES=$cases is not a number"
[[ "$seed" =~ ^[0-9]+$ ]] || die "FUZZ_SEED=$seed is not a number"
log "fuzz: $cases cases per suite, seed $seed"

# kunit.py's run timeout: generous, at 50 cases/s at the least.
tmo=$((600 + 2 * cases / 50))
rc=0
KUNIT_FILTER='vp_svq_fuzz*' \
	KUNIT_KERNEL_ARGS="vp_svq_kunit.fuzz_cases=$cases vp_svq_kunit.fuzz_seed=$seed" \
	KUNIT_RUN_TIMEOUT="$tmo" KUNIT_TIMEOUT="$((tmo + 1800))" \
	"$VP_ROOT/scripts/kunit.sh" || rc=$?
klog="${KUNIT_BUILD_DIR:-$VP_BUILD/kunit/um}/test.log"
grep -ahoE 'fuzz [a-z]+: case seed [0-9]+: .*' "$klog" >&2 || true
exit "$rc"
