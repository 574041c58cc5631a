// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

void cgs_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + len) < 0)
		fprintf(stderr, "cgsharectl: sd_notify: %s\n", strerror(errno));
	close(fd);
}

/* WatchdogSec= in microseconds, 0 when there is none for this process. */
static uint64_t watchdog_usec(void)
{
	static int known;
	static uint64_t usec;
	const char *v, *pid;
	char *end;

	if (known)
		return usec;
	known = 1;
	v = getenv("WATCHDOG_USEC");
	if (!v || !*v)
		return 0;
	pid = getenv("WATCHDOG_PID");
	if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	usec = strtoull(v, &end, 10);
	if (errno || *end)
		usec = 0;
	return usec;
}

int cgs_watchdog_ms(void)
{
	uint64_t ms = watchdog_usec() / 2000;

	if (!watchdog_usec())
		return -1;
	return ms ? (ms > 3600000 ? 3600000 : (int)ms) : 1;
}

int cgs_watchdog_timeout(int timeout_ms)
{
	int w = cgs_watchdog_ms();

	if (w < 0 || (timeout_ms >= 0 && timeout_ms < w))
		return timeout_ms;
	return w;
}

void cgs_watchdog_kick(void)
{
	static uint64_t last;
	struct timespec ts;
	uint64_t now;

	if (!watchdog_usec())
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (last && now - last < watchdog_usec() / 4)
		return;
	last = now;
	cgs_notify("WATCHDOG=1");
}
