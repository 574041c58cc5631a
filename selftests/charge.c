// SPDX-License-Identifier: GPL-2.0
/* The admin-only charge command: accepted for root, refused otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "cgtest.h"

static int charge(struct nl *nl, u64 id, const char *dev, u64 busy,
		  u64 queue, u64 mem)
{
	struct charge c = {
		.id = id, .dev = dev,
		.has_busy = true, .busy = busy,
		.has_queue = true, .queue = queue,
		.has_mem = true, .mem = mem,
	};
	struct ack ack;
	int ret = cgs_charge(nl, &c, &ack);

	if (ret)
		ack_print("charge", &ack);
	return ret;
}

/* The gpu nest for dev in rel's record must be exactly busy/queue/mem. */
static bool gpu_is(struct nl *nl, const char *rel, const char *dev,
		   u64 busy, u64 queue, u64 mem)
{
	struct cg_rec *r = malloc(sizeof(*r));
	const struct gpu_rec *g;
	struct ack ack;
	char what[256];
	bool ok = false;

	if (!expect_ok(rel, cgs_get_path(nl, rel, r, &ack)))
		goto out;
	g = rec_gpu(r, dev);
	snprintf(what, sizeof(what), "%s has a gpu nest for %s", rel, dev);
	if (!expect_true(g, what))
		goto out;
	snprintf(what, sizeof(what), "%s %s busy-ns", rel, dev);
	ok = expect_eq(what, g->busy, busy);
	snprintf(what, sizeof(what), "%s %s queue-ns", rel, dev);
	ok &= expect_eq(what, g->queue, queue);
	snprintf(what, sizeof(what), "%s %s mem-bytes", rel, dev);
	ok &= expect_eq(what, g->mem, mem);
out:
	free(r);
	return ok;
}

static bool no_gpu(struct nl *nl, const char *rel, const char *dev)
{
	struct cg_rec *r = malloc(sizeof(*r));
	const struct gpu_rec *g = NULL;
	struct ack ack;
	char what[256];
	bool ok = false;

	if (expect_ok(rel, cgs_get_path(nl, rel, r, &ack))) {
		g = rec_gpu(r, dev);
		snprintf(what, sizeof(what), "%s has no gpu nest for %s", rel, dev);
		ok = expect_true(!g || (!g->busy && !g->queue && !g->mem), what);
	}
	free(r);
	return ok;
}

/*
 *   top
 *   └── gpu
 *       ├── a       card0: busy 1000+1000, queue 500+500, mem 4096 then 8192
 *       └── b
 *           └── c   card0: busy 300, mem 100; card1: busy 7, queue 3, mem 1
 *
 * busy/queue add up, mem-bytes replaces; parents show sums over their
 * subtree per device; the root includes them too.
 */
static int test_charge_rollup(void)
{
	const char *gpu = cgt_path("gpu"), *a = cgt_path("gpu/a"),
		   *b = cgt_path("gpu/b"), *c = cgt_path("gpu/b/c");
	struct cg_rec *root = malloc(sizeof(*root));
	const struct gpu_rec *g;
	struct ack ack;
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(gpu) && !cg_mkdir(a) && !cg_mkdir(b) && !cg_mkdir(c));
	CHECK(expect_ok("charge a", charge(&nl, cg_id(a), "card0", 1000, 500, 4096)));
	CHECK(gpu_is(&nl, a, "card0", 1000, 500, 4096));
	CHECK(expect_ok("charge a", charge(&nl, cg_id(a), "card0", 1000, 500, 8192)));
	CHECK(expect_ok("charge c", charge(&nl, cg_id(c), "card0", 300, 0, 100)));
	CHECK(expect_ok("charge c", charge(&nl, cg_id(c), "card1", 7, 3, 1)));
	CHECK(gpu_is(&nl, a, "card0", 2000, 1000, 8192));
	CHECK(no_gpu(&nl, a, "card1"));
	CHECK(gpu_is(&nl, c, "card0", 300, 0, 100));
	CHECK(gpu_is(&nl, c, "card1", 7, 3, 1));
	CHECK(gpu_is(&nl, b, "card0", 300, 0, 100));
	CHECK(gpu_is(&nl, b, "card1", 7, 3, 1));
	CHECK(gpu_is(&nl, gpu, "card0", 2300, 1000, 8292));
	CHECK(gpu_is(&nl, gpu, "card1", 7, 3, 1));
	CHECK(expect_ok("get /", cgs_get_path(&nl, "/", root, &ack)));
	g = rec_gpu(root, "card0");
	CHECK(expect_true(g, "root has card0"));
	CHECK(expect_ge("root card0 busy-ns", g->busy, 2300));
	CHECK(expect_ge("root card0 mem-bytes", g->mem, 8292));
	ret = KSFT_PASS;
