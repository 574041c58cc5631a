/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP 13 producer for the host unit tests. */
#ifndef CGSHARECTL_TAP_H
#define CGSHARECTL_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static void __attribute__((format(printf, 4, 5)))
tap_result(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (!tap_count && !tap_failed)
		printf("TAP version 13\n");
	tap_count++;
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
}

#define ok(cond, ...) tap_result(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_u64(got, want, name) do { \
	uint64_t g_ = (got), w_ = (want); \
	ok(g_ == w_, "%s", name); \
	if (g_ != w_) \
		printf("#   got %" PRIu64 ", want %" PRIu64 "\n", g_, w_); \
} while (0)

#define is_int(got, want, name) do { \
	long long g_ = (got), w_ = (want); \
	ok(g_ == w_, "%s", name); \
	if (g_ != w_) \
		printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)

#define is_str(got, want, name) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = g_ && w_ && !strcmp(g_, w_); \
	ok(same_, "%s", name); \
	if (!same_) \
		printf("#   got  '%s'\n#   want '%s'\n", g_ ? g_ : "(null)", \
		       w_ ? w_ : "(null)"); \
} while (0)

#define is_dbl(got, want, eps, name) do { \
	double g_ = (got), w_ = (want); \
	int near_ = g_ - w_ <= (eps) && w_ - g_ <= (eps); \
	ok(near_, "%s", name); \
	if (!near_) \
		printf("#   got %.9g, want %.9g\n", g_, w_); \
} while (0)

static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif
