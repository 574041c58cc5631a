// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include <inttypes.h>

#include "render/json.h"
#include "util/utf8.h"

void json_init(struct json_writer *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
	w->first[0] = true;
}

static void indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
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
			fputc('\n', w->f);
		w->first[0] = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	indent(w);
}

static void nest_open(struct json_writer *w, char c)
{
	sep(w);
	fputc(c, w->f);
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
	fputc(c, w->f);
}

void json_obj_begin(struct json_writer *w) { nest_open(w, '{'); }
void json_obj_end(struct json_writer *w) { nest_close(w, '}'); }
void json_arr_begin(struct json_writer *w) { nest_open(w, '['); }
void json_arr_end(struct json_writer *w) { nest_close(w, ']'); }

void json_key(struct json_writer *w, const char *key)
{
	if (w->depth == 0 || w->after_key)
		w->error = true;
	sep(w);
	json_escape(w->f, key, strlen(key));
	fputs(w->pretty ? ": " : ":", w->f);
	w->after_key = true;
}

void json_escape(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		switch (c) {
		case '"':  fputs("\\\"", f); i++; continue;
		case '\\': fputs("\\\\", f); i++; continue;
		case '\b': fputs("\\b", f); i++; continue;
		case '\f': fputs("\\f", f); i++; continue;
		case '\n': fputs("\\n", f); i++; continue;
		case '\r': fputs("\\r", f); i++; continue;
		case '\t': fputs("\\t", f); i++; continue;
		}
		if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		n = cgs_utf8_seq(s + i, len - i);
		if (!n) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		fwrite(s + i, 1, n, f);
		i += n;
	}
	fputc('"', f);
}

void json_strn(struct json_writer *w, const char *s, size_t len)
{
	sep(w);
	json_escape(w->f, s, len);
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
	fprintf(w->f, "%" PRIu64, v);
}

void json_i64(struct json_writer *w, int64_t v)
{
	sep(w);
	fprintf(w->f, "%" PRId64, v);
}

/* JSON has no NaN or infinity: those become null. */
void json_double(struct json_writer *w, double v)
{
	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	sep(w);
	if (v == 0)
		v = 0;		/* no "-0" */
	fprintf(w->f, "%.10g", v);
}

void json_bool(struct json_writer *w, bool v)
{
	sep(w);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json_writer *w)
{
	sep(w);
	fputs("null", w->f);
}

bool json_finish(struct json_writer *w)
{
	bool ok = !w->error && w->depth == 0 && !w->after_key;

	if (!w->first[0])
		fputc('\n', w->f);
	w->first[0] = true;
	fflush(w->f);
	return ok;
}