cleanup:
	free(root);
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── p
 *       └── c   card0: busy 300, queue 30, mem 4096; then c is removed
 *
 * Like cpu.stat, p keeps the time its dead child used; the memory c held
 * is no longer held by anyone.
 */
static int test_charge_child_removed(void)
{
	const char *p = cgt_path("p"), *c = cgt_path("p/c");
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(p) && !cg_mkdir(c));
	CHECK(expect_ok("charge c", charge(&nl, cg_id(c), "card0", 300, 30, 4096)));
	CHECK(gpu_is(&nl, p, "card0", 300, 30, 4096));
	CHECK(!cg_rmdir(c));
	usleep(100000);
	CHECK(gpu_is(&nl, p, "card0", 300, 30, 0));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].inheritable &= ~(1u << (CAP_NET_ADMIN % 32));
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

enum unpriv { BY_CAPSET, BY_CAPSET_LATE, BY_SETRESUID };

/* Child: lose the right to charge, then try; reads must still work. */
static int unpriv_child(enum unpriv how, u64 id, u64 root)
{
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	struct nl nl;
	int ret;

	if (how == BY_CAPSET_LATE) {	/* socket opened with the capability */
		NL_OPEN(&nl);
		if (!expect_ok("drop CAP_NET_ADMIN", drop_net_admin()))
			return KSFT_FAIL;
	} else if (how == BY_CAPSET) {
		if (!expect_ok("drop CAP_NET_ADMIN", drop_net_admin()))
			return KSFT_FAIL;
		NL_OPEN(&nl);
	} else {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
			ksft_print_msg("setresuid 65534: %s\n", strerror(errno));
			return KSFT_FAIL;
		}
		NL_OPEN(&nl);
	}
	ret = charge(&nl, id, "unpriv0", 1000, 1000, 1000);
	if (!expect_err("unprivileged charge", ret, -EPERM))
		return KSFT_FAIL;
	if (!expect_ok("unprivileged cgroup-get", cgs_get_id(&nl, root, r, &ack)))
		return KSFT_FAIL;
	nl_close(&nl);
	return KSFT_PASS;
}

/*
 *   top
 *   └── u     charged by root after the refused attempts: only "ok0"
 *
 * Without CAP_NET_ADMIN (dropped with capset before or after opening the
 * socket, or lost by setresuid to 65534) charge fails with EPERM, reads
 * still work, and nothing is recorded.
 */
static int test_charge_unpriv(void)
{
	static const char *const names[] = {
		"capset", "capset after socket", "setresuid 65534",
	};
	const char *u = cgt_path("u");
	u64 id, root = cg_id("/");
	struct nl nl;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(u));
	id = cg_id(u);
	for (int how = BY_CAPSET; how <= BY_SETRESUID; how++) {
		pid_t pid;

		ksft_print_msg("unprivileged by %s\n", names[how]);
		fflush(stdout);
		pid = fork();
		if (!pid)
			_exit(unpriv_child(how, id, root));
		CHECK(expect_eq(names[how], cg_wait(pid), KSFT_PASS));
	}
	CHECK(no_gpu(&nl, u, "unpriv0"));
	CHECK(no_gpu(&nl, "/", "unpriv0"));
	CHECK(expect_ok("root charge", charge(&nl, id, "ok0", 1, 2, 3)));
	CHECK(gpu_is(&nl, u, "ok0", 1, 2, 3));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── dead   created, its id noted, removed
 *
 * Charging an unknown or dead id is ENOENT with the extack on the id
 * attribute, and records nothing.
 */
