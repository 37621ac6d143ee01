// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit benchmarks: latency samples and the "bench: " lines printed
 * from them. Times are microseconds with one decimal; ratios are of
 * medians, with two decimals.
 */

#include <linux/math64.h>
#include <linux/sort.h>

#include "vp_svq_bench.h"

/* Room for one formatted figure, e.g. "123456.7 us". */
#define VPB_FIG_LEN	32

/**
 * vpb_samples_init() - room for @max samples
 * @test: the test; the memory is the test's
 * @s: the samples
 * @name: what the figures are called on the bench: lines
 * @max: samples at most
 *
 * Return: 0 or -ENOMEM.
 */
int vpb_samples_init(struct kunit *test, struct vpb_samples *s,
		     const char *name, unsigned int max)
{
	s->name = name;
	s->n = 0;
	s->max = max;
	s->ns = kunit_kmalloc_array(test, max, sizeof(*s->ns), GFP_KERNEL);
	return s->ns ? 0 : -ENOMEM;
}

/**
 * vpb_add() - record one sample; samples beyond the room are dropped
 * @s: the samples
 * @ns: the sample, in nanoseconds
 */
void vpb_add(struct vpb_samples *s, u64 ns)
{
	if (s->n < s->max)
		s->ns[s->n++] = ns;
}

static int vpb_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/**
 * vpb_stats() - sort the samples and take their figures
 * @s: the samples; sorted in place
 * @st: the figures, all 0 without samples
 */
void vpb_stats(struct vpb_samples *s, struct vpb_stats *st)
{
	unsigned int n = s->n;

	memset(st, 0, sizeof(*st));
	if (!n)
		return;
	sort(s->ns, n, sizeof(*s->ns), vpb_cmp, NULL);
	st->n = n;
	st->min = s->ns[0];
	st->max = s->ns[n - 1];
	st->median = n & 1 ? s->ns[n / 2] :
		     (s->ns[n / 2 - 1] + s->ns[n / 2]) / 2;
	/* Nearest rank: the ceil(0.9 n)-th smallest. */
	st->p90 = s->ns[(9 * n - 1) / 10];
}

static const char *vpb_us(char *buf, u64 ns)
{
	u32 tenth;
	u64 us = div_u64_rem(div_u64(ns + 50, 100), 10, &tenth);

	snprintf(buf, VPB_FIG_LEN, "%llu.%u us", us, tenth);
	return buf;
}

/* "12.3 us (p90 14.0 us, min 11.9 us)" */
static const char *vpb_figures(char *buf, size_t len,
			       const struct vpb_stats *st)
{
	char med[VPB_FIG_LEN], p90[VPB_FIG_LEN], min[VPB_FIG_LEN];

	snprintf(buf, len, "%s (p90 %s, min %s)", vpb_us(med, st->median),
		 vpb_us(p90, st->p90), vpb_us(min, st->min));
	return buf;
}

/**
 * vpb_print() - "bench: WHAT: NAME 12.3 us (p90 ..., min ...) (median of N)"
 * @test: the test
 * @what: the figure's name, e.g. "cvq latency"
 * @s: the samples; sorted
 */
void vpb_print(struct kunit *test, const char *what, struct vpb_samples *s)
{
	char fig[3 * VPB_FIG_LEN + 16];
	struct vpb_stats st;

	vpb_stats(s, &st);
	kunit_info(test, "bench: %s: %s %s (median of %u)\n", what, s->name,
		   vpb_figures(fig, sizeof(fig), &st), st.n);
}

/**
 * vpb_print_ratio() - figures of @s against a baseline, and the ratio of
 *	their medians: "bench: WHAT: BASE ..., NAME ..., ratio 1.27 (median
 *	of N)"
 * @test: the test
 * @what: the figure's name, e.g. "cvq latency"
 * @base: the baseline's samples; sorted
 * @s: the samples compared with it; sorted
 */
void vpb_print_ratio(struct kunit *test, const char *what,
		     struct vpb_samples *base, struct vpb_samples *s)
{
	char fb[3 * VPB_FIG_LEN + 16], fs[3 * VPB_FIG_LEN + 16];
	struct vpb_stats sb, ss;
	u64 ratio = 0;
	u32 frac;

	vpb_stats(base, &sb);
	vpb_stats(s, &ss);
	if (sb.median)
		ratio = div64_u64(ss.median * 100 + sb.median / 2, sb.median);
	ratio = div_u64_rem(ratio, 100, &frac);
	kunit_info(test, "bench: %s: %s %s, %s %s, ratio %llu.%02u (median of %u)\n",
		   what, base->name, vpb_figures(fb, sizeof(fb), &sb), s->name,
		   vpb_figures(fs, sizeof(fs), &ss), ratio, frac,
		   min(sb.n, ss.n));
}
