/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the client's modules: log lines, time, strings. */
#ifndef VDPA_CLIENT_UTIL_H
#define VDPA_CLIENT_UTIL_H

#include <stddef.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

/* Seconds since the first call (monotonic clock). */
double now_sec(void);

/* Text after the timestamp of every later line ("A: "), "" for none. */
void log_prefix(const char *p);

/* One progress line on stdout: "[  1.234] <text>". */
__printf(1, 2) void say(const char *fmt, ...);

/* One error line on stderr: "[  1.234] error: <text>"; fmt has the newline. */
__printf(1, 2) void fail(const char *fmt, ...);

/*
 * snprintf at buf + *used, never past buf + len; *used counts what would
 * have been written, so truncation is detectable (*used >= len).
 */
__printf(4, 5)
void str_append(char *buf, size_t len, size_t *used, const char *fmt, ...);

#endif /* VDPA_CLIENT_UTIL_H */