static int test_charge_unknown(void)
{
	const char *dead = cgt_path("dead");
	struct msg m;
	struct ack ack;
	struct nl nl;
	size_t off;
	u64 id;
	int ret = KSFT_FAIL;

	NL_OPEN(&nl);
	msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
	off = msg_put_u64(&m, CGSHARE_A_CHARGE_ID, 0xfffffffffff0ULL);
	msg_put_str(&m, CGSHARE_A_CHARGE_DEV, "card9");
	msg_put_u64(&m, CGSHARE_A_CHARGE_BUSY_NS, 5);
	CHECK(expect_nack("charge unknown id", nl_transact(&nl, &m, NULL, NULL, &ack),
			  &ack, -ENOENT, off));

	CHECK(!cg_mkdir(dead));
	id = cg_id(dead);
	CHECK(!cg_rmdir(dead));
	msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
	off = msg_put_u64(&m, CGSHARE_A_CHARGE_ID, id);
	msg_put_str(&m, CGSHARE_A_CHARGE_DEV, "card9");
	msg_put_u64(&m, CGSHARE_A_CHARGE_BUSY_NS, 5);
	CHECK(expect_nack("charge removed cgroup", nl_transact(&nl, &m, NULL, NULL,
							      &ack),
			  &ack, -ENOENT, off));
	CHECK(no_gpu(&nl, "/", "card9"));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

/*
 *   top
 *   └── d     only the valid 31-byte device name is recorded
 *
 * dev of 0 or 32+ bytes, a 4-byte busy-ns, a missing dev or id: EINVAL
 * naming the attribute (offset, or missing type), nothing recorded.
 */
static int test_charge_invalid(void)
{
	char dev31[32], dev32[33];
	const char *d = cgt_path("d");
	struct cg_rec *r = malloc(sizeof(*r));
	struct ack ack;
	struct msg m;
	struct nl nl;
	size_t off;
	u64 id;
	u32 four = 4;
	int ret = KSFT_FAIL;

	memset(dev31, 'x', 31);
	dev31[31] = '\0';
	memset(dev32, 'y', 32);
	dev32[32] = '\0';
	NL_OPEN(&nl);
	CHECK(!cg_mkdir(d));
	id = cg_id(d);

	msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
	msg_put_u64(&m, CGSHARE_A_CHARGE_ID, id);
	off = msg_put_str(&m, CGSHARE_A_CHARGE_DEV, "");
	msg_put_u64(&m, CGSHARE_A_CHARGE_BUSY_NS, 5);
	CHECK(expect_nack("empty dev", nl_transact(&nl, &m, NULL, NULL, &ack),
			  &ack, -EINVAL, off));

	msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
	msg_put_u64(&m, CGSHARE_A_CHARGE_ID, id);
	off = msg_put_str(&m, CGSHARE_A_CHARGE_DEV, dev32);
	msg_put_u64(&m, CGSHARE_A_CHARGE_BUSY_NS, 5);
	CHECK(expect_nack("32-byte dev", nl_transact(&nl, &m, NULL, NULL, &ack),
			  &ack, -EINVAL, off));

	msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
	msg_put_u64(&m, CGSHARE_A_CHARGE_ID, id);
	msg_put_str(&m, CGSHARE_A_CHARGE_DEV, "card0");
	off = msg_put(&m, CGSHARE_A_CHARGE_BUSY_NS, &four, 4);
	CHECK(expect_nack("4-byte busy-ns", nl_transact(&nl, &m, NULL, NULL, &ack),
			  &ack, -EINVAL, off));

	msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
	msg_put_u64(&m, CGSHARE_A_CHARGE_ID, id);
	msg_put_u64(&m, CGSHARE_A_CHARGE_BUSY_NS, 5);
	CHECK(expect_nack("missing dev", nl_transact(&nl, &m, NULL, NULL, &ack),
			  &ack, -EINVAL, 0));
	CHECK(expect_true(ack.has_miss, "extack names the missing attribute"));
	CHECK(expect_eq("missing attribute", ack.miss_type, CGSHARE_A_CHARGE_DEV));

	msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
	msg_put_str(&m, CGSHARE_A_CHARGE_DEV, "card0");
	msg_put_u64(&m, CGSHARE_A_CHARGE_BUSY_NS, 5);
	CHECK(expect_nack("missing id", nl_transact(&nl, &m, NULL, NULL, &ack),
			  &ack, -EINVAL, 0));
	CHECK(expect_true(ack.has_miss, "extack names the missing attribute"));
	CHECK(expect_eq("missing attribute", ack.miss_type, CGSHARE_A_CHARGE_ID));

	CHECK(expect_ok("charge 31-byte dev", charge(&nl, id, dev31, 11, 12, 13)));
	CHECK(expect_ok("get d", cgs_get_path(&nl, d, r, &ack)));
	CHECK(expect_eq("gpu nests after one valid charge", r->ngpu, 1));
	CHECK(gpu_is(&nl, d, dev31, 11, 12, 13));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	return ret;
}

static bool dev_char_ok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' ||
	       c == '-';
}

