/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sd_notify(3) and systemd's service watchdog, without libsystemd: the
 * daemons (run, export, gpu collect) say READY=1 when they serve and
 * WATCHDOG=1 from their loops, so a loop that hangs is restarted.
 */
#ifndef CGS_NOTIFY_H
#define CGS_NOTIFY_H

/* One datagram to $NOTIFY_SOCKET; nothing when it is not set. */
void cgs_notify(const char *msg);

/*
 * The longest a loop may sleep (ms) and still keep the watchdog fed:
 * half of WatchdogSec=, or -1 when systemd asked for no watchdog (or
 * asked another process, WATCHDOG_PID).
 */
int cgs_watchdog_ms(void);

/* @timeout_ms (-1: none) shortened to cgs_watchdog_ms(). */
int cgs_watchdog_timeout(int timeout_ms);

/* WATCHDOG=1 when a quarter of the interval has passed since the last. */
void cgs_watchdog_kick(void);

#endif
