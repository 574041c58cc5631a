// SPDX-License-Identifier: GPL-2.0
/* Loading and unloading the module under test (and fixtures), and the kernel log. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/syscall.h>

#include "cgtest.h"

const char *mod_file(void)
{
	const char *ko = getenv("CGSHARE_KO");

	return ko && !access(ko, R_OK) ? ko : NULL;
}

const char *mod_name(void)
{
	static char name[64];
	const char *ko = mod_file(), *base;

	if (!ko)
		return "cgshare";
	base = strrchr(ko, '/') ? strrchr(ko, '/') + 1 : ko;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
	return name;
}

bool mod_loaded(const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return !access(p, F_OK);
}

bool mod_present(void)
{
	return mod_loaded(mod_name());
}

int mod_remove(const char *name, int secs)
{
	u64 end = now_ns() + (u64)secs * SEC;
	int tries = 0;

	for (;;) {
		tries++;
		if (!syscall(SYS_delete_module, name, O_NONBLOCK)) {
			ksft_print_msg("rmmod %s: success after %d attempt(s)\n",
				       name, tries);
			return 0;
		}
		if ((errno != EBUSY && errno != EAGAIN) || now_ns() > end) {
			ksft_print_msg("rmmod %s: %s after %d attempt(s)\n",
				       name, strerror(errno), tries);
			return -errno;
		}
		usleep(20000);
	}
}

int mod_rmmod(int secs)
{
	return mod_remove(mod_name(), secs);
}

int mod_insert(const char *ko, const char *params)
{
	int fd, ret = 0;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		ret = -errno;
	close(fd);
	return ret;
}

int mod_insmod(const char *params)
{
	const char *ko = mod_file();

	return ko ? mod_insert(ko, params) : -ENOENT;
}

int mod_reload(void)
{
	int ret;

	if (!mod_file())
		return -ENOENT;
	if (mod_present()) {
		ret = mod_rmmod(10);
		if (ret)
			return ret;
	}
	return mod_insmod(NULL);
}

void klog_mark(const char *mark)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!write(fd, mark, strlen(mark));
		close(fd);
	}
}

int klog_problems(const char *mark)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "leak",
		"refcount_t:", "list_del corruption", "list_add corruption",
		"soft lockup", "rcu_sched self-detected", "RCU stall", "KASAN",
		"UBSAN", "Call Trace:", "possible recursive locking",
		"possible circular locking", "suspicious RCU usage",
		"sleeping function called from invalid context",
	};
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *buf, *start, *line, *save;

	if (len <= 0)
		len = 1 << 20;
	buf = malloc(len + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		ksft_print_msg("klogctl: %s\n", strerror(errno));
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	start = NULL;
	for (char *p = buf; (p = strstr(p, mark)); p += strlen(mark))
		start = p;	/* the last mark: a test may run twice */
	if (!start) {
		ksft_print_msg("our mark is not in the kernel log\n");
		start = buf;
	}
	for (line = strtok_r(start, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			if (!strstr(line, bad[i]))
				continue;
			if (n++ < 20)
				ksft_print_msg("kernel: %s\n", line);
			break;
		}
	}
	free(buf);
	return n;
}
