// SPDX-License-Identifier: GPL-2.0
/*
 * Reads are scoped to the caller's cgroup namespace.
 *
 *   /                     invisible from inside
 *   └── top
 *       ├── ns-test       the child's cgroup namespace root: "/"
 *       │   ├── a         "/a"
 *       │   │   └── a1    "/a/a1"
 *       │   └── b         "/b"
 *       └── ns-out        outside: ENOENT by id, invisible by path
 *
 * A child moves itself into ns-test and unshares its cgroup namespace.
 * Its dump holds exactly ns-test's subtree with namespace-relative paths
 * and no parent for its root; ids outside are ENOENT with the extack on
 * the id; paths cannot climb out; charge cannot reach outside either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgtest.h"

struct ids {
	u64 root, top, ns, a, a1, b, out;
};

static bool enoent_id(struct nl *nl, const char *what, u64 id)
{
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	struct msg m;
	size_t off;
	bool ok;

	msg_init(&m, nl->family, CGSHARE_CMD_CGROUP_GET, 0);
	off = msg_put_u64(&m, CGSHARE_A_CGROUP_ID, id);
	ok = expect_nack(what, nl_transact(nl, &m, NULL, NULL, &ack), &ack,
			 -ENOENT, off);
	free(r);
	return ok;
}

static bool path_is(struct nl *nl, const char *path, u64 id)
{
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	char what[256];
	bool ok;

	snprintf(what, sizeof(what), "get path %s in the namespace", path);
	ok = expect_ok(what, cgs_get_path(nl, path, r, &ack));
	if (ok) {
		ok = expect_eq(what, REC_ID(r), id);
		if (strcmp(r->path, path)) {
			ksft_print_msg("FAIL %s: path comes back as %s\n", what,
				       r->path);
			ok = false;
		}
	} else {
		ack_print(what, &ack);
	}
	free(r);
	return ok;
}

/* A path that tries to climb out resolves inside, or is refused. */
static bool no_escape(struct nl *nl, const char *path, const struct ids *ids)
{
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	char what[256];
	bool ok = true;
	int ret = cgs_get_path(nl, path, r, &ack);

	snprintf(what, sizeof(what), "get path %s in the namespace", path);
	if (ret) {
		ack_print(what, &ack);
		ok = expect_true(ret == -ENOENT || ret == -EINVAL,
				 "refused with ENOENT or EINVAL");
	} else if (REC_ID(r) != ids->ns && REC_ID(r) != ids->a &&
		   REC_ID(r) != ids->a1 && REC_ID(r) != ids->b) {
		ksft_print_msg("FAIL %s: escaped to id %llu (%s)\n", what,
			       (unsigned long long)REC_ID(r), r->path);
		ok = false;
	}
	free(r);
	return ok;
}