/*
 *   top
 *   └── d     charged only under "ok-name_1.2:3"
 *
 * A device name is ASCII letters, digits and :._- only. Every other byte,
 * 0x01 to 0xff, in the middle of a name (the Latin-1 letters 0xc0, 0xe9
 * and 0xff among them, which the kernel's ctype calls alphabetic) makes
 * the charge fail with EINVAL naming dev, and nothing is recorded.
 */
static int test_charge_dev_ascii(void)
{
	static const char *const latin1[] = {
		"bad\xff" "name", "bad\xe9" "name", "bad\xc0" "name",
	};
	const char *d = cgt_path("d");
	struct cg_rec *r = malloc(sizeof(*r));
	int ret = KSFT_FAIL, accepted = 0, tried = 0;
	struct ack ack;
	struct msg m;
	struct nl nl;
	char name[16];
	size_t off;
	u64 id;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(d));
	id = cg_id(d);
	for (int c = 1; c < 256 + (int)ARRAY_SIZE(latin1); c++) {
		const char *dev = name;
		int err;

		if (c < 256) {
			if (dev_char_ok(c))
				continue;
			snprintf(name, sizeof(name), "bad%cname", c);
		} else {
			dev = latin1[c - 256];
		}
		msg_init(&m, nl.family, CGSHARE_CMD_CHARGE, 0);
		msg_put_u64(&m, CGSHARE_A_CHARGE_ID, id);
		off = msg_put_str(&m, CGSHARE_A_CHARGE_DEV, dev);
		msg_put_u64(&m, CGSHARE_A_CHARGE_BUSY_NS, 5);
		err = nl_transact(&nl, &m, NULL, NULL, &ack);
		tried++;
		if (err == -EINVAL && ack.has_offs && ack.offs == off)
			continue;
		accepted++;
		ksft_print_msg("FAIL device name \"bad\\x%02xname\": want EINVAL at dev\n",
			       (unsigned char)dev[3]);
		ack_print("  got", &ack);
	}
	ksft_print_msg("%d names with a byte outside [A-Za-z0-9:._-] tried\n",
		       tried);
	CHECK(expect_eq("names with bytes outside [A-Za-z0-9:._-] not refused",
			accepted, 0));
	CHECK(expect_ok("get d", cgs_get_path(&nl, d, r, &ack)));
	CHECK(expect_eq("gpu nests of d after the refusals", r->ngpu, 0));
	CHECK(expect_ok("charge ok-name_1.2:3",
			charge(&nl, id, "ok-name_1.2:3", 1, 2, 3)));
	CHECK(gpu_is(&nl, d, "ok-name_1.2:3", 1, 2, 3));
	ret = KSFT_PASS;
cleanup:
	free(r);
	nl_close(&nl);
	return ret;
}

/* One charge of a single counter; *off is that attribute's offset. */
static int charge_one(struct nl *nl, u64 id, const char *dev, u16 type,
		      u64 v, size_t *off, struct ack *ack)
{
	struct msg m;

	msg_init(&m, nl->family, CGSHARE_CMD_CHARGE, 0);
	msg_put_u64(&m, CGSHARE_A_CHARGE_ID, id);
	msg_put_str(&m, CGSHARE_A_CHARGE_DEV, dev);
	*off = msg_put_u64(&m, type, v);
	return nl_transact(nl, &m, NULL, NULL, ack);
}

/* Value of one counter of rel's nest for dev, or 0 without one. */
static u64 gpu_val(struct nl *nl, const char *rel, const char *dev, u16 type)
{
	struct cg_rec *r = malloc(sizeof(*r));
	const struct gpu_rec *g;
	struct ack ack;
	u64 v = 0;

	if (!cgs_get_path(nl, rel, r, &ack) && (g = rec_gpu(r, dev)))
		v = type == CGSHARE_A_CHARGE_BUSY_NS ? g->busy :
		    type == CGSHARE_A_CHARGE_QUEUE_NS ? g->queue : g->mem;
	free(r);
	return v;
}

