// SPDX-License-Identifier: GPL-2.0
/* Basic cgroup-get and status-get: the family answers what cgroupfs says. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgtest.h"

struct count_arg {
	u32 n;
};

static void count_one(const char *rel, u64 id, u64 parent, void *arg)
{
	((struct count_arg *)arg)->n++;
}

static bool has_mem_attrs(const struct cg_rec *r)
{
	for (int t = CGSHARE_A_CGROUP_MEM_CURRENT;
	     t <= CGSHARE_A_CGROUP_MEM_EVENTS_OOM_KILL; t++)
		if (rec_has(r, t) && t != CGSHARE_A_CGROUP_MEM_SWAP)
			return true;
	return false;
}

/*
 * status-get: version is set, the cpu feature is on, the memory feature is
 * on exactly when the kernel offers the memory controller, and nr-cgroups
 * equals the number of directories under the cgroupfs root.
 */
static int test_status(void)
{
	struct count_arg cnt = { 0 };
	struct status_rec s;
	struct ack ack;
	struct nl nl;
	int ret = KSFT_FAIL;
	bool mem = cg_has_ctrl("/", "memory");

	NL_OPEN(&nl);
	CHECK(expect_ok("status-get", cgs_status(&nl, &s, &ack)));
	ksft_print_msg("version \"%s\" features %#x nr-cgroups %u generation %u%s%s\n",
		       s.version, s.features, s.nr_cgroups, s.generation,
		       s.bpf_reason[0] ? " gpu-bpf-reason: " : "", s.bpf_reason);
	CHECK(expect_true(s.has_version && s.version[0], "status has a version"));
	CHECK(expect_true(s.has_features && s.has_nr && s.has_gen,
			  "status has features, nr-cgroups and generation"));
	CHECK(expect_true(s.features & CGSHARE_FEATURE_CPU, "feature cpu is on"));
	CHECK(expect_eq("feature memory == memory controller offered",
			!!(s.features & CGSHARE_FEATURE_MEMORY), mem));
	CHECK(expect_true(s.features & CGSHARE_FEATURE_GPU_CHARGE,
			  "feature gpu-charge is on"));
	CHECK(expect_true((s.features & CGSHARE_FEATURE_GPU_BPF) || s.bpf_reason[0],
			  "gpu-bpf is on, or a reason says why not"));
	CHECK(!cg_walk("/", count_one, &cnt));
	CHECK(expect_eq("nr-cgroups vs directories in cgroupfs", s.nr_cgroups,
			cnt.n));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

/*
 *   /                 get by path "/" and by the root's inode number
 *
 * The root comes back with its id, path "/", no parent-id, CPU counters
 * and no memory counters, and nothing outside the spec.
 */
static int test_root(void)
{
	u64 root = cg_id("/");
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	/* On the raw socket: the reply's wire form is checked too. */
	CHECK(expect_ok("get path /", cgs_get_path_raw(&nl, "/", r, &ack)));
	CHECK(expect_eq("root id", REC_ID(r), root));
	CHECK(expect_true(!strcmp(r->path, "/"), "root path is \"/\""));
	CHECK(expect_true(!REC_HAS(r, PARENT_ID), "root has no parent-id"));
	CHECK(expect_true(REC_HAS(r, CPU_USAGE_NS) && REC_HAS(r, CPU_WAIT_NS) &&
			  REC_HAS(r, CPU_SWITCHES), "root has cpu counters"));
	CHECK(expect_true(REC(r, CPU_USAGE_NS) > 0, "root cpu-usage-ns > 0"));
	CHECK(expect_true(!has_mem_attrs(r), "root has no memory counters"));
	CHECK(expect_eq("unknown attributes in reply", r->unknown, 0));
	CHECK(expect_eq("reply cmd", r->cmd, CGSHARE_CMD_CGROUP_GET));

	CHECK(expect_ok("get id root", cgs_get_id(&nl, root, r, &ack)));
	CHECK(expect_eq("root id by id", REC_ID(r), root));
	CHECK(expect_true(!strcmp(r->path, "/"), "root path by id is \"/\""));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	return ret;
}

/*
 *   top (cpu memory pids for children)
 *   └── a       memory enabled on a: memory counters present
 *       └── b   a enables nothing: b has no memory controller, no counters
 *
 * Ids, paths and parent-ids agree with cgroupfs, by path and by id.
 */
static int test_child(void)
{
	const char *a = cgt_path("a"), *b = cgt_path("a/b");
	struct cg_rec *r = malloc(sizeof(*r));
	u64 ida, idb;
	struct ack ack;
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(a) && !cg_mkdir(b));
	ida = cg_id(a);
	idb = cg_id(b);

	CHECK(expect_ok("get path a", cgs_get_path(&nl, a, r, &ack)));
	CHECK(expect_eq("a id", REC_ID(r), ida));
	CHECK(expect_true(!strcmp(r->path, a), "a path"));
	CHECK(expect_true(REC_HAS(r, PARENT_ID), "a has parent-id"));
	CHECK(expect_eq("a parent-id", REC(r, PARENT_ID), cg_id(cgt_top())));
	if (cg_has_ctrl(a, "memory"))
		CHECK(expect_true(REC_HAS(r, MEM_CURRENT) && REC_HAS(r, MEM_PEAK) &&
				  REC_HAS(r, MEM_EVENTS_HIGH) &&
				  REC_HAS(r, MEM_EVENTS_OOM_KILL),
				  "a (memory enabled) has memory counters"));

	CHECK(expect_ok("get id b", cgs_get_id(&nl, idb, r, &ack)));
	CHECK(expect_eq("b id", REC_ID(r), idb));
	if (!expect_true(!strcmp(r->path, b), "b path")) {
		ksft_print_msg("want \"%s\", got \"%s\"\n", b, r->path);
		goto cleanup;
	}
	CHECK(expect_eq("b parent-id", REC(r, PARENT_ID), ida));
	CHECK(expect_true(!has_mem_attrs(r),
			  "b (memory not enabled) has no memory counters"));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	return ret;
}

