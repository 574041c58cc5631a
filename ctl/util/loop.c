// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/loop.h"
#include "util/time.h"

int cgs_loop_init(struct cgs_loop *l, const int *signals)
{
	memset(l, 0, sizeof(*l));
	sigemptyset(&l->blocked);
	for (; *signals; signals++)
		sigaddset(&l->blocked, *signals);
	if (sigprocmask(SIG_BLOCK, &l->blocked, &l->old))
		return -errno;
	l->sfd = signalfd(-1, &l->blocked, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sfd < 0) {
		int err = -errno;

		sigprocmask(SIG_SETMASK, &l->old, NULL);
		return err;
	}
	return 0;
}

int cgs_loop_add(struct cgs_loop *l, int fd, cgs_loop_fn fn, void *arg)
{
	if (l->nr_fd == CGS_LOOP_MAX_FD)
		return -ENOSPC;
	l->fd[l->nr_fd].fd = fd;
	l->fd[l->nr_fd].fn = fn;
	l->fd[l->nr_fd].arg = arg;
	l->nr_fd++;
	return 0;
}

void cgs_loop_del(struct cgs_loop *l, int fd)
{
	for (int i = 0; i < l->nr_fd; i++)
		if (l->fd[i].fd == fd) {
			l->fd[i] = l->fd[--l->nr_fd];
			return;
		}
}

void cgs_loop_break(struct cgs_loop *l)
{
	l->brk = true;
}

static int read_signal(struct cgs_loop *l)
{
	struct signalfd_siginfo si;

	if (read(l->sfd, &si, sizeof(si)) == sizeof(si))
		return si.ssi_signo;
	return 0;
}

int cgs_loop_wait(struct cgs_loop *l, uint64_t deadline)
{
	struct pollfd pfd[CGS_LOOP_MAX_FD + 1];
	int n, sig;

	l->brk = false;
	for (;;) {
		uint64_t now = cgs_now_ns();
		int timeout;

		sig = read_signal(l);
		if (sig)
			return sig;
		if (deadline == CGS_LOOP_FOREVER)
			timeout = -1;
		else if (deadline <= now)
			timeout = 0;
		else
			timeout = (deadline - now + 999999) / 1000000;
		pfd[0].fd = l->sfd;
		pfd[0].events = POLLIN;
		n = l->nr_fd;
		for (int i = 0; i < n; i++) {
			pfd[i + 1].fd = l->fd[i].fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		if (poll(pfd, n + 1, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A callback may add or remove descriptors: serve a copy. */
		for (int i = 0; i < n; i++)
			if (pfd[i + 1].revents)
				for (int j = 0; j < l->nr_fd; j++)
					if (l->fd[j].fd == pfd[i + 1].fd) {
						l->fd[j].fn(l->fd[j].fd, l->fd[j].arg);
						break;
					}
		if (l->brk || !timeout ||
		    (deadline != CGS_LOOP_FOREVER && cgs_now_ns() >= deadline))
			return read_signal(l);
	}
}

void cgs_loop_fini(struct cgs_loop *l)
{
	if (l->sfd > 0)
		close(l->sfd);
	sigprocmask(SIG_SETMASK, &l->old, NULL);
	l->sfd = -1;
}
