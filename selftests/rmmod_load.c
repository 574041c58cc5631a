// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod while everything is busy, then insmod again. Runs last: it needs
 * CGSHARE_KO (the module file) to put the module back.
 *
 *   top
 *   ├── hog      two CPU hogs, charged for card0 in a loop
 *   ├── churn    cgroups created and removed in a loop
 *   └── load     the readers, subscriber, churner and charger
 *
 * plus two readers dumping and reading in a loop and one notify
 * subscriber. rmmod succeeds within 15 s (retrying while a dump holds the
 * module), the module is gone, no load process crashes or hangs, the
 * kernel log has no warning, oops or leak; insmod works again and the new
 * instance knows every live cgroup, including those made while it was
 * away, and none of the dying ones (removed, still pinned by tmpfs pages).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cgtest.h"

#define MARK "cgshare-selftest: rmmod_load start"
#define SHM "/dev/shm/cgshare-selftest-rmmod"

static volatile int *stop;

static int reader(void *arg)
{
	struct rec_list l;
	struct status_rec s;
	struct cg_rec *r = malloc(sizeof(*r));
	struct dump_res res;
	struct ack ack;
	struct nl nl;

	while (!*stop) {
		if (nl_open(&nl)) {
			usleep(10000);
			continue;
		}
		cgs_dump_list(&nl, NULL, NULL, &l, &res);
		rec_list_free(&l);
		cgs_status(&nl, &s, &ack);
		cgs_get_path(&nl, "/", r, &ack);
		nl_close(&nl);
		usleep(2000);
	}
	return 0;
}

static int subscriber(void *arg)
{
	struct nl nl;

	while (!*stop) {
		if (nl_open(&nl)) {
			usleep(10000);
			continue;
		}
		nl_subscribe(&nl);
		for (int i = 0; i < 20 && !*stop; i++)
			nl_recv_one(&nl, 50, NULL, NULL);
		nl_close(&nl);
	}
	return 0;
}

static int churner(void *arg)
{
	const char *base = arg;
	char path[PATH_MAX];

	for (unsigned int i = 0; !*stop; i++) {
		snprintf(path, sizeof(path), "%s/x%u", base, i % 16);
		if (cg_mkdir(path) && errno != EEXIST)
			usleep(1000);
		snprintf(path, sizeof(path), "%s/x%u", base, (i + 8) % 16);
		cg_rmdir(path);
	}
	return 0;
}

static int charger(void *arg)
{
	struct charge c = { .id = cg_id(arg), .dev = "card0",
			    .has_busy = true, .busy = 10 };
	struct ack ack;
	struct nl nl;

	while (!*stop) {
		if (nl_open(&nl)) {
			usleep(10000);
			continue;
		}
		for (int i = 0; i < 50 && !*stop; i++)
			cgs_charge(&nl, &c, &ack);
		nl_close(&nl);
	}
	return 0;
}

static int test_rmmod_load(void)
{
	const char *hog = cgt_path("hog"), *churn = cgt_path("churn"),
		   *load = cgt_path("load");
	struct hog h = { .wall_s = 120.0, .cpu = -1 };
	struct rec_list got, want;
	static struct cg_rec one;
	struct dump_res res;
	struct status_rec s;
	struct ack ack;
	pid_t pids[8];
	int npids = 0, ret = KSFT_FAIL;
	struct nl nl;
	u64 dying_id = 0;

	if (!mod_file())
		SKIP("CGSHARE_KO is not set to a readable module file");
	if (!mod_present()) {
		cgt_reason("module %s is not loaded before the test", mod_name());
		return KSFT_FAIL;
	}
	stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	klog_mark(MARK);

	CHECK(!cg_mkdir(hog) && !cg_mkdir(churn) && !cg_mkdir(load));
	pids[npids++] = cg_run(hog, hog_fn, &h);
	pids[npids++] = cg_run(hog, hog_fn, &h);
	pids[npids++] = cg_run(load, reader, NULL);
	pids[npids++] = cg_run(load, reader, NULL);
	pids[npids++] = cg_run(load, subscriber, NULL);
	pids[npids++] = cg_run(load, churner, (void *)churn);
	pids[npids++] = cg_run(load, charger, (void *)hog);
	sleep(3);

	CHECK(expect_ok("rmmod under load", mod_rmmod(15)));
	CHECK(expect_true(!mod_present(), "module gone after rmmod"));
	sleep(1);		/* the load keeps going against nothing */
	*stop = 1;
	for (int i = 2; i < npids; i++) {
		char what[64];

		snprintf(what, sizeof(what), "load process %d exit", i);
		CHECK(expect_eq(what, cg_wait(pids[i]), 0));
		pids[i] = 0;
	}
	for (int i = 0; i < 2; i++) {
		kill(pids[i], SIGKILL);
		cg_wait(pids[i]);
		pids[i] = 0;
	}
	CHECK(!cg_mkdir(cgt_path("made-while-unloaded")));
	if (cg_has_ctrl(cgt_top(), "memory"))
		CHECK(expect_ge("dying cgroups left while unloaded",
				cg_make_dying(cgt_path("dying"), SHM, &dying_id), 1));

	CHECK(expect_ok("insmod again", mod_insmod(NULL)));
	NL_OPEN(&nl);
	CHECK(expect_ok("status-get after re-insmod", cgs_status(&nl, &s, &ack)));
	CHECK(expect_ok("dump after re-insmod",
			cgs_dump_list(&nl, NULL, NULL, &got, &res)));
	CHECK(!cg_walk_list("/", &want));
	CHECK(expect_same_set("dump after re-insmod", &got, &want, NULL));
	CHECK(expect_eq("nr-cgroups after re-insmod", s.nr_cgroups, want.n));
	if (dying_id)
		CHECK(expect_err("get the dying cgroup's id after re-insmod",
				 cgs_get_id(&nl, dying_id, &one, &ack), -ENOENT));
	rec_list_free(&got);
	rec_list_free(&want);
	nl_close(&nl);

	CHECK(expect_ok("rmmod when idle", mod_rmmod(5)));
	CHECK(expect_ok("insmod once more", mod_insmod(NULL)));
	CHECK(expect_eq("kernel log problems since the test started",
			klog_problems(MARK), 0));
	ret = KSFT_PASS;
cleanup:
	*stop = 1;
	for (int i = 0; i < npids; i++) {
		if (pids[i] <= 0)
			continue;
		kill(pids[i], SIGKILL);
		cg_wait(pids[i]);
	}
	unlink(SHM);
	if (!mod_present() && mod_insmod(NULL))
		ksft_print_msg("could not put the module back: later tests will fail\n");
	return ret;
}

static const struct cgt_case cases[] = {
	{ "rmmod_under_load", test_rmmod_load, 180 },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
