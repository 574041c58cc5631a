// SPDX-License-Identifier: GPL-2.0
/*
 * The output helper: one sequence of calls gives the text and the JSON
 * forms, absent values are "-" in text and missing in JSON.
 */
#include <stdlib.h>

#include "render/out.h"
#include "tests/tap.h"

static void emit(void)
{
	out_obj_begin(NULL);
	out_str("path", "%-6s|", "/a");
	out_u64("id", NULL, 42);
	out_secs("cpu_usage_ns", "%6s|", 1234567890ull);
	out_bytes("mem_current_bytes", "%5s|", 3ull << 29);
	out_absent("%4s|");
	out_dbl("cpu_usage_cpus", "%5s|", 2, 0.256);
	out_bool("loaded", "%s|", true);
	out_arr_begin("features");
	out_str(NULL, " %s", "cpu");
	out_str(NULL, " %s", "memory");
	out_arr_end();
	out_text("\n");
	out_obj_end();
}

static char *run(bool json, bool pretty, bool *flushed)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	out_init(f, json, pretty);
	emit();
	*flushed = out_flush();
	fclose(f);
	return buf;
}

int main(void)
{
	bool fl;
	char *s;

	s = run(false, false, &fl);
	is_str(s, "/a    |  1.23| 1.5G|   -| 0.26|yes| cpu memory\n",
	       "text form");
	ok(fl, "text flushes");
	free(s);

	s = run(true, false, &fl);
	is_str(s, "{\"path\":\"/a\",\"id\":42,\"cpu_usage_ns\":1234567890,"
	       "\"mem_current_bytes\":1610612736,\"cpu_usage_cpus\":0.256,"
	       "\"loaded\":true,\"features\":[\"cpu\",\"memory\"]}\n",
	       "JSON form, base units, absent left out");
	ok(fl, "JSON flushes balanced");
	free(s);

	s = run(true, true, &fl);
	ok(s && strstr(s, "{\n  \"path\": \"/a\",\n") != NULL,
	   "pretty JSON is indented");
	free(s);

	return tap_done();
}
