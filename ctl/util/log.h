/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_UTIL_LOG_H
#define CGS_UTIL_LOG_H

#include <stdarg.h>

/* "cgsharectl: MESSAGE" on stderr, which systemd's journal keeps. */
void cgs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cgs_vlog(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
