/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_UTIL_TIME_H
#define CGS_UTIL_TIME_H

#include <stdint.h>

#define CGS_NSEC_PER_SEC 1000000000ull

/* CLOCK_MONOTONIC, for intervals and deadlines. */
uint64_t cgs_now_ns(void);
/* CLOCK_REALTIME, for timestamps people and other hosts read. */
uint64_t cgs_wall_ns(void);
/* Sleeps until @deadline (CLOCK_MONOTONIC ns), through signals. */
void cgs_sleep_until(uint64_t deadline);
/*
 * The tick after @prev of a @period clock at @now: a tick that is already
 * past is skipped, not made up in a burst.
 */
uint64_t cgs_tick_next(uint64_t prev, uint64_t period, uint64_t now);

#endif
