/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_UTIL_LOOP_H
#define CGS_UTIL_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The one event loop of a cgsharectl process: descriptors to serve, a
 * deadline, and signals. The signals it is given are blocked for the whole
 * process and read from a signalfd, so one never cuts a request or a round
 * in half: it is seen at the next wait.
 */

#define CGS_LOOP_MAX_FD 8
#define CGS_LOOP_FOREVER UINT64_MAX

typedef void (*cgs_loop_fn)(int fd, void *arg);

struct cgs_loop {
	int sfd;
	bool brk;
	sigset_t blocked, old;
	int nr_fd;
	struct {
		int fd;
		cgs_loop_fn fn;
		void *arg;
	} fd[CGS_LOOP_MAX_FD];
};

/* Blocks @signals (0-terminated) and opens their signalfd. 0 or -errno. */
int cgs_loop_init(struct cgs_loop *l, const int *signals);
/* Calls @fn whenever @fd is readable. 0, or -ENOSPC. */
int cgs_loop_add(struct cgs_loop *l, int fd, cgs_loop_fn fn, void *arg);
void cgs_loop_del(struct cgs_loop *l, int fd);
/* From a callback: make the current cgs_loop_wait() return 0 now. */
void cgs_loop_break(struct cgs_loop *l);
/*
 * Serves ready descriptors until @deadline (CLOCK_MONOTONIC ns; 0: only
 * what is ready now; CGS_LOOP_FOREVER) or a signal. Returns the signal's
 * number, 0 at the deadline, or -errno.
 */
int cgs_loop_wait(struct cgs_loop *l, uint64_t deadline);
/* Closes the signalfd and restores the signal mask. */
void cgs_loop_fini(struct cgs_loop *l);

#endif
