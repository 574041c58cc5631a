// SPDX-License-Identifier: GPL-2.0
#include "util/buf.h"

void cgs_buf_init(struct cgs_buf *b, FILE *f)
{
	b->f = f;
	b->error = false;
	b->out = 0;
	b->len = 0;
}

bool cgs_buf_flush(struct cgs_buf *b)
{
	if (b->len && fwrite(b->p, 1, b->len, b->f) != b->len)
		b->error = true;
	b->out += b->len;
	b->len = 0;
	return !b->error;
}

void cgs_buf_put_slow(struct cgs_buf *b, const void *s, size_t n)
{
	cgs_buf_flush(b);
	if (n > sizeof(b->p)) {
		if (fwrite(s, 1, n, b->f) != n)
			b->error = true;
		b->out += n;
		return;
	}
	memcpy(b->p, s, n);
	b->len = n;
}

/* The digits of @v, right-aligned in @end's buffer; where they start. */
static char *digits(char *end, uint64_t v)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

void cgs_buf_u64(struct cgs_buf *b, uint64_t v)
{
	char d[20], *s = digits(d + sizeof(d), v);

	cgs_buf_put(b, s, d + sizeof(d) - s);
}

void cgs_buf_secs(struct cgs_buf *b, uint64_t ns)
{
	uint32_t frac = ns % 1000000000;
	char d[10];
	int n = sizeof(d);

	cgs_buf_u64(b, ns / 1000000000);
	if (!frac)
		return;
	d[0] = '.';
	for (int i = 9; i >= 1; i--) {
		d[i] = '0' + frac % 10;
		frac /= 10;
	}
	while (d[n - 1] == '0')
		n--;
	cgs_buf_put(b, d, n);
}
