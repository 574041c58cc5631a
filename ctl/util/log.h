/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_UTIL_LOG_H
#define CGS_UTIL_LOG_H

/* "cgsharectl: MESSAGE" on stderr, which systemd's journal keeps. */
void cgs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
