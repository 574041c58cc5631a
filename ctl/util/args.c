// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/args.h"

/*
 * Reads "123" or "1.25" exactly: the digits as one integer and how many of
 * them follow the point. No floating point, so "0.1G" is what it says.
 */
static int parse_decimal(const char *s, uint64_t *mant, unsigned int *frac,
			 const char **end)
{
	bool point = false;
	unsigned int digits = 0;

	*mant = 0;
	*frac = 0;
	for (; *s; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			break;
		if (*mant > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		*mant = *mant * 10 + (*s - '0');
		digits++;
		if (point)
			(*frac)++;
	}
	*end = s;
	return digits ? 0 : -EINVAL;
}

/* mant / 10^frac * mult, rounded down; -ERANGE past 2^64 - 1. */
static int scale(uint64_t mant, unsigned int frac, uint64_t mult, uint64_t *out)
{
	unsigned __int128 v = (unsigned __int128)mant * mult;

	while (frac--)
		v /= 10;
	if (v > UINT64_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	uint64_t mult;
};

static int parse_scaled(const char *s, const struct unit *units,
			uint64_t dflt, uint64_t *out)
{
	const char *end;
	uint64_t mant;
	unsigned int frac;
	int ret;

	ret = parse_decimal(s, &mant, &frac, &end);
	if (ret)
		return ret;
	if (!*end)
		return scale(mant, frac, dflt, out);
	for (; units->name; units++)
		if (!strcasecmp(end, units->name))
			return scale(mant, frac, units->mult, out);
	return -EINVAL;
}

int parse_duration(const char *s, uint64_t *ns)
{
	static const struct unit units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000ull },
		{ "m", 60 * 1000000000ull },
		{ "h", 3600 * 1000000000ull },
		{ NULL, 0 }
	};

	return parse_scaled(s, units, 1000000000ull, ns);
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const struct unit units[] = {
		{ "b", 1 },
		{ "k", 1ull << 10 }, { "kb", 1ull << 10 }, { "kib", 1ull << 10 },
		{ "m", 1ull << 20 }, { "mb", 1ull << 20 }, { "mib", 1ull << 20 },
		{ "g", 1ull << 30 }, { "gb", 1ull << 30 }, { "gib", 1ull << 30 },
		{ "t", 1ull << 40 }, { "tb", 1ull << 40 }, { "tib", 1ull << 40 },
		{ "p", 1ull << 50 }, { "pb", 1ull << 50 }, { "pib", 1ull << 50 },
		{ NULL, 0 }
	};

	return parse_scaled(s, units, 1, bytes);
}

int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (x > (UINT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return 0;
}

void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%uB", (unsigned int)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* 1023.96K would print as "1024.0K": move up a unit instead. */
	if (v >= 999.95 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}
