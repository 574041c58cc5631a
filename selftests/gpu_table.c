// SPDX-License-Identifier: GPL-2.0
/*
 * How many GPU device names a record holds. Every name charged below a
 * cgroup is held by each of its ancestors, so the host's root record holds
 * every name the host has charged: the limit must fit a large node, and a
 * full table must refuse new names loudly. Each case starts from a fresh
 * module (it needs CGSHARE_KO) and leaves a fresh one behind, since the
 * root record keeps its names until the module is unloaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgtest.h"

#define PARAM_MAX	16	/* the limit the parameter case loads with */

static int fresh(const char *params)
{
	int err;

	if (!mod_file()) {
		cgt_reason("CGSHARE_KO is not set to a readable module file");
		return KSFT_SKIP;
	}
	if (mod_present()) {
		err = mod_rmmod(10);
		if (err) {
			cgt_reason("rmmod for a fresh ledger: %s", strerror(-err));
			return KSFT_FAIL;
		}
	}
	err = mod_insmod(params);
	if (err) {
		cgt_reason("insmod %s: %s", params ? params : "", strerror(-err));
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static void leave_fresh(void)
{
	if (mod_reload())
		ksft_print_msg("could not reload the module: later tests see a full table\n");
}

/* Ring r of GPU d as the BPF scheduler path names it. */
static void ring_name(char *buf, size_t len, int d, int r)
{
	snprintf(buf, len, "0000:%02x:00.0:comp_1.%d.%d", 0x10 + d, r / 4, r % 4);
}

static int charge(struct nl *nl, u64 id, const char *dev, u64 busy,
		  struct ack *ack)
{
	struct charge c = { .id = id, .dev = dev, .has_busy = true, .busy = busy };

	return cgs_charge(nl, &c, ack);
}

/* Every one of the n names of rel's record has busy-ns i + 1. */
static bool has_rings(const struct cg_rec *r, const char *rel, int n)
{
	char dev[CGSHARE_DEV_NAME_LEN], what[256];
	const struct gpu_rec *g;

	for (int i = 0; i < n; i++) {
		ring_name(dev, sizeof(dev), i / 16, i % 16);
		g = rec_gpu(r, dev);
		snprintf(what, sizeof(what), "%s has a nest for %s", rel, dev);
		if (!expect_true(g, what))
			return false;
		snprintf(what, sizeof(what), "%s %s busy-ns", rel, dev);
		if (!expect_eq(what, g->busy, i + 1))
			return false;
	}
	return true;
}

/*
 *   top
 *   └── a     64 names: 4 GPUs × 16 rings, one charge each
 *
 * A node whose BPF scheduler path names every ring (<pdev>:<ring>)
 * charges dozens of names: all are recorded, in a, in top and at the root.
 */
static int test_many_devices(void)
{
	const char *a = cgt_path("a");
	struct cg_rec *r = malloc(sizeof(*r));
	char dev[CGSHARE_DEV_NAME_LEN];
	int ret = fresh(NULL);
	struct ack ack;
	struct nl nl;

	if (ret != KSFT_PASS)
		return ret;
	ret = KSFT_FAIL;
	NL_OPEN(&nl);
	CHECK(!cg_mkdir(a));
	for (int i = 0; i < 64; i++) {
		ring_name(dev, sizeof(dev), i / 16, i % 16);
		if (charge(&nl, cg_id(a), dev, i + 1, &ack)) {
			ksft_print_msg("FAIL charge of name %d (%s) refused\n", i + 1, dev);
			ack_print("charge", &ack);
			goto cleanup;
		}
	}
	CHECK(expect_ok("get a", cgs_get_path(&nl, a, r, &ack)));
	CHECK(expect_eq("gpu nests of a", r->ngpu, 64) && has_rings(r, a, 64));
	CHECK(expect_ok("get top", cgs_get_path(&nl, cgt_top(), r, &ack)));
	CHECK(expect_eq("gpu nests of top", r->ngpu, 64) && has_rings(r, cgt_top(), 64));
	CHECK(expect_ok("get /", cgs_get_path(&nl, "/", r, &ack)));
	CHECK(expect_ge("gpu nests of the root", r->ngpu, 64) && has_rings(r, "/", 64));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	leave_fresh();
	return ret;
}

struct notify_arg {
	u64 id;
	struct cg_rec *r;
	bool got;
};

static int notify_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct notify_arg *n = arg;

	if (cg_rec_parse(nlh, n->r) || REC_ID(n->r) != n->id)
		return 0;
	n->got = true;
	return 0;
}

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	static struct cg_rec tmp;
	struct notify_arg *n = arg;
	int err = cg_rec_parse(nlh, &tmp);

	if (err)
		return err;
	if (REC_ID(&tmp) == n->id) {
		memcpy(n->r, &tmp, sizeof(tmp));
		n->got = true;
	}
	return 0;
}

