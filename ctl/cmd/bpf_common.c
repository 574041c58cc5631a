// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include <bpf/libbpf.h>
#include "cmd/bpf_dl.h"

#include "cmd/bpf_common.h"
#include "cmd/cmd.h"

static char bpf_log[8192];
static size_t bpf_log_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG && opts.verbose < 2)
		return 0;
	if (opts.verbose)
		return vfprintf(stderr, fmt, ap);
	n = vsnprintf(bpf_log + bpf_log_len, sizeof(bpf_log) - bpf_log_len, fmt, ap);
	if (n > 0)
		bpf_log_len = bpf_log_len + n < sizeof(bpf_log) ? bpf_log_len + n : sizeof(bpf_log) - 1;
	return n;
}

void bpf_log_init(void)
{
	libbpf_set_print(libbpf_print);
}

void bpf_fail(const char *who, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cgsharectl: %s: ", who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (bpf_log_len)
		fprintf(stderr, "libbpf said:\n%s", bpf_log);
}

#define BPF_FS_MAGIC	0xcafe4a11
#define BPFFS		"/sys/fs/bpf"

bool bpf_fs_ready(const char *who)
{
	struct statfs sfs;

	if (!statfs(BPFFS, &sfs) && sfs.f_type == BPF_FS_MAGIC)
		return true;
	bpf_fail(who, "no BPF file system at %s (mount -t bpf bpf %s)", BPFFS, BPFFS);
	return false;
}

bool bpf_is_iter_pin(const char *name)
{
	const char *it = strrchr(CGS_ITER_PIN, '/') + 1;
	const char *map = strrchr(CGS_ITER_MAP_PIN, '/') + 1;

	return !strcmp(name, it) || !strcmp(name, map);
}
