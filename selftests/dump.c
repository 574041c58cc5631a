// SPDX-License-Identifier: GPL-2.0
/* cgroup-get dumps: complete, ordered, resumable, and flagged when raced. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "cgtest.h"

static int dump_n(void)
{
	const char *s = getenv("CGSHARE_DUMP_N");

	return s ? atoi(s) : 10000;
}

static bool dump_matches(struct nl *nl, const char *what, const char *path,
			 const u64 *id, const char *walk_from)
{
	struct rec_list got, want;
	struct dump_res res;
	bool ok;
	u64 t = now_ns();
	int ret = cgs_dump_list(nl, path, id, &got, &res);

	t = now_ns() - t;
	if (!expect_ok(what, ret)) {
		ack_print(what, &res.ack);
		rec_list_free(&got);
		return false;
	}
	ksft_print_msg("%s: %zu records in %zu messages, %zu recv calls, %.1f ms\n",
		       what, got.n, res.nmsgs, res.nrecv, t / 1e6);
	if (cg_walk_list(walk_from, &want)) {
		ksft_print_msg("walk %s failed\n", walk_from);
		return false;
	}
	ok = expect_same_set(what, &got, &want, NULL);
	ok &= expect_true(!res.intr, "no NLM_F_DUMP_INTR while nothing changed");
	rec_list_free(&got);
	rec_list_free(&want);
	return ok;
}

/*
 *   /              every cgroup in the guest
 *   └── top
 *       ├── a
 *       │   └── a1
 *       └── b
 *
 * A dump of everything returns each cgroup exactly once, by ascending id,
 * with the path and parent cgroupfs shows, and no DUMP_INTR.
 */
static int test_dump_all(void)
{
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cgt_path("a")) && !cg_mkdir(cgt_path("a/a1")) &&
	      !cg_mkdir(cgt_path("b")));
	CHECK(dump_matches(&nl, "dump all", NULL, NULL, "/"));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── s          subtree root: dumped by path and by id
 *       ├── x
 *       │   ├── x1
 *       │   └── x2 leaf: a subtree of one
 *       └── y
 *
 * A subtree dump returns the subtree root and its descendants only.
 */
static int test_dump_subtree(void)
{
	const char *s = cgt_path("s"), *x2 = cgt_path("s/x/x2");
	struct nl nl;
	u64 id;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(s) && !cg_mkdir(cgt_path("s/x")) &&
	      !cg_mkdir(cgt_path("s/x/x1")) && !cg_mkdir(x2) &&
	      !cg_mkdir(cgt_path("s/y")));
	id = cg_id(s);
	CHECK(dump_matches(&nl, "dump subtree by path", s, NULL, s));
	CHECK(dump_matches(&nl, "dump subtree by id", NULL, &id, s));
	CHECK(dump_matches(&nl, "dump of a leaf", x2, NULL, x2));
	id = cg_id("/");
	CHECK(dump_matches(&nl, "dump by the root's id", NULL, &id, "/"));
	CHECK(dump_matches(&nl, "dump by path /", "/", NULL, "/"));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── d
 *       ├── g00 ── c000 .. c099
 *       ├── ...
 *       └── g99 ── c000 .. c099      (CGSHARE_DUMP_N leaves, 10,000)
 *
 * Dumps of everything (64 KiB and 4 KiB receive buffers) and of d return
 * each of the cgroups exactly once, in id order, matching a cgroupfs walk;
 * status-get's nr-cgroups counts them all.
 */
static int test_dump_10000(void)
{
	const char *d = cgt_path("d");
	int n = dump_n(), groups = (n + 99) / 100, made = 0;
	struct status_rec st;
	struct rec_list all;
	struct ack ack;
	struct nl nl, small = { .fd = -1 };
	u64 t;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(d));
	t = now_ns();
	for (int g = 0; g < groups; g++) {
		char *gp = cgt_path("d/g%02d", g);

		CHECK(!cg_mkdir(gp));
		for (int c = 0; c < 100 && made < n; c++, made++) {
			char *cp = cgt_path("d/g%02d/c%03d", g, c);

			CHECK(!cg_mkdir(cp));
			free(cp);
		}
		free(gp);
	}
	ksft_print_msg("created %d cgroups in %.1f s\n", made + groups + 1,
		       (now_ns() - t) / 1e9);
	CHECK(dump_matches(&nl, "dump all, 64 KiB buffer", NULL, NULL, "/"));
	CHECK(expect_ok("open a 4 KiB socket", nl_open_rcv(&small, 4096)));
	CHECK(dump_matches(&small, "dump all, 4 KiB buffer", NULL, NULL, "/"));
	CHECK(dump_matches(&small, "dump of d, 4 KiB buffer", d, NULL, d));
	CHECK(expect_ok("status-get", cgs_status(&nl, &st, &ack)));
	CHECK(!cg_walk_list("/", &all));
	CHECK(expect_eq("nr-cgroups with the big tree", st.nr_cgroups, all.n));
	CHECK(expect_ge("cgroups in cgroupfs", all.n, (u64)n + groups + 1));
	rec_list_free(&all);
	ret = KSFT_PASS;
