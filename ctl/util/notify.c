// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/notify.h"
#include "util/time.h"

void cgs_notify_init(struct cgs_notify *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long us;
	char *end;

	memset(n, 0, sizeof(*n));
	if (path && (path[0] == '/' || path[0] == '@') &&
	    strlen(path) < sizeof(n->path))
		strcpy(n->path, path);
	if (!usec || (pid && strtol(pid, NULL, 10) != getpid()))
		return;
	errno = 0;
	us = strtoull(usec, &end, 10);
	if (errno || *end || !us)
		return;
	n->watchdog_ns = us * 1000;
	n->next_ping = cgs_now_ns();
}

void cgs_notify(const struct cgs_notify *n, const char *msg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(n->path);
	int fd;

	if (!len)
		return;
	memcpy(sa.sun_path, n->path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + len) < 0)
		cgs_log("sd_notify: %s", strerror(errno));
	close(fd);
}

void cgs_notify_watchdog(struct cgs_notify *n)
{
	uint64_t now;

	if (!n->watchdog_ns)
		return;
	now = cgs_now_ns();
	if (now < n->next_ping)
		return;
	cgs_notify(n, "WATCHDOG=1");
	n->next_ping = now + n->watchdog_ns / 2;
}

uint64_t cgs_notify_deadline(const struct cgs_notify *n, uint64_t deadline)
{
	if (n->watchdog_ns && n->next_ping < deadline)
		return n->next_ping;
	return deadline;
}
