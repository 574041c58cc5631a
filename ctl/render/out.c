// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdarg.h>

#include "util/args.h"
#include "render/json.h"
#include "render/out.h"

static struct {
	FILE *f;
	bool json;
	struct json_writer w;
} out;

void out_init(FILE *f, bool json, bool pretty)
{
	out.f = f;
	out.json = json;
	json_init(&out.w, f, pretty);
}

bool out_is_json(void)
{
	return out.json;
}

bool out_flush(void)
{
	bool ok = true;

	if (out.json)
		ok = json_finish(&out.w);
	if (fflush(out.f) || ferror(out.f))
		ok = false;
	return ok;
}

static void key(const char *k)
{
	if (k)
		json_key(&out.w, k);
}

/*
 * A number, as a member @k or (no @k) an array element: a member goes
 * out whole, separator, key and value at once, which is what most of a
 * record is (json_member_u64()).
 */
static void json_num(const char *k, uint64_t v)
{
	if (k)
		json_member_u64(&out.w, k, v);
	else
		json_u64(&out.w, v);
}

void out_obj_begin(const char *k)
{
	if (out.json) {
		key(k);
		json_obj_begin(&out.w);
	}
}

void out_obj_end(void)
{
	if (out.json)
		json_obj_end(&out.w);
}

void out_arr_begin(const char *k)
{
	if (out.json) {
		key(k);
		json_arr_begin(&out.w);
	}
}

void out_arr_end(void)
{
	if (out.json)
		json_arr_end(&out.w);
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (out.json)
		return;
	va_start(ap, fmt);
	vfprintf(out.f, fmt, ap);
	va_end(ap);
}

static void text(const char *fmt, const char *s)
{
	if (fmt)
		fprintf(out.f, fmt, s);
}

void out_str(const char *k, const char *fmt, const char *s)
{
	if (out.json) {
		key(k);
		json_str(&out.w, s);
	} else {
		text(fmt, s ? s : "-");
	}
}

void out_u64(const char *k, const char *fmt, uint64_t v)
{
	char buf[32];

	if (out.json) {
		json_num(k, v);
	} else if (fmt) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		text(fmt, buf);
	}
}

void out_ctr(const char *k, uint64_t v)
{
	if (out.json)
		json_num(k, v);
}

void out_bool(const char *k, const char *fmt, bool v)
{
	if (out.json) {
		key(k);
		json_bool(&out.w, v);
	} else {
		text(fmt, v ? "yes" : "no");
	}
}

void out_dbl(const char *k, const char *fmt, int prec, double v)
{
	char buf[64];

	if (out.json) {
		key(k);
		json_double(&out.w, v);
	} else if (fmt) {
		snprintf(buf, sizeof(buf), "%.*f", prec, v);
		text(fmt, buf);
	}
}

void out_bytes(const char *k, const char *fmt, uint64_t bytes)
{
	char buf[32];

	if (out.json) {
		json_num(k, bytes);
	} else if (fmt) {
		fmt_size(buf, sizeof(buf), bytes);
		text(fmt, buf);
	}
}

void out_secs(const char *k, const char *fmt, uint64_t ns)
{
	char buf[32];

	if (out.json) {
		json_num(k, ns);
	} else if (fmt) {
		snprintf(buf, sizeof(buf), "%" PRIu64 ".%02u",
			 ns / 1000000000, (unsigned int)(ns % 1000000000 / 10000000));
		text(fmt, buf);
	}
}

void out_absent(const char *fmt)
{
	if (!out.json)
		text(fmt, "-");
}
