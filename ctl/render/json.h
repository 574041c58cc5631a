/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_JSON_H
#define CGSHARECTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

/*
 * A small streaming JSON writer. Commas, colons and indentation are placed
 * by the writer; callers only say what comes next. Strings are escaped per
 * RFC 8259 and invalid UTF-8 is replaced by U+FFFD, so the output is always
 * valid JSON whatever bytes a cgroup name holds.
 */
#define JSON_MAX_DEPTH 32

struct json_writer {
	struct cgs_buf b;	/* to the FILE; flushed after each top-level value */
	bool pretty;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
	bool error;		/* misuse: too deep, unbalanced */
};

void json_init(struct json_writer *w, FILE *f, bool pretty);
void json_obj_begin(struct json_writer *w);
void json_obj_end(struct json_writer *w);
void json_arr_begin(struct json_writer *w);
void json_arr_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
/*
 * json_key(@key) and json_u64(@v) in one go, for a key that needs no
 * escaping: only [A-Za-z0-9_], as the keys of the spec's tables are
 * (model/tests/attrs_test checks them). A record has some thirty of them,
 * and escaping each was a third of `stats -j`.
 */
void json_member_u64(struct json_writer *w, const char *key, uint64_t v);
void json_str(struct json_writer *w, const char *s);
void json_strn(struct json_writer *w, const char *s, size_t len);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/*
 * Ends a top-level value with a newline and writes it out; false if the
 * nesting was wrong or the FILE refused it.
 */
bool json_finish(struct json_writer *w);

/* Escapes @s (@len bytes) as a JSON string literal, quotes included. */
void json_escape(FILE *f, const char *s, size_t len);

#endif
