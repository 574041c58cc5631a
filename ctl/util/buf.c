// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "util/buf.h"

static bool file_sink(void *arg, const char *p, size_t n)
{
	return fwrite(p, 1, n, arg) == n;
}

void cgs_buf_init_sink(struct cgs_buf *b, cgs_buf_sink *sink, void *arg)
{
	b->f = NULL;
	b->sink = sink;
	b->arg = arg;
	b->p = b->own;
	b->cap = sizeof(b->own);
	b->len = 0;
	b->out = 0;
	b->error = false;
}

void cgs_buf_init(struct cgs_buf *b, FILE *f)
{
	cgs_buf_init_sink(b, file_sink, f);
	b->f = f;
}

void cgs_buf_init_mem(struct cgs_buf *b)
{
	b->f = NULL;
	b->sink = NULL;
	b->arg = NULL;
	b->p = NULL;
	b->cap = 0;
	b->len = 0;
	b->out = 0;
	b->error = false;
}

int cgs_buf_take(struct cgs_buf *b, char **text, size_t *len)
{
	int ret = 0;

	/* the NUL, and a buffer even when nothing was written */
	cgs_buf_ch(b, '\0');
	if (b->error) {
		free(b->p);
		*text = NULL;
		*len = 0;
		ret = -ENOMEM;
	} else {
		*text = b->p;
		*len = b->len - 1;
	}
	cgs_buf_init_mem(b);
	return ret;
}

/* @n bytes at @p to the sink, unless an earlier write failed. */
static void put_out(struct cgs_buf *b, const char *p, size_t n)
{
	if (n && !b->error && !b->sink(b->arg, p, n))
		b->error = true;
	b->out += n;
}

bool cgs_buf_flush(struct cgs_buf *b)
{
	if (!b->sink)
		return !b->error;
	put_out(b, b->p, b->len);
	b->len = 0;
	return !b->error;
}

/* Room for @n more bytes in memory; false, and the text dropped, if none. */
static bool grow(struct cgs_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : sizeof(b->own);
	char *p;

	if (b->error)
		return false;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		goto fail;
	b->p = p;
	b->cap = cap;
	return true;
fail:
	free(b->p);
	b->p = NULL;
	b->cap = 0;
	b->len = 0;
	b->error = true;
	return false;
}

void cgs_buf_put_slow(struct cgs_buf *b, const void *s, size_t n)
{
	if (!b->sink) {
		if (grow(b, n)) {
			memcpy(b->p + b->len, s, n);
			b->len += n;
		}
		return;
	}
	cgs_buf_flush(b);
	if (n > b->cap) {
		put_out(b, s, n);
		return;
	}
	memcpy(b->p, s, n);
	b->len = n;
}

char *cgs_buf_room_slow(struct cgs_buf *b, size_t n)
{
	if (!b->sink)
		grow(b, n);
	else if (cgs_buf_flush(b) && n > b->cap)
		b->error = true;	/* a caller's bug: more than promised */
	return b->error ? NULL : b->p + b->len;
}

/* "00" to "99", for two digits at a time. */
static const char pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* @v < 10^8 as exactly eight digits ending at @end, in 32-bit steps. */
static char *eight(char *end, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	memcpy(end - 2, pairs + 2 * (lo % 100), 2);
	memcpy(end - 4, pairs + 2 * (lo / 100), 2);
	memcpy(end - 6, pairs + 2 * (hi % 100), 2);
	memcpy(end - 8, pairs + 2 * (hi / 100), 2);
	return end - 8;
}

/*
 * The digits of @v, right-aligned to @end; where they start. Eight at a
 * time while @v needs 64 bits (counters in ns soon do), then two at a
 * time in 32 bits.
 */
static char *digits(char *end, uint64_t v)
{
	uint32_t w;

	while (v >= 100000000) {
		end = eight(end, v % 100000000);
		v /= 100000000;
	}
	for (w = v; w >= 100; w /= 100) {
		end -= 2;
		memcpy(end, pairs + 2 * (w % 100), 2);
	}
	if (w >= 10) {
		end -= 2;
		memcpy(end, pairs + 2 * w, 2);
	} else {
		*--end = '0' + w;
	}
	return end;
}

size_t cgs_fmt_u64(char *to, uint64_t v)
{
	char d[40], *s = digits(d + 40, v);

	/*
	 * At most 20 digits, made in the second half of d and copied with a
	 * fixed size, which the compiler inlines, from where they start.
	 */
	memcpy(to, s, 20);
	return d + 40 - s;
}

size_t cgs_fmt_secs(char *to, uint64_t ns)
{
	uint32_t frac = ns % 1000000000;
	size_t n = cgs_fmt_u64(to, ns / 1000000000);
	char d[10];

	if (!frac)
		return n;
	digits(d + 10, frac + 1000000000u);	/* nine digits after a "1" */
	d[0] = '.';
	memcpy(to + n, d, 10);
	n += 10;
	while (to[n - 1] == '0')
		n--;
	return n;
}

void cgs_buf_u64(struct cgs_buf *b, uint64_t v)
{
	char *to = cgs_buf_room(b, CGS_FMT_U64);

	if (to)
		b->len += cgs_fmt_u64(to, v);
}

void cgs_buf_secs(struct cgs_buf *b, uint64_t ns)
{
	char *to = cgs_buf_room(b, CGS_FMT_SECS);

	if (to)
		b->len += cgs_fmt_secs(to, ns);
}