cleanup:
	t = now_ns();
	if (cg_destroy(d))
		ret = KSFT_FAIL;
	ksft_print_msg("removed them in %.1f s\n", (now_ns() - t) / 1e9);
	nl_close(&small);
	nl_close(&nl);
	return ret;
}

#define CHURN_ROUNDS	100

struct churn {
	int round;
	int errors;
};

/*
 * Between two recv calls: one cgroup created and the previous removed,
 * for the first CHURN_ROUNDS calls, so a dump that restarts on every
 * change can still end (and show itself by its record count).
 */
static void churn_step(void *arg)
{
	struct churn *c = arg;
	char *mk = cgt_path("c/x%d", c->round);
	char *rm = cgt_path("c/x%d", c->round - 1);

	if (c->round == CHURN_ROUNDS) {
		if (cg_rmdir(rm))
			c->errors++;
		c->round++;
	}
	if (c->round > CHURN_ROUNDS) {
		free(mk);
		free(rm);
		return;
	}
	if (cg_mkdir(mk))
		c->errors++;
	if (c->round && cg_rmdir(rm))
		c->errors++;
	c->round++;
	free(mk);
	free(rm);
}

struct intr_count {
	size_t recs, flagged;
	u64 last_id;
	size_t backwards;	/* ids not above the previous one */
};

static int intr_cb(const struct nlmsghdr *nlh, void *arg)
{
	static struct cg_rec r;
	struct intr_count *ic = arg;

	ic->recs++;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ic->flagged++;
	if (!cg_rec_parse(nlh, &r)) {
		if (ic->recs > 1 && REC_ID(&r) <= ic->last_id)
			ic->backwards++;
		ic->last_id = REC_ID(&r);
	}
	return 0;
}

/*
 *   top
 *   └── c
 *       ├── k000 .. k299       300 stable cgroups, so the dump needs many
 *       └── x<n>               messages in a 4 KiB buffer; one created and
 *                              one removed between two recv calls (100x)
 *
 * Some message of the raced dump carries NLM_F_DUMP_INTR; once the churn
 * stops, a new dump is complete and unflagged.
 */
