// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include <inttypes.h>

#include "render/json.h"
#include "util/utf8.h"

void json_init(struct json_writer *w, FILE *f, bool pretty)
{
	cgs_buf_init(&w->b, f);
	w->pretty = pretty;
	w->depth = 0;
	memset(w->first, 0, sizeof(w->first));
	w->first[0] = true;
	w->after_key = false;
	w->error = false;
}

static void indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	cgs_buf_ch(&w->b, '\n');
	for (int i = 0; i < w->depth; i++)
		cgs_buf_lit(&w->b, "  ");
}

/* Separator before a value or key at the current level. */
static void sep(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0) {
		if (!w->first[0])
			cgs_buf_ch(&w->b, '\n');
		w->first[0] = false;
		return;
	}
	if (!w->first[w->depth])
		cgs_buf_ch(&w->b, ',');
	w->first[w->depth] = false;
	indent(w);
}

static void nest_open(struct json_writer *w, char c)
{
	sep(w);
	cgs_buf_ch(&w->b, c);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		w->error = true;
		return;
	}
	w->depth++;
	w->first[w->depth] = true;
}

static void nest_close(struct json_writer *w, char c)
{
	if (w->depth == 0 || w->after_key) {
		w->error = true;
		return;
	}
	bool empty = w->first[w->depth];

	w->depth--;
	if (!empty)
		indent(w);
	cgs_buf_ch(&w->b, c);
	/* a whole value: out, in order with whatever else goes to the FILE */
	if (!w->depth)
		cgs_buf_flush(&w->b);
}

void json_obj_begin(struct json_writer *w) { nest_open(w, '{'); }
void json_obj_end(struct json_writer *w) { nest_close(w, '}'); }
void json_arr_begin(struct json_writer *w) { nest_open(w, '['); }
void json_arr_end(struct json_writer *w) { nest_close(w, ']'); }

/* Bytes a JSON string holds as they are: ASCII from ' ' on but " and \\. */
static const bool plain[256] = {
	[' ' ... '!'] = true,		/* '"' is 0x22 */
	['#' ... '['] = true,		/* '\\' is 0x5c */
	[']' ... 0x7f] = true,
};

static void escape_slow(struct cgs_buf *b, const unsigned char *s, size_t len)
{
	size_t i = 0, run;
	char u[8];

	cgs_buf_ch(b, '"');
	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		/* plain ASCII, the common case, a run at a time */
		for (run = i; run < len && plain[s[run]]; run++)
			;
		if (run > i) {
			cgs_buf_put(b, s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"':  cgs_buf_lit(b, "\\\""); i++; continue;
		case '\\': cgs_buf_lit(b, "\\\\"); i++; continue;
		case '\b': cgs_buf_lit(b, "\\b"); i++; continue;
		case '\f': cgs_buf_lit(b, "\\f"); i++; continue;
		case '\n': cgs_buf_lit(b, "\\n"); i++; continue;
		case '\r': cgs_buf_lit(b, "\\r"); i++; continue;
		case '\t': cgs_buf_lit(b, "\\t"); i++; continue;
		}
		if (c < 0x20) {
			snprintf(u, sizeof(u), "\\u%04x", c);
			cgs_buf_put(b, u, 6);
			i++;
			continue;
		}
		n = cgs_utf8_seq(s + i, len - i);
		if (!n) {
			cgs_buf_lit(b, "\\ufffd");
			i++;
			continue;
		}
		cgs_buf_put(b, s + i, n);
		i += n;
	}
	cgs_buf_ch(b, '"');
}

static void escape(struct cgs_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	char *p;

	/* keys and paths: short, and nothing to escape */
	if (len <= 4096) {
		while (i < len && plain[s[i]])
			i++;
		if (i == len) {
			p = cgs_buf_room(b, len + 2);
			if (!p)
				return;
			*p++ = '"';
			memcpy(p, s, len);
			p[len] = '"';
			b->len += len + 2;
			return;
		}
	}
	escape_slow(b, s, len);
}

void json_escape(FILE *f, const char *str, size_t len)
{
	static struct cgs_buf b;

	cgs_buf_init(&b, f);
	escape(&b, str, len);
	cgs_buf_flush(&b);
}

void json_member_u64(struct json_writer *w, const char *key, uint64_t v)
{
	size_t n = strlen(key);
	char *p;

	/* compact, inside an object: the separator, the key and ':' at once */
	if (w->pretty || w->after_key || w->depth == 0 || n > 256) {
		json_key(w, key);
		json_u64(w, v);
		return;
	}
	p = cgs_buf_room(&w->b, n + 4 + CGS_FMT_U64);
	if (!p)
		return;
	if (!w->first[w->depth])
		*p++ = ',';
	w->first[w->depth] = false;
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	p += cgs_fmt_u64(p, v);
	w->b.len = p - w->b.p;
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->depth == 0 || w->after_key)
		w->error = true;
	sep(w);
	escape(&w->b, key, strlen(key));
	if (w->pretty)
		cgs_buf_lit(&w->b, ": ");
	else
		cgs_buf_ch(&w->b, ':');
	w->after_key = true;
}

void json_strn(struct json_writer *w, const char *s, size_t len)
{
	sep(w);
	escape(&w->b, s, len);
}

void json_str(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_strn(w, s, strlen(s));
}

void json_u64(struct json_writer *w, uint64_t v)
{
	sep(w);
	cgs_buf_u64(&w->b, v);
}

void json_i64(struct json_writer *w, int64_t v)
{
	sep(w);
	if (v < 0) {
		cgs_buf_ch(&w->b, '-');
		cgs_buf_u64(&w->b, -(uint64_t)v);
	} else {
		cgs_buf_u64(&w->b, v);
	}
}

/* JSON has no NaN or infinity: those become null. */
void json_double(struct json_writer *w, double v)
{
	char buf[32];
	int n;

	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	sep(w);
	if (v == 0)
		v = 0;		/* no "-0" */
	n = snprintf(buf, sizeof(buf), "%.10g", v);
	cgs_buf_put(&w->b, buf, n);
}

void json_bool(struct json_writer *w, bool v)
{
	sep(w);
	if (v)
		cgs_buf_lit(&w->b, "true");
	else
		cgs_buf_lit(&w->b, "false");
}

void json_null(struct json_writer *w)
{
	sep(w);
	cgs_buf_lit(&w->b, "null");
}

bool json_finish(struct json_writer *w)
{
	bool ok = !w->error && w->depth == 0 && !w->after_key;

	if (!w->first[0])
		cgs_buf_ch(&w->b, '\n');
	w->first[0] = true;
	if (!cgs_buf_flush(&w->b))
		ok = false;
	fflush(w->b.f);
	return ok;
}