/*
 *   top
 *   ├── a     charged gpu-dev-max names: full; then one more: refused
 *   └── b     a new name: refused (top and the root are full too);
 *             a name a has: accepted
 *
 * A charge that would add a name to a full record anywhere on the chain
 * is refused whole with ENOSPC and an extack, and counted in status-get
 * (gpu-refused-full). a's do reply, its dump message and its release
 * notification each carry all of its nests.
 */
static int test_full_table(void)
{
	const char *a = cgt_path("a"), *b = cgt_path("b");
	struct cg_rec *r = malloc(sizeof(*r));
	struct notify_arg na = { .r = r };
	char dev[CGSHARE_DEV_NAME_LEN];
	u64 max = 0, full0, full1;
	int ret = fresh(NULL);
	struct dump_res res;
	struct nl nl, sub;
	struct ack ack;
	struct msg m;

	if (ret != KSFT_PASS)
		return ret;
	ret = KSFT_FAIL;
	NL_OPEN(&nl);
	sub.fd = -1;
	CHECK(expect_ok("status-get gpu-dev-max",
			cgs_status_uint(&nl, CGSHARE_A_STATUS_GPU_DEV_MAX, &max)));
	ksft_print_msg("gpu-dev-max %llu\n", (unsigned long long)max);
	CHECK(expect_range("gpu-dev-max", max, 64, GPU_MAX));
	CHECK(expect_ok("status-get gpu-refused-full",
			cgs_status_uint(&nl, CGSHARE_A_STATUS_GPU_REFUSED_FULL, &full0)));
	CHECK(!cg_mkdir(a) && !cg_mkdir(b));
	for (u64 i = 0; i < max; i++) {
		ring_name(dev, sizeof(dev), i / 16, i % 16);
		if (charge(&nl, cg_id(a), dev, i + 1, &ack)) {
			ksft_print_msg("FAIL charge of name %llu of %llu (%s) refused\n",
				       (unsigned long long)i + 1, (unsigned long long)max, dev);
			ack_print("charge", &ack);
			goto cleanup;
		}
	}
	ring_name(dev, sizeof(dev), 99, 0);
	CHECK(expect_nack("one name more than gpu-dev-max", charge(&nl, cg_id(a), dev, 1, &ack),
			  &ack, -ENOSPC, 0));
	CHECK(expect_true(ack.has_msg, "the refusal says why"));
	CHECK(expect_nack("a new name in b, whose ancestors are full",
			  charge(&nl, cg_id(b), dev, 1, &ack), &ack, -ENOSPC, 0));
	ring_name(dev, sizeof(dev), 0, 0);
	CHECK(expect_ok("a name a already has, in b", charge(&nl, cg_id(b), dev, 5, &ack)));
	CHECK(expect_ok("status-get gpu-refused-full",
			cgs_status_uint(&nl, CGSHARE_A_STATUS_GPU_REFUSED_FULL, &full1)));
	CHECK(expect_eq("gpu-refused-full counted both refusals", full1 - full0, 2));

	CHECK(expect_ok("get a", cgs_get_path(&nl, a, r, &ack)));
	CHECK(expect_eq("do: gpu nests of a", r->ngpu, max) && has_rings(r, a, max));
	CHECK(expect_ok("get /", cgs_get_path(&nl, "/", r, &ack)));
	CHECK(expect_eq("do: gpu nests of the root", r->ngpu, max));

	na.id = cg_id(a);
	msg_init(&m, nl.family, CGSHARE_CMD_CGROUP_GET, 0);
	msg_put_str(&m, CGSHARE_A_CGROUP_PATH, cgt_top());
	CHECK(expect_ok("dump of top", nl_dump(&nl, &m, dump_cb, &na, NULL, NULL, &res)));
	CHECK(expect_true(na.got, "a is in the dump"));
	CHECK(expect_eq("dump: gpu nests of a", r->ngpu, max) && has_rings(r, a, max));

	CHECK(expect_ok("open the subscriber", nl_open(&sub)));
	CHECK(expect_ok("subscribe", nl_subscribe(&sub)));
	na.got = false;
	CHECK(!cg_rmdir(a));
	for (int i = 0; i < 50 && !na.got; i++)
		CHECK(nl_recv_one(&sub, 100, notify_cb, &na) >= 0);
	CHECK(expect_true(na.got, "a's release notification arrived"));
	CHECK(expect_eq("notify: gpu nests of a", r->ngpu, max) && has_rings(r, a, max));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&sub);
	nl_close(&nl);
	leave_fresh();
	return ret;
}

