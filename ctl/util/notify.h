/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_UTIL_NOTIFY_H
#define CGS_UTIL_NOTIFY_H

#include <stdint.h>

/*
 * sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, and the
 * watchdog keep-alive systemd asks for with WatchdogSec= (WATCHDOG_USEC,
 * for this process when WATCHDOG_PID names it): WATCHDOG=1 at half the
 * interval, from the daemon's own loop, so a loop that hangs is restarted.
 */
struct cgs_notify {
	char path[108];			/* "" when not under systemd */
	uint64_t watchdog_ns;		/* 0: no watchdog */
	uint64_t next_ping;		/* CLOCK_MONOTONIC */
};

void cgs_notify_init(struct cgs_notify *n);
void cgs_notify(const struct cgs_notify *n, const char *msg);
/* Sends WATCHDOG=1 when it is due. */
void cgs_notify_watchdog(struct cgs_notify *n);
/* The earlier of @deadline and the next keep-alive. */
uint64_t cgs_notify_deadline(const struct cgs_notify *n, uint64_t deadline);

#endif
