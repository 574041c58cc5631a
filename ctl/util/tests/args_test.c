// SPDX-License-Identifier: GPL-2.0
/* Durations, sizes and human sizes. */
#include <errno.h>

#include "util/args.h"
#include "tests/tap.h"

/* @parse(@s) returns @want_ret and, when 0, the value @want. */
static void parsed(const char *kind, int (*parse)(const char *, uint64_t *),
		   const char *s, int want_ret, uint64_t want)
{
	uint64_t v = 0xdead;
	int ret = parse(s, &v);
	char name[96];

	snprintf(name, sizeof(name), "%s '%s' returns %d", kind, s, want_ret);
	is_int(ret, want_ret, name);
	if (!want_ret) {
		snprintf(name, sizeof(name), "%s '%s' value", kind, s);
		is_u64(v, want, name);
	}
}

static void duration(const char *s, int want_ret, uint64_t want)
{
	parsed("duration", parse_duration, s, want_ret, want);
}

static void size(const char *s, int want_ret, uint64_t want)
{
	parsed("size", parse_size, s, want_ret, want);
}

static void human(uint64_t v, const char *want)
{
	char buf[32], name[64];

	fmt_size(buf, sizeof(buf), v);
	snprintf(name, sizeof(name), "fmt_size(%llu)", (unsigned long long)v);
	is_str(buf, want, name);
}

int main(void)
{
	uint64_t v;

	duration("1", 0, 1000000000ull);
	duration("0.5", 0, 500000000ull);
	duration("2s", 0, 2000000000ull);
	duration("500ms", 0, 500000000ull);
	duration("250us", 0, 250000ull);
	duration("10ns", 0, 10);
	duration("1m", 0, 60000000000ull);
	duration("1.5h", 0, 5400000000000ull);
	duration("0.000000001", 0, 1);
	duration("1.", 0, 1000000000ull);
	duration(".25", 0, 250000000ull);
	duration("1MS", 0, 1000000ull);
	duration("", -EINVAL, 0);
	duration(".", -EINVAL, 0);
	duration("abc", -EINVAL, 0);
	duration("-1", -EINVAL, 0);
	duration("1x", -EINVAL, 0);
	duration("1e3", -EINVAL, 0);
	duration("1.2.3", -EINVAL, 0);
	duration("1 s", -EINVAL, 0);
	duration("99999999999999999999", -ERANGE, 0);
	duration("6000000h", -ERANGE, 0);

	size("4096", 0, 4096);
	size("1K", 0, 1024);
	size("1k", 0, 1024);
	size("512KiB", 0, 512 * 1024);
	size("2mb", 0, 2 << 20);
	size("1.5G", 0, 3ull << 29);
	size("0.1K", 0, 102);
	size("3T", 0, 3ull << 40);
	size("1P", 0, 1ull << 50);
	size("10B", 0, 10);
	size("16383P", 0, 16383ull << 50);
	size("16384P", -ERANGE, 0);
	size("17179869184G", -ERANGE, 0);
	size("1E", -EINVAL, 0);
	size("G", -EINVAL, 0);
	size("-1K", -EINVAL, 0);
	size("1KX", -EINVAL, 0);

	ok(!parse_u64("18446744073709551615", &v) && v == UINT64_MAX,
	   "u64 max parses");
	is_int(parse_u64("18446744073709551616", &v), -ERANGE, "u64 max + 1");
	is_int(parse_u64("", &v), -EINVAL, "empty u64");
	is_int(parse_u64("12a", &v), -EINVAL, "u64 with junk");

	human(0, "0B");
	human(1023, "1023B");
	human(1024, "1.0K");
	human(1536, "1.5K");
	human(10 * 1024, "10K");
	human(1023 * 1024 + 1000, "1.0M");
	human(3ull << 30, "3.0G");
	human(100ull << 20, "100M");
	human(UINT64_MAX, "16E");

	return tap_done();
}
