// SPDX-License-Identifier: GPL-2.0
/* Case runner and assertions for the cgshare selftests. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "cgtest.h"

static char top[128];
static char *reason;		/* shared with the case's process */

const char *cgt_top(void)
{
	return top;
}

char *cgt_path(const char *fmt, ...)
{
	char sub[PATH_MAX], *out;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sub, sizeof(sub), fmt, ap);
	va_end(ap);
	if (asprintf(&out, "%s/%s", top, sub) < 0)
		abort();
	return out;
}

void cgt_reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, 512, fmt, ap);
	va_end(ap);
}

bool expect_true(bool cond, const char *what)
{
	if (!cond)
		ksft_print_msg("FAIL %s\n", what);
	return cond;
}

bool expect_eq(const char *what, u64 got, u64 want)
{
	if (got == want)
		return true;
	ksft_print_msg("FAIL %s: expected %llu, got %llu\n", what,
		       (unsigned long long)want, (unsigned long long)got);
	return false;
}

bool expect_ne(const char *what, u64 got, u64 unwanted)
{
	if (got != unwanted)
		return true;
	ksft_print_msg("FAIL %s: expected anything but %llu, got it\n", what,
		       (unsigned long long)unwanted);
	return false;
}

bool expect_ge(const char *what, u64 got, u64 min)
{
	if (got >= min)
		return true;
	ksft_print_msg("FAIL %s: expected >= %llu, got %llu\n", what,
		       (unsigned long long)min, (unsigned long long)got);
	return false;
}

bool expect_range(const char *what, u64 got, u64 lo, u64 hi)
{
	if (got >= lo && got <= hi)
		return true;
	ksft_print_msg("FAIL %s: expected in [%llu, %llu], got %llu\n", what,
		       (unsigned long long)lo, (unsigned long long)hi,
		       (unsigned long long)got);
	return false;
}

bool expect_near(const char *what, u64 got, u64 want, double pct,
		 u64 abs_tol)
{
	u64 tol = (u64)((double)want * pct / 100.0);
	u64 diff = got > want ? got - want : want - got;

	if (tol < abs_tol)
		tol = abs_tol;
	if (diff <= tol) {
		ksft_print_msg("%s: %llu vs %llu (off by %.3f%%, allowed %llu)\n",
			       what, (unsigned long long)got,
			       (unsigned long long)want,
			       want ? 100.0 * diff / want : 0.0,
			       (unsigned long long)tol);
		return true;
	}
	ksft_print_msg("FAIL %s: expected %llu +- %llu, got %llu (off by %.3f%%)\n",
		       what, (unsigned long long)want, (unsigned long long)tol,
		       (unsigned long long)got, want ? 100.0 * diff / want : 0.0);
	return false;
}

bool expect_err(const char *what, int got, int want)
{
	if (got == want)
		return true;
	ksft_print_msg("FAIL %s: expected %d (%s), got %d (%s)\n", what,
		       want, want ? strerror(-want) : "success",
		       got, got ? strerror(-got) : "success");
	return false;
}

bool expect_ok(const char *what, int ret)
{
	if (ret >= 0)
		return true;
	ksft_print_msg("FAIL %s: expected success, got %d (%s)\n", what, ret,
		       strerror(-ret));
	return false;
}

static int run_case(const struct cgt_case *c)
{
	int timeout = c->timeout_s ? c->timeout_s : 120;
	u64 deadline = now_ns() + (u64)timeout * SEC;
	int status, code;
	pid_t pid;

	reason[0] = '\0';
	cg_destroy(top);
	if (cg_mkdir(top) || cg_enable_all(top)) {
		cgt_reason("cannot create %s: %s", top, strerror(errno));
		return KSFT_FAIL;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cgt_reason("fork: %s", strerror(errno));
		return KSFT_FAIL;
	}
	if (!pid) {
		setpgid(0, 0);
		code = c->fn();
		fflush(stdout);
		_exit(code);
	}
	setpgid(pid, pid);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			cgt_reason("waitpid: %s", strerror(errno));
			return KSFT_FAIL;
		}
		if (now_ns() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			cgt_reason("timed out after %d s", timeout);
			cg_destroy(top);
			return KSFT_FAIL;
		}
		usleep(20000);
	}
	/* Whatever the case forked and left behind. */
	kill(-pid, SIGKILL);
	if (cg_destroy(top))
		ksft_print_msg("warning: could not remove %s\n", top);
	if (WIFSIGNALED(status)) {
		cgt_reason("case died from signal %d (%s)", WTERMSIG(status),
			   strsignal(WTERMSIG(status)));
		return KSFT_FAIL;
	}
	code = WEXITSTATUS(status);
	if (code != KSFT_PASS && code != KSFT_SKIP)
		code = KSFT_FAIL;
	return code;
}

static bool selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int cgt_main(int argc, char **argv, const struct cgt_case *cases, int n)
{
	const char *prog = strrchr(argv[0], '/');
	const char *global_skip = NULL;
	int plan = 0;

	prog = prog ? prog + 1 : argv[0];
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (int i = 0; i < n; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	snprintf(top, sizeof(top), "/cgst-%s", prog);
	setvbuf(stdout, NULL, _IOLBF, 0);
	reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reason == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));

	for (int i = 0; i < n; i++)
		plan += selected(argc, argv, cases[i].name);
	ksft_print_header();
	ksft_set_plan(plan);

	if (geteuid() != 0)
		global_skip = "needs root";
	else if (!cg_has_file("/", "cgroup.subtree_control"))
		global_skip = "no cgroup v2 hierarchy at " CG_MNT;

	for (int i = 0; i < n; i++) {
		const struct cgt_case *c = &cases[i];
		int code;

		if (!selected(argc, argv, c->name))
			continue;
		if (global_skip) {
			ksft_test_result_code(KSFT_SKIP, c->name, "%s",
					      global_skip);
			continue;
		}
		ksft_print_msg("--- %s\n", c->name);
		code = run_case(c);
		if (code == KSFT_SKIP && !reason[0])
			cgt_reason("no reason given");
		if (reason[0])
			ksft_test_result_code(code, c->name, "%s", reason);
		else if (code == KSFT_PASS)
			ksft_test_result_pass("%s\n", c->name);
		else
			ksft_test_result_fail("%s\n", c->name);
	}
	cg_destroy(top);
	ksft_finished();
}