static int child(const struct ids *ids, const char *ns)
{
	struct rec_list got, want;
	struct cg_rec *r = malloc(sizeof(*r));
	struct charge c = { .dev = "card0", .has_busy = true, .busy = 1 };
	struct dump_res res;
	struct ack ack;
	struct nl nl;
	char prefix[PATH_MAX];
	int ret = KSFT_FAIL;

	if (cg_enter(ns, 0) || unshare(CLONE_NEWCGROUP)) {
		ksft_print_msg("enter %s and unshare(CLONE_NEWCGROUP): %s\n", ns,
			       strerror(errno));
		return KSFT_FAIL;
	}
	NL_OPEN(&nl);

	/* Dump: exactly the subtree, paths relative to it. */
	CHECK(expect_ok("dump in the namespace",
			cgs_dump_list(&nl, NULL, NULL, &got, &res)));
	CHECK(!cg_walk_list(ns, &want));
	for (size_t i = 0; i < want.n; i++)
		if (want.r[i].id == ids->ns)
			want.r[i].has_parent = false;
	snprintf(prefix, sizeof(prefix), "%s", ns);
	CHECK(expect_same_set("dump in the namespace", &got, &want, prefix));
	rec_list_free(&got);
	rec_list_free(&want);

	/* Subtree dump by a namespace path. */
	CHECK(expect_ok("dump /a in the namespace",
			cgs_dump_list(&nl, "/a", NULL, &got, &res)));
	CHECK(expect_eq("records in /a", got.n, 2));
	CHECK(expect_true(!strcmp(got.r[0].path, "/a") ||
			  !strcmp(got.r[1].path, "/a"), "/a in its dump"));
	rec_list_free(&got);

	/* Do by path and by id. */
	CHECK(path_is(&nl, "/", ids->ns) && path_is(&nl, "/a", ids->a) &&
	      path_is(&nl, "/a/a1", ids->a1) && path_is(&nl, "/b", ids->b));
	CHECK(expect_ok("get ns root by id", cgs_get_id(&nl, ids->ns, r, &ack)));
	CHECK(expect_true(!strcmp(r->path, "/"), "ns root path by id is /"));
	CHECK(expect_true(!REC_HAS(r, PARENT_ID), "ns root has no parent-id"));
	CHECK(expect_ok("get a1 by id", cgs_get_id(&nl, ids->a1, r, &ack)));
	CHECK(expect_true(!strcmp(r->path, "/a/a1"), "a1 path by id is /a/a1"));
	CHECK(expect_eq("a1 parent-id", REC(r, PARENT_ID), ids->a));

	/* Outside: ENOENT. */
	CHECK(enoent_id(&nl, "real root by id", ids->root));
	CHECK(enoent_id(&nl, "top (ns-test's parent) by id", ids->top));
	CHECK(enoent_id(&nl, "ns-out by id", ids->out));
	CHECK(expect_err("dump by ns-out's id",
			 cgs_dump_list(&nl, NULL, &ids->out, &got, &res), -ENOENT));
	CHECK(expect_eq("records", got.n, 0));
	rec_list_free(&got);
	CHECK(no_escape(&nl, "/..", ids) && no_escape(&nl, "/../ns-out", ids) &&
	      no_escape(&nl, "/a/../..", ids) && no_escape(&nl, "/./..", ids));
	snprintf(prefix, sizeof(prefix), "%s/ns-out", cgt_top());
	CHECK(expect_err("get the outside path", cgs_get_path(&nl, prefix, r, &ack),
			 -ENOENT));

	/* Charge cannot reach outside (we are still root in the init userns). */
	c.id = ids->out;
	CHECK(expect_err("charge ns-out from inside", cgs_charge(&nl, &c, &ack),
			 -ENOENT));
	c.id = ids->a;
	CHECK(expect_ok("charge a from inside", cgs_charge(&nl, &c, &ack)));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	return ret;
}

static int test_nsscope(void)
{
	const char *ns = cgt_path("ns-test"), *out = cgt_path("ns-out");
	struct cg_rec *r = malloc(sizeof(*r));
	struct ids ids;
	struct ack ack;
	struct nl nl;
	pid_t pid;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(ns) && !cg_mkdir(cgt_path("ns-test/a")) &&
	      !cg_mkdir(cgt_path("ns-test/a/a1")) &&
	      !cg_mkdir(cgt_path("ns-test/b")) && !cg_mkdir(out));
	ids = (struct ids){
		.root = cg_id("/"), .top = cg_id(cgt_top()), .ns = cg_id(ns),
		.a = cg_id(cgt_path("ns-test/a")),
		.a1 = cg_id(cgt_path("ns-test/a/a1")),
		.b = cg_id(cgt_path("ns-test/b")), .out = cg_id(out),
	};
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(child(&ids, ns));
	CHECK(expect_eq("namespaced child", cg_wait(pid), KSFT_PASS));
	/* Seen from outside, the namespace's charge landed on ns-test/a. */
	CHECK(expect_ok("get a", cgs_get_id(&nl, ids.a, r, &ack)));
	CHECK(expect_true(rec_gpu(r, "card0"), "a has the charge made inside"));
	CHECK(expect_ok("get ns-out", cgs_get_id(&nl, ids.out, r, &ack)));
	CHECK(expect_true(!rec_gpu(r, "card0"), "ns-out has no charge"));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	return ret;
}

static const struct cgt_case cases[] = {
	{ "cgroup_namespace_scoping", test_nsscope },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
