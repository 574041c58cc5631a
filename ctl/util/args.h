/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_ARGS_H
#define CGSHARECTL_ARGS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parsers for what users type, and the matching formatters. All return 0 or
 * a negative errno: -EINVAL for malformed input, -ERANGE when too large.
 */

/* "2", "1.5", "500ms", "2s", "1m": a duration, seconds by default. */
int parse_duration(const char *s, uint64_t *ns);
/* "4096", "1.5G", "512KiB", "2M": a size, bytes by default, K = 1024. */
int parse_size(const char *s, uint64_t *bytes);
int parse_u64(const char *s, uint64_t *v);

/* "512B", "1.5K", "12M", "3.0G": a size for humans. */
void fmt_size(char *buf, size_t len, uint64_t bytes);

#endif
