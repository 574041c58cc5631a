/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_UTIL_UTF8_H
#define CGS_UTIL_UTF8_H

#include <stddef.h>

/*
 * Length of the well-formed UTF-8 sequence at @s (at most @left bytes), or
 * 0 if it is not one: overlong forms, surrogates and code points past
 * U+10FFFF are not. Cgroup names are bytes; whoever prints one as text
 * replaces what this refuses.
 */
size_t cgs_utf8_seq(const unsigned char *s, size_t left);

#endif
