/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_UTIL_BUF_H
#define CGS_UTIL_BUF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * An output buffer written to its FILE in large pieces: what the JSON
 * writer and the exporter print goes through here, a copy per value
 * instead of a stdio call per character and a printf per number. Or to a
 * sink of the caller's, a piece of at most 64 KiB at a time (the
 * exporter's HTTP answer). Or, with neither, the whole text in memory,
 * grown by doubling.
 */
typedef bool cgs_buf_sink(void *arg, const char *p, size_t n);

struct cgs_buf {
	FILE *f;		/* the FILE, if any */
	cgs_buf_sink *sink;	/* where full pieces go; NULL: in memory */
	void *arg;
	char *p;		/* own, or the memory buffer */
	size_t cap;
	size_t len;
	size_t out;		/* bytes written out so far */
	bool error;		/* a write failed, or out of memory */
	char own[1 << 16];
};

void cgs_buf_init(struct cgs_buf *b, FILE *f);
/* A buffer whose pieces go to @sink(@arg, ...), which says if it took them. */
void cgs_buf_init_sink(struct cgs_buf *b, cgs_buf_sink *sink, void *arg);
/* An empty buffer in memory; cgs_buf_take() hands its text over. */
void cgs_buf_init_mem(struct cgs_buf *b);
/*
 * The text of a memory buffer (NUL-terminated, @len bytes without the
 * NUL), to be freed by the caller; the buffer is empty after. -ENOMEM, and
 * nothing to free, when it ran out of memory on the way.
 */
int cgs_buf_take(struct cgs_buf *b, char **text, size_t *len);
/* Where the next byte goes, counted from the first ever buffered. */
static inline size_t cgs_buf_pos(const struct cgs_buf *b)
{
	return b->out + b->len;
}
/* Writes what is buffered out (not fflush()); false on error. */
bool cgs_buf_flush(struct cgs_buf *b);
void cgs_buf_put_slow(struct cgs_buf *b, const void *s, size_t n);
/* @v in decimal. */
void cgs_buf_u64(struct cgs_buf *b, uint64_t v);
/* @ns as decimal seconds, exactly, without trailing zeros: "1.5". */
void cgs_buf_secs(struct cgs_buf *b, uint64_t ns);

/*
 * The same written at @to, which has room for CGS_FMT_U64 or
 * CGS_FMT_SECS bytes (more than the text: the tail is scratch); the
 * length of the text.
 */
#define CGS_FMT_U64	20
#define CGS_FMT_SECS	30
size_t cgs_fmt_u64(char *to, uint64_t v);
size_t cgs_fmt_secs(char *to, uint64_t ns);

static inline void cgs_buf_put(struct cgs_buf *b, const void *s, size_t n)
{
	if (n <= b->cap - b->len) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	} else {
		cgs_buf_put_slow(b, s, n);
	}
}

char *cgs_buf_room_slow(struct cgs_buf *b, size_t n);

/*
 * Where @n more bytes can be written directly, or NULL after an error
 * (also when @n is over 64 KiB with a FILE); the writer then adds what it
 * wrote to len.
 */
static inline char *cgs_buf_room(struct cgs_buf *b, size_t n)
{
	if (n <= b->cap - b->len)
		return b->p + b->len;
	return cgs_buf_room_slow(b, n);
}

static inline void cgs_buf_str(struct cgs_buf *b, const char *s)
{
	cgs_buf_put(b, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define cgs_buf_lit(b, s)	cgs_buf_put(b, "" s, sizeof(s) - 1)

static inline void cgs_buf_ch(struct cgs_buf *b, char c)
{
	if (b->len < b->cap)
		b->p[b->len++] = c;
	else
		cgs_buf_put_slow(b, &c, 1);
}

#endif
