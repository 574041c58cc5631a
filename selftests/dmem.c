// SPDX-License-Identifier: GPL-2.0
/*
 * The dmem cgroup controller on a real region: the fixture module
 * cgshare_test_dmem.ko (selftests/fixtures/) registers one, loaded afresh
 * by every case, and charges it for the task that asks.
 *
 *   /              dmem.current counts every charge
 *   └── top        +dmem
 *       ├── a      charges here
 *       └── b      charges here too, or nothing
 *
 * The region appears in dmem.capacity (its name is read from there, as
 * for any driver) with its size; a charge moves dmem.current of a, top
 * and the root by exactly its size, and not b's; a dmem.max of a or of
 * top below usage plus a new charge refuses it (EAGAIN) and changes
 * nothing; a dmem.max below usage is accepted and, without a reclaim
 * callback, only refuses charges; with one (reclaim=1) the kernel calls
 * the region back until usage fits; uncharging brings every level back;
 * unloading with charges outstanding releases them and the region, and
 * the cgroups that held them can be removed and freed.
 *
 * Kernels without the dmem controller (CONFIG_CGROUP_DMEM) skip, saying
 * so. The fixture is taken from $CGSHARE_TEST_KMODS, by default the test/
 * folder beside $CGSHARE_KO (tools/build-test-modules.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgtest.h"

#define FIXTURE		"cgshare_test_dmem"
#define DEBUGFS		"/sys/kernel/debug/" FIXTURE
#define REGION_SIZE	(64 * MIB)

static char region[256];	/* as dmem.capacity names it */

static const char *fixture_path(void)
{
	static char path[PATH_MAX];
	const char *dir = getenv("CGSHARE_TEST_KMODS"), *ko;

	if (dir && *dir) {
		snprintf(path, sizeof(path), "%s/%s.ko", dir, FIXTURE);
		return path;
	}
	ko = getenv("CGSHARE_KO");
	if (!ko || !strchr(ko, '/'))
		return NULL;
	snprintf(path, sizeof(path), "%.*s/test/%s.ko",
		 (int)(strrchr(ko, '/') - ko), ko, FIXTURE);
	return path;
}

/* The lines of dmem.capacity, each "NAME SIZE". */
static int capacity(char *buf, size_t len)
{
	ssize_t n = cg_read("/", "dmem.capacity", buf, len);

	return n < 0 ? (int)n : 0;
}

/*
 * Loads the fixture afresh (reclaim on or off) and finds its region: the
 * one line dmem.capacity gained. Returns KSFT_PASS, or SKIP/FAIL with the
 * reason set.
 */
