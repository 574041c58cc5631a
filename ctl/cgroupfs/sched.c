// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs/sched.h"

static void read_word(const char *root, const char *file, char *buf,
		      size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/kernel/sched_ext/%s", root, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

void cgfs_sched(const char *root, struct cgfs_sched *s)
{
	memset(s, 0, sizeof(*s));
	read_word(root, "state", s->state, sizeof(s->state));
	/* "enabling" already runs tasks on it; "disabling" still does */
	s->ext = !strcmp(s->state, "enabled") || !strcmp(s->state, "enabling") ||
		 !strcmp(s->state, "disabling");
	if (s->ext)
		read_word(root, "root/ops", s->ops, sizeof(s->ops));
}

const char *cgfs_sched_name(const struct cgfs_sched *s, char *buf,
			    unsigned int len)
{
	if (!s->ext)
		snprintf(buf, len, "fair");
	else
		snprintf(buf, len, "sched_ext:%s", s->ops[0] ? s->ops : "?");
	return buf;
}
