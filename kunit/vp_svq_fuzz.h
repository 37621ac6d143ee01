/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vp_svq KUnit: what the fuzz suites (fuzz_shadow.c, fuzz_cvq.c) share.
 *
 * A run is fuzz_cases cases (or the suite's share), in batches of at most VFZ_BATCH (one KUnit
 * parameter each, with a device of its own, so that no test case runs
 * into KUnit's timeout). Case i draws everything it does from its own
 * seed, fuzz_seed + i, and starts from a device just reset, so it replays
 * alone: vp_svq_kunit.fuzz_seed=<its seed> vp_svq_kunit.fuzz_cases=1.
 */
#ifndef _VP_SVQ_FUZZ_H
#define _VP_SVQ_FUZZ_H

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/prandom.h>
#include <linux/timer.h>

#define VFZ_BATCH	5000
/*
 * The share "make kunit" runs (fuzz_cases=0): about 50 s for the shadow
 * (its cases take 2.5 ms here) and 35 s for the CVQ (8 ms: a command the
 * device acks costs a poll period of the driver).
 */
#define VFZ_SHADOW_CASES	20000
#define VFZ_CVQ_CASES		4000

/**
 * struct vfz_sum - a suite's run, over its batches
 * @done: cases run
 * @violations: cases that broke an invariant
 * @us: time the batches took
 * @reported: messages given to KUnit (the first few only)
 */
struct vfz_sum {
	unsigned int done;
	unsigned int violations;
	u64 us;
	unsigned int reported;
};

/**
 * struct vfz - one batch of a fuzz run
 * @test: the test
 * @target: what is fuzzed, for the messages
 * @sum: the suite's totals
 * @seed: the run's seed (fuzz_seed)
 * @first: the batch's first case
 * @cases: cases in the batch
 * @done: cases of the batch run
 * @last: the batch is the run's last
 * @case_seed: the seed of the case running
 * @rs: its random state
 * @bad: the case running broke an invariant
 * @start: when the batch started
 * @watchdog: says which case runs for too long (a hang keeps the test
 *	thread from ever reporting it)
 */
struct vfz {
	struct kunit *test;
	const char *target;
	struct vfz_sum *sum;
	u64 seed;
	unsigned int first;
	unsigned int cases;
	unsigned int done;
	bool last;
	u64 case_seed;
	struct rnd_state rs;
	bool bad;
	ktime_t start;
	struct timer_list watchdog;
};

const void *vfz_gen_params(const void *prev, char *desc, unsigned int share);
void vfz_begin(struct vfz *f, struct kunit *test, const char *target,
	       struct vfz_sum *sum, unsigned int share);
bool vfz_next(struct vfz *f);
void vfz_end(struct vfz *f);
void vfz_violation(struct vfz *f, const char *fmt, ...) __printf(2, 3);

/* A uniformly drawn u32. */
static inline u32 vfz_u32(struct vfz *f)
{
	return prandom_u32_state(&f->rs);
}

/* A number below @n (@n > 0). */
static inline u32 vfz_below(struct vfz *f, u32 n)
{
	return vfz_u32(f) % n;
}

/* True with @pct percent probability. */
static inline bool vfz_chance(struct vfz *f, u32 pct)
{
	return vfz_below(f, 100) < pct;
}

static inline u64 vfz_u64(struct vfz *f)
{
	return (u64)vfz_u32(f) << 32 | vfz_u32(f);
}

#endif /* _VP_SVQ_FUZZ_H */