/*
 *   top
 *   └── a     loaded with gpu_dev_max=16: 16 names, the 17th refused
 *
 * The limit follows the host: the module parameter sets it, status-get
 * reports it, and values outside 8..1024 do not load.
 */
static int test_param(void)
{
	const char *a = cgt_path("a");
	char dev[CGSHARE_DEV_NAME_LEN], param[64];
	int ret = fresh("gpu_dev_max=7");
	struct ack ack;
	struct nl nl;
	u64 max = 0;

	if (ret == KSFT_SKIP)
		return ret;
	if (!expect_true(ret == KSFT_FAIL && !mod_present(),
			 "gpu_dev_max=7 does not load")) {
		ret = KSFT_FAIL;
		goto out;
	}
	ret = fresh("gpu_dev_max=1025");
	if (!expect_true(ret == KSFT_FAIL && !mod_present(),
			 "gpu_dev_max=1025 does not load")) {
		ret = KSFT_FAIL;
		goto out;
	}
	cgt_reason("%s", "");
	snprintf(param, sizeof(param), "gpu_dev_max=%d", PARAM_MAX);
	ret = fresh(param);
	if (ret != KSFT_PASS)
		goto out;
	ret = KSFT_FAIL;
	NL_OPEN(&nl);
	CHECK(expect_ok("status-get gpu-dev-max",
			cgs_status_uint(&nl, CGSHARE_A_STATUS_GPU_DEV_MAX, &max)));
	CHECK(expect_eq("gpu-dev-max", max, PARAM_MAX));
	CHECK(!cg_mkdir(a));
	for (int i = 0; i < PARAM_MAX; i++) {
		ring_name(dev, sizeof(dev), 0, i);
		CHECK(expect_ok(dev, charge(&nl, cg_id(a), dev, 1, &ack)));
	}
	ring_name(dev, sizeof(dev), 1, 0);
	CHECK(expect_nack("one name more", charge(&nl, cg_id(a), dev, 1, &ack),
			  &ack, -ENOSPC, 0));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
out:
	leave_fresh();
	return ret;
}

static const struct cgt_case cases[] = {
	{ "gpu_many_devices", test_many_devices },
	{ "gpu_full_table_refused_counted", test_full_table },
	{ "gpu_dev_max_parameter", test_param },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