static int test_dump_intr(void)
{
	const char *c = cgt_path("c");
	struct churn ch = { 0 };
	struct intr_count ic = { 0 };
	struct dump_res res;
	struct msg m;
	struct nl nl;
	int small = 4096, ret = KSFT_FAIL, err;

	err = nl_open_rcv(&nl, 4096);
	if (err) {
		cgt_reason("family not usable: %s", strerror(-err));
		return KSFT_FAIL;
	}
	CHECK(!cg_mkdir(c));
	for (int i = 0; i < 300; i++) {
		char *k = cgt_path("c/k%03d", i);

		CHECK(!cg_mkdir(k));
		free(k);
	}
	/* Keep the kernel from filling many skbs ahead of us. */
	CHECK(!setsockopt(nl.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	msg_init(&m, nl.family, CGSHARE_CMD_CGROUP_GET, 0);
	CHECK(expect_ok("raced dump", nl_dump(&nl, &m, intr_cb, &ic, churn_step,
					      &ch, &res)));
	ksft_print_msg("raced dump: %zu records (%zu flagged, %zu out of id order) in %zu messages, %zu recv calls, %d churn rounds\n",
		       ic.recs, ic.flagged, ic.backwards, res.nmsgs, res.nrecv,
		       ch.round);
	CHECK(expect_eq("churn errors", ch.errors, 0));
	CHECK(expect_ge("recv calls (the dump must span several)", res.nrecv, 3));
	CHECK(expect_true(res.intr, "NLM_F_DUMP_INTR seen in the raced dump"));
	CHECK(expect_eq("records out of id order in the raced dump",
			ic.backwards, 0));
	CHECK(dump_matches(&nl, "dump after the churn (4 KiB)", NULL, NULL, "/"));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

/*
 *   /   dump with a bogus subtree path, and with an unknown id
 *
 * The dump ends with ENOENT, no records.
 */
static int test_dump_bad_subtree(void)
{
	struct rec_list l;
	struct dump_res res;
	struct nl nl;
	u64 id = 0xfffffffffff1ULL;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(expect_err("dump of /no/such", cgs_dump_list(&nl, "/no/such", NULL,
							    &l, &res), -ENOENT));
	CHECK(expect_eq("records", l.n, 0));
	rec_list_free(&l);
	CHECK(expect_err("dump of an unknown id", cgs_dump_list(&nl, NULL, &id,
								 &l, &res),
			 -ENOENT));
	CHECK(expect_eq("records", l.n, 0));
	rec_list_free(&l);
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   ├── live
 *   └── dying     a child filled a tmpfs file from here; then rmdir. Its
 *                 tmpfs pages keep it around, offline, out of cgroupfs
 *
 * Neither a dump nor nr-cgroups includes the dying cgroup; a get by its
 * id is ENOENT.
 */
static int test_dump_dying(void)
{
	const char *shm = "/dev/shm/cgshare-selftest-dying";
	const char *dying = cgt_path("dying");
	struct status_rec st;
	struct rec_list all;
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	struct nl nl;
	u64 id;
	int n, ret = KSFT_FAIL;

	if (!cg_has_ctrl(cgt_top(), "memory"))
		SKIP("memory controller not available");
	NL_OPEN(&nl);
	CHECK(!cg_mkdir(cgt_path("live")));
	n = cg_make_dying(dying, shm, &id);
	if (n < 1) {
		ret = KSFT_SKIP;
		cgt_reason("could not leave a dying cgroup behind (%d)", n);
		goto cleanup;
	}
	ksft_print_msg("%s: %d dying descendant(s)\n", cgt_top(), n);
	CHECK(dump_matches(&nl, "dump with a dying cgroup", NULL, NULL, "/"));
	CHECK(expect_ok("status-get", cgs_status(&nl, &st, &ack)));
	CHECK(!cg_walk_list("/", &all));
	CHECK(expect_eq("nr-cgroups with a dying cgroup", st.nr_cgroups, all.n));
	rec_list_free(&all);
	CHECK(expect_err("get the dying path", cgs_get_path(&nl, dying, r, &ack),
			 -ENOENT));
	CHECK(expect_err("get the dying id", cgs_get_id(&nl, id, r, &ack),
			 -ENOENT));
	ret = KSFT_PASS;
cleanup:
	unlink(shm);
	free(r);
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── r          rename(2) to r2 is refused
 *
 * The module keeps each record's path from its first read on (kmod/
 * netlink.c, rec_path()), because a cgroup v2 directory cannot be
 * renamed: only cgroup v1 gives kernfs a rename op. A kernel that
 * allowed it would make those paths stale; this says so first.
 */
static int test_no_rename(void)
{
	const char *r = cgt_path("r");
	char from[512], to[520];
	struct nl nl;
	int ret = KSFT_FAIL, rc = -1;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(r));
	CHECK(dump_matches(&nl, "dump before the rename", r, NULL, r));
	snprintf(from, sizeof(from), "%s", cg_full(r));
	snprintf(to, sizeof(to), "%s2", from);
	rc = rename(from, to);
	ksft_print_msg("rename(%s, %s): %s\n", from, to,
		       rc ? strerror(errno) : "done");
	CHECK(expect_true(rc != 0, "a cgroup v2 directory cannot be renamed"));
	CHECK(dump_matches(&nl, "dump after the refused rename", r, NULL, r));
	ret = KSFT_PASS;
cleanup:
	if (!rc)
		rename(to, from);
	nl_close(&nl);
	return ret;
}

static const struct cgt_case cases[] = {
	{ "dump_all_matches_cgroupfs", test_dump_all },
	{ "dump_subtree", test_dump_subtree },
	{ "dump_bad_subtree", test_dump_bad_subtree },
	{ "dump_skips_dying_cgroups", test_dump_dying },
	{ "cgroup_v2_has_no_rename", test_no_rename },
	{ "dump_intr_under_churn", test_dump_intr, 300 },
	{ "dump_10000_each_once", test_dump_10000, 1500 },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