static int fixture_load(bool reclaim)
{
	char before[4096], after[4096], params[64], *line, *save;
	const char *ko = fixture_path();
	u64 size = 0;
	int err, found = 0;

	if (!cg_has_ctrl("/", "dmem"))
		SKIP("this kernel has no dmem cgroup controller (CONFIG_CGROUP_DMEM)");
	if (!ko || access(ko, R_OK)) {
		cgt_reason("the kernel has dmem but the fixture %s is missing "
			   "(tools/build-test-modules.sh)", ko ? ko : FIXTURE ".ko");
		return KSFT_FAIL;
	}
	if (mod_loaded(FIXTURE) && (err = mod_remove(FIXTURE, 5))) {
		cgt_reason("rmmod " FIXTURE ": %s", strerror(-err));
		return KSFT_FAIL;
	}
	if ((err = capacity(before, sizeof(before)))) {
		cgt_reason("read dmem.capacity: %s", strerror(-err));
		return KSFT_FAIL;
	}
	snprintf(params, sizeof(params), "size=%llu reclaim=%d",
		 REGION_SIZE, reclaim);
	if ((err = mod_insert(ko, params))) {
		cgt_reason("insmod %s %s: %s", ko, params, strerror(-err));
		return KSFT_FAIL;
	}
	if ((err = capacity(after, sizeof(after)))) {
		cgt_reason("read dmem.capacity: %s", strerror(-err));
		return KSFT_FAIL;
	}
	for (line = strtok_r(after, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[sizeof(region)];
		unsigned long long sz;

		if (sscanf(line, "%255s %llu", name, &sz) != 2) {
			cgt_reason("dmem.capacity line '%s' is not 'NAME SIZE'", line);
			return KSFT_FAIL;
		}
		if (strstr(before, line))
			continue;
		found++;
		snprintf(region, sizeof(region), "%s", name);
		size = sz;
	}
	if (found != 1) {
		cgt_reason("dmem.capacity gained %d lines on insmod, not 1", found);
		return KSFT_FAIL;
	}
	ksft_print_msg("region '%s', %llu bytes\n", region,
		       (unsigned long long)size);
	if (!expect_eq("region size in dmem.capacity", size, REGION_SIZE)) {
		cgt_reason("dmem.capacity gives the region the wrong size");
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

#define LOAD(reclaim) do {						\
	int __r = fixture_load(reclaim);				\
	if (__r != KSFT_PASS)						\
		return __r;						\
} while (0)

/* top with +dmem for its children, and a and b below it. */
static int make_tree(const char **a, const char **b)
{
	int err;

	*a = cgt_path("a");
	*b = cgt_path("b");
	if ((err = cg_write("/", "cgroup.subtree_control", "+dmem")) ||
	    (err = cg_write(cgt_top(), "cgroup.subtree_control", "+dmem"))) {
		ksft_print_msg("enable dmem: %s\n", strerror(-err));
		return err;
	}
	if ((err = cg_mkdir(*a)) || (err = cg_mkdir(*b)))
		return err;
	return 0;
}

struct request {
	const char *file;	/* charge or uncharge */
	const char *arg;
};

/* In the cgroup, as a task of it: 0 or the errno of the write. */
static int do_request(void *arg)
{
	const struct request *r = arg;
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), DEBUGFS "/%s", r->file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, r->arg, strlen(r->arg)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int request_in(const char *rel, const char *file, const char *arg)
{
	struct request r = { file, arg };

	return -cg_wait(cg_run(rel, do_request, &r));
}

static int charge_in(const char *rel, u64 bytes)
{
	char arg[32];

	snprintf(arg, sizeof(arg), "%llu", (unsigned long long)bytes);
	return request_in(rel, "charge", arg);
}

static int uncharge_in(const char *rel, u64 bytes)
{
	char arg[32];

	snprintf(arg, sizeof(arg), "%llu", (unsigned long long)bytes);
	return request_in(rel, "uncharge", arg);
}

/* The fixture's list of charges; -errno. */
static ssize_t read_charges(char *buf, size_t len)
{
	int fd = open(DEBUGFS "/charges", O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	if (n < 0)
		total = -errno;
	close(fd);
	if (total >= 0)
		buf[total] = '\0';
	return total;
}

/* dmem.current (or another per-region file) of rel for our region. */
static u64 dmem(const char *rel, const char *file)
{
	u64 v = UINT64_MAX;

	if (cg_read_key(rel, file, region, &v))
		ksft_print_msg("no '%s' line in %s of %s\n", region, file, rel);
	return v;
}

static int set_max(const char *rel, const char *val)
{
	char buf[320];

	snprintf(buf, sizeof(buf), "%s %s", region, val);
	return cg_write(rel, "dmem.max", buf);
}

static bool set_max_bytes(const char *rel, u64 bytes)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	return expect_ok("write dmem.max", set_max(rel, val));
}

/* Current usage of a, b, top and the root, as expected. */
static bool usage_is(const char *a, u64 ua, const char *b, u64 ub, u64 utop)
{
	bool ok = true;

	ok &= expect_eq("dmem.current of a", dmem(a, "dmem.current"), ua);
	ok &= expect_eq("dmem.current of b", dmem(b, "dmem.current"), ub);
	ok &= expect_eq("dmem.current of top", dmem(cgt_top(), "dmem.current"), utop);
	ok &= expect_eq("dmem.current of the root", dmem("/", "dmem.current"), utop);
	return ok;
}

static int test_region(void)
{
	char buf[4096];
	const char *a, *b;
	int ret = KSFT_FAIL;

	LOAD(false);
	CHECK(!make_tree(&a, &b));
	CHECK(usage_is(a, 0, b, 0, 0));
	CHECK(expect_true(cg_read(a, "dmem.max", buf, sizeof(buf)) > 0 &&
			  strstr(buf, region) && strstr(buf, " max"),
			  "a's dmem.max lists the region as max"));
	ret = KSFT_PASS;
cleanup:
	return ret;
}

static int test_charge(void)
{
	char buf[4096], want[128];
	const char *a, *b;
	int ret = KSFT_FAIL;

	LOAD(false);
	CHECK(!make_tree(&a, &b));
	CHECK(expect_err("charge 1 MiB in a", charge_in(a, MIB), 0));
	CHECK(usage_is(a, MIB, b, 0, MIB));
	CHECK(expect_err("charge 2 MiB in a", charge_in(a, 2 * MIB), 0));
	CHECK(usage_is(a, 3 * MIB, b, 0, 3 * MIB));
	CHECK(expect_err("charge 4 KiB in b", charge_in(b, 4096), 0));
	CHECK(usage_is(a, 3 * MIB, b, 4096, 3 * MIB + 4096));
	CHECK(expect_eq("dmem.peak of a", dmem(a, "dmem.peak"), 3 * MIB));
	CHECK(expect_true(read_charges(buf, sizeof(buf)) > 0,
			  "read the fixture's charges"));
	snprintf(want, sizeof(want), "%llu %llu\n%llu %llu\n%llu %llu\n",
		 (unsigned long long)cg_id(a), MIB,
		 (unsigned long long)cg_id(a), 2 * MIB,
		 (unsigned long long)cg_id(b), 4096ULL);
	if (!expect_true(!strcmp(buf, want), "the fixture lists a's two charges and b's"))
		ksft_print_msg("charges:\n%swanted:\n%s", buf, want);
	CHECK(!strcmp(buf, want));
	CHECK(expect_err("charge 0 bytes", request_in(a, "charge", "0"), -EINVAL));
	CHECK(expect_err("charge '12abc'", request_in(a, "charge", "12abc"), -EINVAL));
	CHECK(expect_err("charge '-1'", request_in(a, "charge", "-1"), -EINVAL));
	CHECK(expect_err("uncharge 'some'", request_in(a, "uncharge", "some"), -EINVAL));
	CHECK(usage_is(a, 3 * MIB, b, 4096, 3 * MIB + 4096));
	ret = KSFT_PASS;
cleanup:
	return ret;
}

static int test_max(void)
{
	const char *a, *b;
	int ret = KSFT_FAIL;

	LOAD(false);
	CHECK(!make_tree(&a, &b));
	CHECK(expect_err("charge 3 MiB in a", charge_in(a, 3 * MIB), 0));

	/* a's own limit: 1 byte short of what one more MiB needs */
	CHECK(set_max_bytes(a, 4 * MIB - 1));
	CHECK(expect_eq("dmem.max of a read back", dmem(a, "dmem.max"), 4 * MIB - 1));
	CHECK(expect_err("charge 1 MiB over a's dmem.max", charge_in(a, MIB), -EAGAIN));
	CHECK(usage_is(a, 3 * MIB, b, 0, 3 * MIB));
	CHECK(expect_err("charge 512 KiB within a's dmem.max", charge_in(a, MIB / 2), 0));
	CHECK(usage_is(a, 3 * MIB + MIB / 2, b, 0, 3 * MIB + MIB / 2));
	CHECK(expect_err("b is not limited by a's dmem.max", charge_in(b, MIB), 0));
	CHECK(usage_is(a, 3 * MIB + MIB / 2, b, MIB, 4 * MIB + MIB / 2));
	CHECK(expect_ok("dmem.max of a back to max", set_max(a, "max")));

	/* an ancestor's limit binds both children */
	CHECK(set_max_bytes(cgt_top(), 4 * MIB + MIB / 2));
	CHECK(expect_err("charge 4 KiB in a over top's dmem.max", charge_in(a, 4096), -EAGAIN));
	CHECK(expect_err("charge 4 KiB in b over top's dmem.max", charge_in(b, 4096), -EAGAIN));
	CHECK(usage_is(a, 3 * MIB + MIB / 2, b, MIB, 4 * MIB + MIB / 2));
	CHECK(expect_ok("dmem.max of top back to max", set_max(cgt_top(), "max")));
	CHECK(expect_err("charge 4 KiB in a with no limit", charge_in(a, 4096), 0));
	CHECK(usage_is(a, 3 * MIB + MIB / 2 + 4096, b, MIB, 4 * MIB + MIB / 2 + 4096));

	/* below usage: accepted, nothing reclaimed (no callback), all refused */
	CHECK(set_max_bytes(a, MIB));
	CHECK(expect_eq("dmem.max of a below usage read back", dmem(a, "dmem.max"), MIB));
	CHECK(usage_is(a, 3 * MIB + MIB / 2 + 4096, b, MIB, 4 * MIB + MIB / 2 + 4096));
	CHECK(expect_err("charge 4 KiB in a above its dmem.max", charge_in(a, 4096), -EAGAIN));
	CHECK(expect_err("uncharge 512 KiB in a above its dmem.max", uncharge_in(a, MIB / 2), 0));
	CHECK(usage_is(a, 3 * MIB + 4096, b, MIB, 4 * MIB + 4096));
	ret = KSFT_PASS;
cleanup:
	return ret;
}

static int test_uncharge(void)
{
	char buf[256];
	const char *a, *b;
	int ret = KSFT_FAIL;

	LOAD(false);
	CHECK(!make_tree(&a, &b));
	CHECK(expect_err("charge 1 MiB in a", charge_in(a, MIB), 0));
	CHECK(expect_err("charge 2 MiB in a", charge_in(a, 2 * MIB), 0));
	CHECK(expect_err("charge 4 MiB in b", charge_in(b, 4 * MIB), 0));
	CHECK(usage_is(a, 3 * MIB, b, 4 * MIB, 7 * MIB));
	CHECK(expect_err("uncharge 2 MiB in a", uncharge_in(a, 2 * MIB), 0));
	CHECK(usage_is(a, MIB, b, 4 * MIB, 5 * MIB));
	CHECK(expect_err("uncharge 2 MiB in a again", uncharge_in(a, 2 * MIB), -ENOENT));
	CHECK(expect_err("uncharge b's 4 MiB from a", uncharge_in(a, 4 * MIB), -ENOENT));
	CHECK(usage_is(a, MIB, b, 4 * MIB, 5 * MIB));
	CHECK(expect_err("uncharge 1 MiB in a", uncharge_in(a, MIB), 0));
	CHECK(expect_err("uncharge 4 MiB in b", uncharge_in(b, 4 * MIB), 0));
	CHECK(usage_is(a, 0, b, 0, 0));
	CHECK(expect_eq("dmem.peak of a stays", dmem(a, "dmem.peak"), 3 * MIB));
	CHECK(expect_true(read_charges(buf, sizeof(buf)) == 0,
			  "no charge left in the fixture"));
	ret = KSFT_PASS;
cleanup:
	return ret;
}

static int test_reclaim(void)
{
	const char *a, *b;
	int ret = KSFT_FAIL;

	LOAD(true);
	CHECK(!make_tree(&a, &b));
	for (int i = 0; i < 4; i++)
		CHECK(expect_err("charge 1 MiB in a", charge_in(a, MIB), 0));
	CHECK(expect_err("charge 1 MiB in b", charge_in(b, MIB), 0));
	CHECK(usage_is(a, 4 * MIB, b, MIB, 5 * MIB));
	/* the kernel calls the region back until a fits: two charges go */
	CHECK(set_max_bytes(a, 2 * MIB + MIB / 2));
	CHECK(usage_is(a, 2 * MIB, b, MIB, 3 * MIB));
	/* top's limit reaches into both children, newest charge first */
	CHECK(set_max_bytes(cgt_top(), MIB));
	CHECK(usage_is(a, MIB, b, 0, MIB));
	CHECK(expect_err("charge 4 KiB in b over top's dmem.max", charge_in(b, 4096), -EAGAIN));
	ret = KSFT_PASS;
cleanup:
	return ret;
}

static int test_unload(void)
{
	char buf[4096];
	const char *a, *b;
	u64 dying = 1;
	int ret = KSFT_FAIL;

	LOAD(false);
	CHECK(!make_tree(&a, &b));
	CHECK(expect_err("charge 1 MiB in a", charge_in(a, MIB), 0));
	CHECK(expect_err("charge 2 MiB in b", charge_in(b, 2 * MIB), 0));
	CHECK(expect_ok("rmmod with charges outstanding", mod_remove(FIXTURE, 10)));
	CHECK(expect_true(capacity(buf, sizeof(buf)) == 0 && !strstr(buf, region),
			  "the region left dmem.capacity"));
	CHECK(expect_true(cg_read(a, "dmem.current", buf, sizeof(buf)) >= 0 &&
			  !strstr(buf, region), "the region left a's dmem.current"));
	/* the charges held a's and b's css: removed, they must be freed */
	CHECK(expect_ok("rmdir a", cg_rmdir(a)));
	CHECK(expect_ok("rmdir b", cg_rmdir(b)));
	for (int i = 0; i < 500 && dying; i++) {
		if (cg_read_key(cgt_top(), "cgroup.stat", "nr_dying_descendants", &dying))
			break;
		usleep(20000);
	}
	CHECK(expect_eq("dying descendants of top after rmdir", dying, 0));
	ret = KSFT_PASS;
cleanup:
	return ret;
}

static const struct cgt_case cases[] = {
	{ "region", test_region },
	{ "charge", test_charge },
	{ "max", test_max },
	{ "uncharge", test_uncharge },
	{ "reclaim", test_reclaim },
	{ "unload", test_unload },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
