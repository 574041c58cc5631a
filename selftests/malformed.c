// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed cgroup-get requests are refused with an extended ACK that names
 * the bad attribute, change nothing, and leave the family answering.
 *
 *   /          the module must still return it after every refusal
 *   └── top    generation and nr-cgroups must not move
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgtest.h"

static struct status_rec before;

static bool still_answers(struct nl *nl)
{
	struct cg_rec *r = malloc(sizeof(*r));
	struct status_rec s;
	struct ack ack;
	bool ok;

	ok = expect_ok("get / after the refusal", cgs_get_path(nl, "/", r, &ack)) &&
	     expect_eq("root id", REC_ID(r), cg_id("/")) &&
	     expect_ok("status-get", cgs_status(nl, &s, &ack)) &&
	     expect_eq("generation unchanged", s.generation, before.generation) &&
	     expect_eq("nr-cgroups unchanged", s.nr_cgroups, before.nr_cgroups);
	free(r);
	return ok;
}

/* Send m as a do (and as a dump when dump is set), expect want + offset. */
static int refuse(struct nl *nl, struct msg *m, int want, size_t off,
		  int miss, bool dump)
{
	struct dump_res res;
	struct ack ack;
	struct msg copy;
	int ret;

	memcpy(&copy, m, m->nlh.nlmsg_len);
	if (cgs_status(nl, &before, &ack)) {
		ack_print("status-get", &ack);
		return KSFT_FAIL;
	}
	ret = nl_transact(nl, m, NULL, NULL, &ack);
	if (!expect_nack("do", ret, &ack, want, off))
		return KSFT_FAIL;
	if (!off && !miss && !expect_true(ack.has_msg || ack.has_offs,
					  "extack carries a message or an offset"))
		return KSFT_FAIL;
	if (miss && !(expect_true(ack.has_miss, "extack has the missing attribute") &&
		      expect_eq("missing attribute type", ack.miss_type, miss)))
		return KSFT_FAIL;
	if (dump) {
		ret = nl_dump(nl, &copy, NULL, NULL, NULL, NULL, &res);
		if (!expect_nack("dump", ret, &res.ack, want, 0))
			return KSFT_FAIL;
		if (!expect_eq("dump records before the error", res.nmsgs, 1))
			return KSFT_FAIL;
	}
	return still_answers(nl) ? KSFT_PASS : KSFT_FAIL;
}

/* Open the family, note the status to compare with, start a cgroup-get. */
static int get_req(struct nl *nl, struct msg *m)
{
	struct ack ack;
	int err = nl_open(nl);

	if (err) {
		cgt_reason("family " CGSHARE_FAMILY_NAME " not usable: %s",
			   strerror(-err));
		return err;
	}
	msg_init(m, nl->family, CGSHARE_CMD_CGROUP_GET, 0);
	return cgs_status(nl, &before, &ack);
}

#define SETUP(nl, m) do { if (get_req(nl, m)) return KSFT_FAIL; } while (0)

/* do with neither id nor path: EINVAL, extack missing-attr. */
static int test_missing_id(void)
{
	struct nl nl;
	struct msg m;
	struct ack ack;
	int ret;

	SETUP(&nl, &m);
	if (cgs_status(&nl, &before, &ack))
		return KSFT_FAIL;
	ret = nl_transact(&nl, &m, NULL, NULL, &ack);
	if (!expect_nack("do without id or path", ret, &ack, -EINVAL, 0) ||
	    !expect_true(ack.has_miss, "extack has the missing attribute") ||
	    !expect_true(ack.miss_type == CGSHARE_A_CGROUP_ID ||
			 ack.miss_type == CGSHARE_A_CGROUP_PATH,
			 "missing attribute is id or path"))
		return KSFT_FAIL;
	return still_answers(&nl) ? KSFT_PASS : KSFT_FAIL;
}

/* Both id and path: EINVAL with an extack. */
static int test_both(void)
{
	struct nl nl;
	struct msg m;

	SETUP(&nl, &m);
	msg_put_u64(&m, CGSHARE_A_CGROUP_ID, cg_id("/"));
	msg_put_str(&m, CGSHARE_A_CGROUP_PATH, "/");
	return refuse(&nl, &m, -EINVAL, 0, 0, true);
}

/* id of 4 bytes (u64 wanted): EINVAL at the id. */
static int test_short_id(void)
{
	u32 id = (u32)cg_id("/");
	struct nl nl;
	struct msg m;
	size_t off;

	SETUP(&nl, &m);
	off = msg_put(&m, CGSHARE_A_CGROUP_ID, &id, sizeof(id));
	return refuse(&nl, &m, -EINVAL, off, 0, true);
}

