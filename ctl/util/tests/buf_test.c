// SPDX-License-Identifier: GPL-2.0
/*
 * The output buffer: numbers against printf, seconds, a text in memory
 * grown past many doublings, and one to a FILE that spills past its own
 * space.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "util/buf.h"
#include "tests/tap.h"

static struct cgs_buf b;

/* What @fill writes to a memory buffer, taken. */
static char *text_of(void (*fill)(struct cgs_buf *, uint64_t), uint64_t v)
{
	char *text;
	size_t len;

	cgs_buf_init_mem(&b);
	fill(&b, v);
	if (cgs_buf_take(&b, &text, &len))
		return NULL;
	return text;
}

static void number(uint64_t v)
{
	char want[32], name[64], *got = text_of(cgs_buf_u64, v);

	snprintf(want, sizeof(want), "%" PRIu64, v);
	snprintf(name, sizeof(name), "cgs_buf_u64(%s)", want);
	is_str(got ? got : "(failed)", want, name);
	free(got);
}

static void secs(uint64_t ns, const char *want)
{
	char name[64], *got = text_of(cgs_buf_secs, ns);

	snprintf(name, sizeof(name), "cgs_buf_secs(%" PRIu64 ")", ns);
	is_str(got ? got : "(failed)", want, name);
	free(got);
}

int main(void)
{
	uint64_t p = 1;
	char *text, *want;
	size_t len, n = 0;
	FILE *f;

	number(0);
	number(UINT64_MAX);
	for (int i = 0; i < 20; i++, p *= 10) {
		number(p - 1);
		number(p);
		number(p + 1);
		number(p * 7 + 3);
	}

	secs(0, "0");
	secs(1, "0.000000001");
	secs(1000000000, "1");
	secs(1500000000, "1.5");
	secs(1000000010, "1.00000001");
	secs(123999999999, "123.999999999");
	secs(UINT64_MAX, "18446744073.709551615");

	/* 1,000,000 numbers of up to 20 digits, in memory: about 12 MB */
	cgs_buf_init_mem(&b);
	want = malloc(16 << 20);
	for (uint64_t i = 0; want && i < 1000000; i++) {
		uint64_t v = i * 0x9e3779b97f4a7c15ull >> (i % 64);

		n += sprintf(want + n, "%" PRIu64 "\n", v);
		cgs_buf_u64(&b, v);
		cgs_buf_ch(&b, '\n');
	}
	ok(!cgs_buf_take(&b, &text, &len), "a 12 MB text in memory is taken");
	ok(want && text && len == n && !memcmp(text, want, n) && !text[len],
	   "it holds every number, in order, and a NUL after");
	free(text);

	/* the same through a FILE: more than its own 64 KiB at once too */
	text = NULL;
	f = open_memstream(&text, &len);
	cgs_buf_init(&b, f);
	cgs_buf_put(&b, want, n / 2);
	cgs_buf_put(&b, want + n / 2, n - n / 2);
	ok(cgs_buf_flush(&b) && !fclose(f) && len == n && !memcmp(text, want, n),
	   "a FILE gets the same text");
	free(text);
	free(want);

	cgs_buf_init_mem(&b);
	ok(!cgs_buf_take(&b, &text, &len) && text && len == 0 && !*text,
	   "an empty memory buffer gives an empty string");
	free(text);
	return tap_done();
}
