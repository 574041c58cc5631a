// SPDX-License-Identifier: GPL-2.0
/* The one place cgsharectl reads clocks. */
#include <errno.h>
#include <time.h>

#include "util/time.h"

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * CGS_NSEC_PER_SEC + ts.tv_nsec;
}

uint64_t cgs_now_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

uint64_t cgs_wall_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

void cgs_sleep_until(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / CGS_NSEC_PER_SEC,
		.tv_nsec = deadline % CGS_NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

uint64_t cgs_tick_next(uint64_t prev, uint64_t period, uint64_t now)
{
	uint64_t next = prev + period;

	return next <= now ? now + period : next;
}