/* id of 12 bytes: EINVAL at the id (strict validation). */
static int test_long_id(void)
{
	char id[12] = { 0 };
	u64 root = cg_id("/");
	struct nl nl;
	struct msg m;
	size_t off;

	memcpy(id, &root, 8);
	SETUP(&nl, &m);
	off = msg_put(&m, CGSHARE_A_CGROUP_ID, id, sizeof(id));
	return refuse(&nl, &m, -EINVAL, off, 0, true);
}

/* An attribute type the spec does not have (200): EINVAL at it. */
static int test_unknown_attr(void)
{
	struct nl nl;
	struct msg m;
	size_t off;

	SETUP(&nl, &m);
	msg_put_u64(&m, CGSHARE_A_CGROUP_ID, cg_id("/"));
	off = msg_put_u64(&m, 200, 1);
	return refuse(&nl, &m, -EINVAL, off, 0, true);
}

/* A known reply attribute not in the request (parent-id): EINVAL at it. */
static int test_reply_attr_in_request(void)
{
	struct nl nl;
	struct msg m;
	size_t off;

	SETUP(&nl, &m);
	msg_put_u64(&m, CGSHARE_A_CGROUP_ID, cg_id("/"));
	off = msg_put_u64(&m, CGSHARE_A_CGROUP_CPU_USAGE_NS, 1);
	return refuse(&nl, &m, -EINVAL, off, 0, true);
}

/* An id that is no cgroup: ENOENT at the id. */
static int test_unknown_id(void)
{
	struct nl nl;
	struct msg m;
	size_t off;

	SETUP(&nl, &m);
	off = msg_put_u64(&m, CGSHARE_A_CGROUP_ID, 0xfffffffffff0ULL);
	return refuse(&nl, &m, -ENOENT, off, 0, true);
}

/* A path that is no cgroup: ENOENT at the path. */
static int test_bogus_path(void)
{
	struct nl nl;
	struct msg m;
	size_t off;

	SETUP(&nl, &m);
	off = msg_put_str(&m, CGSHARE_A_CGROUP_PATH, "/no/such/cgroup");
	return refuse(&nl, &m, -ENOENT, off, 0, true);
}

/* A path naming a file, not a cgroup: ENOENT at the path. */
static int test_file_path(void)
{
	char *p = cgt_path("cgroup.procs");
	struct nl nl;
	struct msg m;
	size_t off;

	SETUP(&nl, &m);
	off = msg_put_str(&m, CGSHARE_A_CGROUP_PATH, p);
	return refuse(&nl, &m, -ENOENT, off, 0, false);
}

/* A relative path: refused at the path. */
static int test_relative_path(void)
{
	const char *p = cgt_top() + 1;		/* "cgst-malformed" */
	struct nl nl;
	struct msg m;
	struct ack ack;
	size_t off;
	int ret;

	SETUP(&nl, &m);
	off = msg_put_str(&m, CGSHARE_A_CGROUP_PATH, p);
	ret = nl_transact(&nl, &m, NULL, NULL, &ack);
	ack_print("relative path", &ack);
	if (!expect_true(ret == -EINVAL || ret == -ENOENT,
			 "relative path refused with EINVAL or ENOENT") ||
	    !expect_true(ack.has_offs && ack.offs == off,
			 "extack points at the path"))
		return KSFT_FAIL;
	return still_answers(&nl) ? KSFT_PASS : KSFT_FAIL;
}

/* An empty path (just the NUL): refused at the path. */
static int test_empty_path(void)
{
	struct nl nl;
	struct msg m;
	struct ack ack;
	size_t off;
	int ret;

	SETUP(&nl, &m);
	off = msg_put_str(&m, CGSHARE_A_CGROUP_PATH, "");
	ret = nl_transact(&nl, &m, NULL, NULL, &ack);
	ack_print("empty path", &ack);
	if (!expect_true(ret == -EINVAL || ret == -ENOENT,
			 "empty path refused with EINVAL or ENOENT") ||
	    !expect_true(ack.has_offs && ack.offs == off,
			 "extack points at the path"))
		return KSFT_FAIL;
	return still_answers(&nl) ? KSFT_PASS : KSFT_FAIL;
}

/* A path without its NUL: EINVAL at the path. */
static int test_unterminated_path(void)
{
	struct nl nl;
	struct msg m;
	size_t off;

	SETUP(&nl, &m);
	off = msg_put(&m, CGSHARE_A_CGROUP_PATH, "/abcdefg", 8);
	return refuse(&nl, &m, -EINVAL, off, 0, true);
}

