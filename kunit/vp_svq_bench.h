/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vp_svq KUnit benchmarks (CONFIG_VP_SVQ_KUNIT_BENCH, "make bench"): one
 * latency sample per operation, and the figures printed from them on
 * "bench: " lines that scripts/bench.sh collects from the kernel log.
 * Benchmarks print figures and check function only: no time is judged.
 * A ratio compares against a baseline measured in the same run.
 */
#ifndef _VP_SVQ_BENCH_H
#define _VP_SVQ_BENCH_H

#include <kunit/test.h>

/**
 * struct vpb_samples - latency samples of one kind of operation
 * @name: what the figures are called on the bench: line ("device")
 * @ns: the samples, in nanoseconds
 * @n: samples recorded
 * @max: room in @ns
 */
struct vpb_samples {
	const char *name;
	u64 *ns;
	unsigned int n;
	unsigned int max;
};

/**
 * struct vpb_stats - what is printed of a set of samples
 * @n: samples
 * @min: the smallest
 * @median: the median
 * @p90: the 90th percentile (nearest rank)
 * @max: the largest
 */
struct vpb_stats {
	unsigned int n;
	u64 min;
	u64 median;
	u64 p90;
	u64 max;
};

int vpb_samples_init(struct kunit *test, struct vpb_samples *s,
		     const char *name, unsigned int max);
void vpb_add(struct vpb_samples *s, u64 ns);
void vpb_stats(struct vpb_samples *s, struct vpb_stats *st);
void vpb_print(struct kunit *test, const char *what, struct vpb_samples *s);
void vpb_print_ratio(struct kunit *test, const char *what,
		     struct vpb_samples *base, struct vpb_samples *s);

#endif /* _VP_SVQ_BENCH_H */