static int wait_status(struct nl *nl, struct status_rec *s, u32 want_nr)
{
	struct ack ack;

	for (int i = 0; i < 100; i++) {
		if (cgs_status(nl, s, &ack))
			return ack.error;
		if (s->nr_cgroups == want_nr)
			return 0;
		usleep(10000);
	}
	return 0;
}

/*
 *   top
 *   └── g     created, then removed
 *
 * Each creation and removal changes the generation and nr-cgroups by one.
 */
static int test_generation(void)
{
	const char *g = cgt_path("g");
	struct status_rec s0, s1, s2;
	struct ack ack;
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(expect_ok("status-get", cgs_status(&nl, &s0, &ack)));
	CHECK(!cg_mkdir(g));
	CHECK(expect_ok("status-get", wait_status(&nl, &s1, s0.nr_cgroups + 1)));
	CHECK(expect_eq("nr-cgroups after mkdir", s1.nr_cgroups, s0.nr_cgroups + 1));
	CHECK(expect_ne("generation after mkdir", s1.generation, s0.generation));
	CHECK(!cg_rmdir(g));
	CHECK(expect_ok("status-get", wait_status(&nl, &s2, s0.nr_cgroups)));
	CHECK(expect_eq("nr-cgroups after rmdir", s2.nr_cgroups, s0.nr_cgroups));
	CHECK(expect_ne("generation after rmdir", s2.generation, s1.generation));
	CHECK(expect_ne("generation after mkdir+rmdir", s2.generation,
			s0.generation));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

static const struct cgt_case cases[] = {
	{ "status", test_status },
	{ "root", test_root },
	{ "child_ids_paths", test_child },
	{ "generation", test_generation },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