#define HALF	(1ULL << 63)

/*
 *   top
 *   └── p
 *       ├── a     busy-ns 2^63 on W, then 2^63 again (a would wrap)
 *       └── b     busy-ns 2^63 on W (b fits, p would wrap);
 *                 the same for queue-ns on W and for mem-bytes on M
 *
 * A charge that would wrap any counter of the chain, the cgroup's own or
 * an ancestor's sum, is refused whole with EOVERFLOW, the extack at the
 * attribute, and changes nothing: counters never go backwards. W and M
 * are named after p's id, new on every run.
 */
static int test_charge_no_wrap(void)
{
	static const u16 types[] = {
		CGSHARE_A_CHARGE_BUSY_NS, CGSHARE_A_CHARGE_QUEUE_NS,
		CGSHARE_A_CHARGE_MEM_BYTES,
	};
	static const char *const names[] = { "busy-ns", "queue-ns", "mem-bytes" };
	const char *p = cgt_path("p"), *a = cgt_path("p/a"), *b = cgt_path("p/b");
	int ret = KSFT_FAIL;
	char dev[32], what[128];
	struct ack ack;
	struct nl nl;
	size_t off;
	int err;

	NL_OPEN(&nl);
	CHECK(!cg_mkdir(p) && !cg_mkdir(a) && !cg_mkdir(b));
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		u16 t = types[i];

		snprintf(dev, sizeof(dev), "wrap%zu-%llu", i,
			 (unsigned long long)cg_id(p));
		snprintf(what, sizeof(what), "a %s 2^63", names[i]);
		CHECK(expect_ok(what, charge_one(&nl, cg_id(a), dev, t, HALF, &off,
						 &ack)));
		CHECK(expect_eq(what, gpu_val(&nl, a, dev, t), HALF));
		CHECK(expect_eq(what, gpu_val(&nl, p, dev, t), HALF));

		if (t != CGSHARE_A_CHARGE_MEM_BYTES) {
			/* mem-bytes is set, not added: a cannot wrap itself. */
			err = charge_one(&nl, cg_id(a), dev, t, HALF, &off, &ack);
			snprintf(what, sizeof(what),
				 "a %s after a second 2^63 (never backwards)", names[i]);
			CHECK(expect_eq(what, gpu_val(&nl, a, dev, t), HALF));
			snprintf(what, sizeof(what), "p %s after a's second 2^63", names[i]);
			CHECK(expect_eq(what, gpu_val(&nl, p, dev, t), HALF));
			snprintf(what, sizeof(what), "a second 2^63 %s on a", names[i]);
			CHECK(expect_nack(what, err, &ack, -EOVERFLOW, off));
		}

		err = charge_one(&nl, cg_id(b), dev, t, HALF, &off, &ack);
		snprintf(what, sizeof(what),
			 "p %s after b's 2^63 (the sum of a and b, never backwards)",
			 names[i]);
		CHECK(expect_eq(what, gpu_val(&nl, p, dev, t), HALF));
		snprintf(what, sizeof(what), "b %s after its refused 2^63", names[i]);
		CHECK(expect_eq(what, gpu_val(&nl, b, dev, t), 0));
		snprintf(what, sizeof(what), "2^63 %s on b, wrapping p", names[i]);
		CHECK(expect_nack(what, err, &ack, -EOVERFLOW, off));

		snprintf(what, sizeof(what), "b %s 2^62 still fits", names[i]);
		CHECK(expect_ok(what, charge_one(&nl, cg_id(b), dev, t, HALF / 2,
						 &off, &ack)));
		CHECK(expect_eq(what, gpu_val(&nl, p, dev, t), HALF + HALF / 2));
	}
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

static const struct cgt_case cases[] = {
	{ "charge_root_visible_rollup", test_charge_rollup },
	{ "charge_child_removed", test_charge_child_removed },
	{ "charge_unprivileged_refused", test_charge_unpriv },
	{ "charge_unknown_or_dead_id", test_charge_unknown },
	{ "charge_invalid_attrs", test_charge_invalid },
	{ "charge_dev_name_ascii_only", test_charge_dev_ascii },
	{ "charge_counters_never_wrap", test_charge_no_wrap },
};

int main(int argc, char **argv)
{
	return cgt_main(argc, argv, cases, ARRAY_SIZE(cases));
}
