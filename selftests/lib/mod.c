// SPDX-License-Identifier: GPL-2.0
/* Loading and unloading kernel modules from the tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "cgtest.h"

bool mod_loaded(const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return !access(p, F_OK);
}

int mod_insert(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		ret = -errno;
	close(fd);
	return ret;
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
			ksft_print_msg("rmmod %s: %s after %d attempt(s)\n", name,
				       strerror(errno), tries);
			return -errno;
		}
		usleep(20000);
	}
}
