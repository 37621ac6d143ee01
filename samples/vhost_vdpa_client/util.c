// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *prefix = "";

void log_prefix(const char *p)
{
	prefix = p ? p : "";
}

double now_sec(void)
{
	static double start = -1.0;

	if (start < 0)
		start = mono();
	return mono() - start;
}

void say(const char *fmt, ...)
{
	va_list ap;

	printf("[%8.3f] %s", now_sec(), prefix);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "[%8.3f] %serror: ", now_sec(), prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void str_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!len)
		return;
	va_start(ap, fmt);
	if (*used < len)
		n = vsnprintf(buf + *used, len - *used, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}