/* A terminated path longer than PATH_MAX: refused at the path. */
static int test_overlong_path(void)
{
	size_t len = PATH_MAX + 100;
	char *p = malloc(len + 1);
	struct nl nl;
	struct msg m;
	struct ack ack;
	size_t off;
	int ret;

	for (size_t i = 0; i < len; i++)
		p[i] = i % 8 ? 'a' : '/';
	p[len] = '\0';
	SETUP(&nl, &m);
	off = msg_put_str(&m, CGSHARE_A_CGROUP_PATH, p);
	ret = nl_transact(&nl, &m, NULL, NULL, &ack);
	ack_print("overlong path", &ack);
	if (!expect_true(ret == -EINVAL || ret == -ENAMETOOLONG || ret == -ERANGE ||
			 ret == -ENOENT, "overlong path refused") ||
	    !expect_true(ack.has_offs && ack.offs == off,
			 "extack points at the path"))
		return KSFT_FAIL;
	free(p);
	return still_answers(&nl) ? KSFT_PASS : KSFT_FAIL;
}

/* An attribute whose length runs past the message: EINVAL. */
static int test_truncated_attr(void)
{
	struct nl nl;
	struct msg m;
	struct nlattr *a;
	size_t off;

	SETUP(&nl, &m);
	off = msg_put_u64(&m, CGSHARE_A_CGROUP_ID, cg_id("/"));
	a = (struct nlattr *)(m.buf + off);
	a->nla_len = 64;		/* message ends after 12 bytes */
	return refuse(&nl, &m, -EINVAL, 0, 0, false);
}

/* A command the family does not have: EOPNOTSUPP. */
static int test_unknown_cmd(void)
{
	struct nl nl;
	struct msg m;
	struct ack ack;
	int ret;

	SETUP(&nl, &m);
	((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->cmd = 99;
	ret = nl_transact(&nl, &m, NULL, NULL, &ack);
	if (!expect_nack("unknown command", ret, &ack, -EOPNOTSUPP, 0))
		return KSFT_FAIL;
	return still_answers(&nl) ? KSFT_PASS : KSFT_FAIL;
}

/* The event command is not a request. */
static int test_event_cmd(void)
{
	struct nl nl;
	struct msg m;
	struct ack ack;
	int ret;

	SETUP(&nl, &m);
	((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->cmd = CGSHARE_CMD_CGROUP_RELEASE;
	msg_put_u64(&m, CGSHARE_A_CGROUP_ID, cg_id("/"));
	ret = nl_transact(&nl, &m, NULL, NULL, &ack);
	if (!expect_nack("cgroup-release as a request", ret, &ack, -EOPNOTSUPP, 0))
		return KSFT_FAIL;
	return still_answers(&nl) ? KSFT_PASS : KSFT_FAIL;
}

/*
 * Thousands of bad cgroup-get and charge requests in a row (one random
 * attribute of random length, bytes that are never '/' or NUL) are all
 * refused, and the module still answers.
 */
static int test_barrage(void)
{
	struct nl nl;
	struct msg m;
	struct ack ack;
	int accepted = 0;

	SETUP(&nl, &m);
	if (cgs_status(&nl, &before, &ack))
		return KSFT_FAIL;
	for (u32 i = 0; i < 3000; i++) {
		u32 h = i * 2654435761u;
		u8 cmd = i % 2 ? CGSHARE_CMD_CHARGE : CGSHARE_CMD_CGROUP_GET;
		u16 type = h % 64;
		size_t len = (h >> 8) % 13;
		u8 data[16];

		for (size_t j = 0; j < sizeof(data); j++)
			data[j] = 0x80 | ((i + j) & 0x7f);
		msg_init(&m, nl.family, cmd, 0);
		msg_put(&m, type, data, len);
		if (nl_transact(&nl, &m, NULL, NULL, &ack) >= 0 && accepted++ < 5)
			ksft_print_msg("FAIL request %u (cmd %u, attr %u, %zu bytes) accepted\n",
				       i, cmd, type, len);
	}
	if (!expect_eq("bad requests accepted", accepted, 0))
		return KSFT_FAIL;
	return still_answers(&nl) ? KSFT_PASS : KSFT_FAIL;
}

static const struct cgt_case cases[] = {
	{ "missing_id_and_path", test_missing_id },
	{ "both_id_and_path", test_both },
	{ "id_4_bytes", test_short_id },
	{ "id_12_bytes", test_long_id },
	{ "unknown_attr_type", test_unknown_attr },
	{ "reply_attr_in_request", test_reply_attr_in_request },
	{ "unknown_id", test_unknown_id },
	{ "bogus_path", test_bogus_path },
	{ "path_of_a_file", test_file_path },
	{ "relative_path", test_relative_path },
	{ "empty_path", test_empty_path },
	{ "unterminated_path", test_unterminated_path },
	{ "overlong_path", test_overlong_path },
	{ "truncated_attr", test_truncated_attr },
	{ "unknown_cmd", test_unknown_cmd },
	{ "event_cmd_as_request", test_event_cmd },
	{ "barrage_then_answers", test_barrage },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
