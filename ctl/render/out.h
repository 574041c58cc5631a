/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_OUT_H
#define CGSHARECTL_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Every value goes through one of these, which prints it either as JSON
 * under @key (in base units: ns, bytes) or as text through @fmt, a printf
 * format with exactly one %s (width allowed) that receives the value
 * already formatted for humans. A NULL @fmt means "JSON only"; a NULL @key
 * inside an array adds an element. The numbers' keys (out_u64, out_ctr,
 * out_bytes, out_secs) are the program's own names, the spec's or
 * literals, and go out as they are, not escaped.
 */

void out_init(FILE *f, bool json, bool pretty);
bool out_is_json(void);
/* Ends the current top-level JSON value; false on misuse or write error. */
bool out_flush(void);

void out_obj_begin(const char *key);
void out_obj_end(void);
void out_arr_begin(const char *key);
void out_arr_end(void);

/* Text only: headers, separators, newlines. */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void out_str(const char *key, const char *fmt, const char *s);
void out_u64(const char *key, const char *fmt, uint64_t v);
/* JSON only: @v under @key. */
void out_ctr(const char *key, uint64_t v);
void out_bool(const char *key, const char *fmt, bool v);
/* Text: @prec decimals. JSON: the value as is. */
void out_dbl(const char *key, const char *fmt, int prec, double v);
/* Text: "1.5G". JSON: bytes. */
void out_bytes(const char *key, const char *fmt, uint64_t bytes);
/* Text: seconds with two decimals. JSON: ns. */
void out_secs(const char *key, const char *fmt, uint64_t ns);
/* Text: "-" through @fmt. JSON: nothing (absent values are omitted). */
void out_absent(const char *fmt);

#endif
