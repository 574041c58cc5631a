// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>

#include "util/log.h"

void cgs_vlog(const char *fmt, va_list ap)
{
	fputs("cgsharectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cgs_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cgs_vlog(fmt, ap);
	va_end(ap);
}
