// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: the fuzz suites' seeds, case count, batches, summary line
 * and watchdog (vp_svq_fuzz.h).
 */

#include <linux/moduleparam.h>

#include "vp_svq_fuzz.h"

static unsigned int fuzz_cases;
module_param(fuzz_cases, uint, 0444);
MODULE_PARM_DESC(fuzz_cases, "Cases each fuzz suite runs (default 0: the suite's own share, VFZ_SHADOW_CASES or VFZ_CVQ_CASES)");

static ulong fuzz_seed = 1;
module_param(fuzz_seed, ulong, 0444);
MODULE_PARM_DESC(fuzz_seed, "Seed of the fuzz suites' first case; case i uses fuzz_seed + i (default 1)");

/* Batches a run can have: fuzz_cases is capped at VFZ_BATCHES * VFZ_BATCH. */
#define VFZ_BATCHES		2000
/* A case that runs this long is reported while it runs. */
#define VFZ_WATCHDOG_MS		5000
/* Messages given to KUnit per run; the count covers every case. */
#define VFZ_REPORT_MAX		10

/* KUnit's parameters are pointers: one element per batch. */
static const unsigned int vfz_batches[VFZ_BATCHES];

static unsigned int vfz_total(unsigned int share)
{
	return min_t(unsigned int, fuzz_cases ?: share, VFZ_BATCHES * VFZ_BATCH);
}

/**
 * vfz_gen_params() - KUnit parameters: the batches of a run
 * @prev: the previous batch, NULL for the first
 * @desc: its description
 * @share: the suite's cases when fuzz_cases is 0
 *
 * Return: the next batch, or NULL after the last.
 */
const void *vfz_gen_params(const void *prev, char *desc, unsigned int share)
{
	const unsigned int *b = prev ? (const unsigned int *)prev + 1 : vfz_batches;
	unsigned int first = (b - vfz_batches) * VFZ_BATCH;

	/* One batch even for no case: the summary line is printed. */
	if (prev && first >= vfz_total(share))
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "cases %u-%u", first,
		 min(first + VFZ_BATCH, vfz_total(share)));
	return b;
}

static void vfz_watchdog(struct timer_list *t)
{
	struct vfz *f = container_of(t, struct vfz, watchdog);

	pr_err("fuzz %s: case seed %llu still runs after %u ms (replay: vp_svq_kunit.fuzz_seed=%llu vp_svq_kunit.fuzz_cases=1)\n",
	       f->target, f->case_seed, VFZ_WATCHDOG_MS, f->case_seed);
}

static void vfz_stop_watchdog(void *data)
{
	struct vfz *f = data;

	timer_delete_sync(&f->watchdog);
}

/**
 * vfz_begin() - start the batch the test's parameter names
 * @f: the batch
 * @test: the test, its parameter from vfz_gen_params()
 * @target: what is fuzzed ("shadow", "cvq")
 * @sum: the suite's totals, reset by its first batch
 * @share: the suite's cases when fuzz_cases is 0
 */
void vfz_begin(struct vfz *f, struct kunit *test, const char *target,
	       struct vfz_sum *sum, unsigned int share)
{
	unsigned int batch = (const unsigned int *)test->param_value - vfz_batches;

	memset(f, 0, sizeof(*f));
	f->test = test;
	f->target = target;
	f->sum = sum;
	f->seed = fuzz_seed;
	f->first = batch * VFZ_BATCH;
	f->cases = min(VFZ_BATCH, vfz_total(share) - min(f->first, vfz_total(share)));
	f->last = f->first + VFZ_BATCH >= vfz_total(share);
	if (!batch)
		memset(sum, 0, sizeof(*sum));
	timer_setup(&f->watchdog, vfz_watchdog, 0);
	/* Also when an assertion ends the test early. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vfz_stop_watchdog,
							f), 0);
	f->start = ktime_get();
}

/**
 * vfz_next() - seed the next case
 * @f: the batch
 *
 * Return: false when every case of the batch ran.
 */
bool vfz_next(struct vfz *f)
{
	if (f->done) {
		timer_delete_sync(&f->watchdog);
		f->sum->done++;
		if (f->bad)
			f->sum->violations++;
	}
	if (f->done == f->cases)
		return false;
	f->case_seed = f->seed + f->first + f->done++;
	prandom_seed_state(&f->rs, f->case_seed);
	f->bad = false;
	mod_timer(&f->watchdog, jiffies + msecs_to_jiffies(VFZ_WATCHDOG_MS));
	return true;
}

/**
 * vfz_violation() - the case running broke an invariant
 * @f: the batch
 * @fmt: which, printf style
 *
 * The test fails; the first VFZ_REPORT_MAX messages of a run name their
 * case's seed.
 */
void vfz_violation(struct vfz *f, const char *fmt, ...)
{
	va_list args;
	char buf[192];

	f->bad = true;
	/* vfz_end() fails the test for the cases left unreported. */
	if (f->sum->reported >= VFZ_REPORT_MAX)
		return;
	f->sum->reported++;
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	KUNIT_FAIL(f->test,
		   "fuzz %s: case seed %llu: %s (replay: vp_svq_kunit.fuzz_seed=%llu vp_svq_kunit.fuzz_cases=1)",
		   f->target, f->case_seed, buf, f->case_seed);
}

/**
 * vfz_end() - end the batch; after the last, print the suite's summary
 * @f: the batch
 */
void vfz_end(struct vfz *f)
{
	struct vfz_sum *sum = f->sum;
	s64 us = ktime_us_delta(ktime_get(), f->start);

	timer_delete_sync(&f->watchdog);
	sum->us += max_t(s64, us, 0);
	if (!f->last)
		return;
	kunit_info(f->test, "fuzz %s: %u cases, seed %llu, %u violations, %llu cases/s\n",
		   f->target, sum->done, f->seed, sum->violations,
		   sum->us ? div64_u64((u64)sum->done * USEC_PER_SEC, sum->us) : 0);
	KUNIT_EXPECT_EQ_MSG(f->test, sum->violations, 0,
			    "fuzz %s: cases that broke an invariant", f->target);
}
