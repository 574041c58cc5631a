// SPDX-License-Identifier: GPL-2.0
/* The JSON writer: structure, separators, escaping, numbers, misuse. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/json.h"
#include "tests/tap.h"

static char *buf;
static size_t len;
static FILE *f;
static struct json_writer w;

static void start(bool pretty)
{
	f = open_memstream(&buf, &len);
	json_init(&w, f, pretty);
}

/* Ends the document; returns what was written (freed by the next call). */
static const char *text(bool *finished_ok)
{
	bool r = json_finish(&w);

	if (finished_ok)
		*finished_ok = r;
	fclose(f);
	return buf;
}

static void escaped(const char *in, size_t n, const char *want,
		    const char *name)
{
	f = open_memstream(&buf, &len);
	json_escape(f, in, n);
	fclose(f);
	is_str(buf, want, name);
	free(buf);
}

/* Every byte alone: as it is exactly when ASCII from ' ' on but " and \\. */
static void every_byte(void)
{
	int bad = 0;

	for (int c = 1; c < 256; c++) {
		char in = c, want[4] = { '"', c, '"', 0 };
		bool asis = c >= 0x20 && c <= 0x7f && c != '"' && c != '\\';

		f = open_memstream(&buf, &len);
		json_escape(f, &in, 1);
		fclose(f);
		if (asis != !strcmp(buf, want)) {
			printf("#   byte 0x%02x gave %s\n", c, buf);
			bad++;
		}
		free(buf);
	}
	ok(!bad, "each byte is kept as it is exactly when it need not be escaped");

	/* past the short-string path, plain and not */
	for (int q = 0; q < 2; q++) {
		static char in[6000], want[6010];

		memset(in, 'a', sizeof(in));
		if (q)
			in[5000] = '"';
		snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", q ? 5000 : 6000,
			 in, q ? "\\\"" : "", q ? 999 : 0, in);
		f = open_memstream(&buf, &len);
		json_escape(f, in, sizeof(in));
		fclose(f);
		ok(!strcmp(buf, want), "6,000 bytes %s", q ? "with a quote" : "plain");
		free(buf);
	}
}

/* json_member_u64 writes what json_key + json_u64 write, anywhere. */
static void members(bool pretty)
{
	char *one = NULL;

	for (int way = 0; way < 2; way++) {
		start(pretty);
		json_obj_begin(&w);
		for (int i = 0; i < 3; i++) {
			if (way) {
				json_member_u64(&w, "cpu_usage_ns", 7 * i);
			} else {
				json_key(&w, "cpu_usage_ns");
				json_u64(&w, 7 * i);
			}
		}
		json_key(&w, "o");
		json_obj_begin(&w);
		if (way)
			json_member_u64(&w, "k", UINT64_MAX);
		else {
			json_key(&w, "k");
			json_u64(&w, UINT64_MAX);
		}
		json_obj_end(&w);
		json_obj_end(&w);
		text(NULL);
		if (!way)
			one = buf;
	}
	is_str(buf, one, pretty ? "json_member_u64, pretty" :
	       "json_member_u64, compact");
	free(one);
	free(buf);
}

int main(void)
{
	bool fin;

	every_byte();
	members(false);
	members(true);

	start(false);
	json_obj_begin(&w);
	json_obj_end(&w);
	is_str(text(&fin), "{}\n", "empty object");
	ok(fin, "empty object is balanced");
	free(buf);

	start(false);
	json_obj_begin(&w);
	json_key(&w, "a");
	json_u64(&w, 18446744073709551615ull);
	json_key(&w, "b");
	json_arr_begin(&w);
	json_bool(&w, true);
	json_null(&w);
	json_str(&w, "x");
	json_i64(&w, -5);
	json_arr_end(&w);
	json_key(&w, "c");
	json_obj_begin(&w);
	json_key(&w, "d");
	json_arr_begin(&w);
	json_arr_end(&w);
	json_obj_end(&w);
	json_obj_end(&w);
	is_str(text(&fin),
	       "{\"a\":18446744073709551615,\"b\":[true,null,\"x\",-5],"
	       "\"c\":{\"d\":[]}}\n", "nesting, commas, u64 max");
	ok(fin, "nested document is balanced");
	free(buf);

	start(true);
	json_obj_begin(&w);
	json_key(&w, "a");
	json_arr_begin(&w);
	json_u64(&w, 1);
	json_u64(&w, 2);
	json_arr_end(&w);
	json_key(&w, "e");
	json_obj_begin(&w);
	json_obj_end(&w);
	json_obj_end(&w);
	is_str(text(NULL), "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": {}\n}\n",
	       "pretty printing");
	free(buf);

	start(false);
	json_obj_begin(&w);
	json_obj_end(&w);
	json_arr_begin(&w);
	json_arr_end(&w);
	is_str(text(NULL), "{}\n[]\n", "top-level values on their own lines");
	free(buf);

	escaped("plain", 5, "\"plain\"", "plain string");
	escaped("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"", "quote and backslash");
	escaped("\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"", "short escapes");
	escaped("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"",
		"other control characters as \\u00XX");
	escaped("a\0b", 3, "\"a\\u0000b\"", "embedded NUL");
	escaped("\xc3\xa9t\xc3\xa9", 5, "\"\xc3\xa9t\xc3\xa9\"",
		"two-byte UTF-8 kept");
	escaped("\xe2\x82\xac\xf0\x9f\x98\x80", 7,
		"\"\xe2\x82\xac\xf0\x9f\x98\x80\"", "3- and 4-byte UTF-8 kept");
	escaped("a\xff" "b", 3, "\"a\\ufffdb\"", "invalid byte replaced");
	escaped("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"", "overlong form replaced");
	escaped("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"",
		"UTF-16 surrogate replaced");
	escaped("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		"code point past U+10FFFF replaced");
	escaped("x\xe2\x82", 3, "\"x\\ufffd\\ufffd\"",
		"sequence cut by the end replaced");

	start(false);
	json_obj_begin(&w);
	json_key(&w, "k\"\n");
	json_str(&w, NULL);
	json_obj_end(&w);
	is_str(text(NULL), "{\"k\\\"\\n\":null}\n",
	       "keys escaped, NULL string is null");
	free(buf);

	start(false);
	json_arr_begin(&w);
	json_double(&w, 0.5);
	json_double(&w, -0.0);
	json_double(&w, NAN);
	json_double(&w, INFINITY);
	json_double(&w, 1234567.25);
	json_arr_end(&w);
	is_str(text(NULL), "[0.5,0,null,null,1234567.25]\n",
	       "doubles: no -0, NaN and infinity as null");
	free(buf);

	start(false);
	json_obj_begin(&w);
	json_key(&w, "a");
	json_obj_end(&w);
	text(&fin);
	ok(!fin, "key without value is reported");
	free(buf);

	start(false);
	json_arr_begin(&w);
	text(&fin);
	ok(!fin, "unclosed array is reported");
	free(buf);

	start(false);
	json_arr_end(&w);
	text(&fin);
	ok(!fin, "close without open is reported");
	free(buf);

	start(false);
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_arr_begin(&w);
	text(&fin);
	ok(!fin, "nesting past the limit is reported");
	free(buf);

	return tap_done();
}
