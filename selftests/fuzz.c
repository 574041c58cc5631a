// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz [-n COUNT] [-s SEED] [CASE...]: random and malformed generic netlink
 * requests to the cgshare family. COUNT messages in all (default
 * $CGSHARE_FUZZ_COUNT, else 100000): a tenth from an unprivileged user in a
 * quiet phase, the rest from root and the unprivileged user at once while
 * cgroups are created and removed, GPU charges arrive (the charge op, and
 * the BPF collectors on vgem fences where the module has BTF) and a
 * watcher dumps every record over and over. The messages are a function
 * of SEED alone (printed; $CGSHARE_FUZZ_SEED or the clock by default), so
 * `fuzz -s SEED -n COUNT` sends them again.
 *
 * Every request asks for an ACK and must be answered: data replies (at
 * most one for a do), then exactly one NLMSG_ERROR or NLMSG_DONE. What the
 * generator knows to be wrong must be refused, with the error and the
 * extack offset it planted where the kernel's order of checks makes them
 * certain; what it knows to be right must succeed. Every refusal from the
 * module's own handlers names its cause in the extack. Counters never go
 * backwards, and in the quiet phase no unprivileged request changes any
 * record or counter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "cgtest.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define DEFAULT_COUNT	100000
#define BATCH		16	/* requests per sendmsg (root) */
#define MAX_MSG		(72 * 1024)
#define RECV_BUF	(192 * 1024)
#define ANSWER_MS	30000	/* a batch not answered by then fails */
#define SLOTS		16	/* churned cgroups */
#define NAMES		200	/* valid device names the fuzzer charges */
#define NOBODY		65534

static u64 seed, count;
static u16 family;

/* ------------------------------------------------------------ random */

struct rng {
	u64 s;
};

static u64 rnd(struct rng *r)
{
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u32 below(struct rng *r, u32 n)
{
	return (u32)(rnd(r) % n);
}

/* Message i of stream k, whoever sends it and whenever. */
static void rng_for(struct rng *r, u64 stream, u64 i)
{
	r->s = seed ^ (stream << 56) ^ (i * 0xd1b54a32d192ed03ULL);
	rnd(r);
}

/* ------------------------------------------------- raw message builder */

struct mbuf {
	u8 b[MAX_MSG];
	size_t len;
};

static struct nlmsghdr *mhdr(struct mbuf *m)
{
	return (struct nlmsghdr *)m->b;
}

static void m_init(struct mbuf *m, u8 cmd, u16 flags)
{
	struct genlmsghdr *g;

	memset(m->b, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	mhdr(m)->nlmsg_type = family;
	mhdr(m)->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = NLMSG_DATA(mhdr(m));
	g->cmd = cmd;
	g->version = CGSHARE_FAMILY_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

static bool room(const struct mbuf *m, size_t n)
{
	return m->len + n <= sizeof(m->b);
}

/* An attribute whose header says hdr_len; its payload is len bytes. */
static size_t m_attr_raw(struct mbuf *m, u16 type, u16 hdr_len, const void *data, size_t len)
{
	size_t off = m->len;
	struct nlattr a = { .nla_len = hdr_len, .nla_type = type };

	if (!room(m, NLA_HDRLEN + NLA_ALIGN(len)))
		return 0;
	memcpy(m->b + off, &a, sizeof(a));
	if (len)
		memcpy(m->b + off + NLA_HDRLEN, data, len);
	memset(m->b + off + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
	return off;
}

static size_t m_attr(struct mbuf *m, u16 type, const void *data, size_t len)
{
	return m_attr_raw(m, type, NLA_HDRLEN + len, data, len);
}

static size_t m_u64(struct mbuf *m, u16 type, u64 v)
{
	return m_attr(m, type, &v, sizeof(v));
}

static size_t m_str(struct mbuf *m, u16 type, const char *s)
{
	return m_attr(m, type, s, strlen(s) + 1);
}

static void m_bytes(struct rng *r, u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (u8)rnd(r);
}

static void m_finish(struct mbuf *m)
{
	mhdr(m)->nlmsg_len = (u32)m->len;
}

/* ------------------------------------------------------ what to expect */

enum { EXP_ANY, EXP_OK, EXP_ERR };

struct expect {
	u32 seq;
	u8 kind;
	int err;		/* EXP_ERR: this -errno, or 0 for any */
	int err_alt;		/* or this one, where kernels differ */
	u32 offs;		/* EXP_ERR: extack offset to check, or 0 */
	bool one_reply;		/* a successful do with exactly one reply */
	bool dump;
	bool core;		/* refused by the netlink core: no extack */
	const char *shape;
	u64 index;
	/* what came back */
	bool done;
	int got;
	bool has_offs, has_msg, has_miss;
	u32 got_offs;
	u32 replies;
	size_t len;		/* the request, for the report */
	u8 req[256];
};

/* The cgroups the generator names; ids of the stable ones are fixed. */
struct targets {
	u64 root_id, top_id, stable_id[4];
	char top[64], stable[4][96], slot[SLOTS][96];
	char names[NAMES][CGSHARE_DEV_NAME_LEN];
};

static struct targets *tg;

static const char dev_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-";

static void valid_name(struct rng *r, char *out, size_t len)
{
	size_t n = 1 + below(r, len - 1);

	for (size_t i = 0; i < n; i++)
		out[i] = dev_chars[below(r, sizeof(dev_chars) - 1)];
	out[n] = '\0';
}

/* A byte that may not stand in a device name. */
static char bad_dev_char(struct rng *r)
{
	for (;;) {
		int c = 1 + (int)below(r, 255);

		if (!memchr(dev_chars, c, sizeof(dev_chars) - 1))
			return (char)c;
	}
}

/* ---------------------------------------------------------- generator */

static u64 pick_id(struct rng *r)
{
	switch (below(r, 4)) {
	case 0:
		return tg->root_id;
	case 1:
		return tg->top_id;
	default:
		return tg->stable_id[below(r, 4)];
	}
}

static const char *pick_path(struct rng *r, bool *stable)
{
	unsigned int k = below(r, 8);

	*stable = k < 5;
	if (k == 0)
		return "/";
	if (k == 1)
		return tg->top;
	if (k < 5)
		return tg->stable[k - 1];
	return tg->slot[below(r, SLOTS)];
}

static u64 pick_u64(struct rng *r)
{
	static const u64 edge[] = { 0, 1, 4095, 1ULL << 32, 1ULL << 62, 1ULL << 63,
				    ~0ULL, ~0ULL - 1 };

	if (below(r, 4) == 0)
		return edge[below(r, ARRAY_SIZE(edge))];
	return below(r, 2) ? below(r, 1000000) : rnd(r);
}

/* A valid cgroup-get selector (one id or one path); false if it may be gone. */
static bool put_selector(struct rng *r, struct mbuf *m)
{
	bool stable = true;

	if (below(r, 2))
		m_u64(m, CGSHARE_A_CGROUP_ID, pick_id(r));
	else
		m_str(m, CGSHARE_A_CGROUP_PATH, pick_path(r, &stable));
	return stable;
}

static void put_charge_body(struct rng *r, struct mbuf *m, bool huge)
{
	m_u64(m, CGSHARE_A_CHARGE_ID, pick_id(r));
	m_str(m, CGSHARE_A_CHARGE_DEV, tg->names[below(r, NAMES)]);
	if (below(r, 2))
		m_u64(m, CGSHARE_A_CHARGE_BUSY_NS, huge ? pick_u64(r) : below(r, 1000000));
	if (below(r, 2))
		m_u64(m, CGSHARE_A_CHARGE_QUEUE_NS, huge ? pick_u64(r) : below(r, 1000000));
	if (below(r, 3) == 0)
		m_u64(m, CGSHARE_A_CHARGE_MEM_BYTES, huge ? pick_u64(r) : below(r, 1 << 20));
}

/*
 * One attribute that the policy of cgroup-get or charge refuses, at the
 * end of the message. Returns its offset, or 0 when the break is in the
 * framing (no attribute for the extack to point at).
 */
static size_t put_bad_attr(struct rng *r, struct mbuf *m, u8 cmd, const char **shape)
{
	u16 maxattr = cmd == CGSHARE_CMD_CHARGE ? CGSHARE_A_CHARGE_MAX : CGSHARE_A_CGROUP_PATH;
	bool str_type = below(r, 2);
	u16 str = cmd == CGSHARE_CMD_CHARGE ? CGSHARE_A_CHARGE_DEV : CGSHARE_A_CGROUP_PATH;
	u16 u64t = cmd == CGSHARE_CMD_CHARGE ? CGSHARE_A_CHARGE_BUSY_NS : CGSHARE_A_CGROUP_ID;
	static u8 junk[40000];
	size_t len;

	switch (below(r, 9)) {
	case 0:
		*shape = "attr: type beyond the policy";
		len = below(r, 16);
		m_bytes(r, junk, len);
		return m_attr(m, maxattr + 1 + below(r, NLA_TYPE_MASK - maxattr), junk, len);
	case 1:
		*shape = "attr: type 0";
		return m_u64(m, 0, rnd(r));
	case 2:
		*shape = "attr: u64 of the wrong length";
		len = below(r, 2) ? below(r, 8) : 9 + below(r, 24);
		m_bytes(r, junk, len);
		return m_attr(m, u64t, junk, len);
	case 3:
		*shape = "attr: unterminated string";
		len = 1 + below(r, 64);
		memset(junk, 'a' + below(r, 26), len);
		return m_attr(m, str, junk, len);
	case 4:
		*shape = "attr: string too long";
		len = (cmd == CGSHARE_CMD_CHARGE ? CGSHARE_DEV_NAME_LEN : PATH_MAX) + 1 + below(r, 64);
		memset(junk, 'b', len);
		junk[0] = '/';
		junk[len - 1] = '\0';
		return m_attr(m, str, junk, len);
	case 5:
		*shape = "attr: NLA_F_NESTED on a scalar";
		if (str_type) {
			return m_str(m, str | NLA_F_NESTED, "/");
		}
		return m_u64(m, u64t | NLA_F_NESTED, 1);
	case 6: {
		struct mbuf *inner = malloc(sizeof(*inner));
		size_t off;

		*shape = "attr: a nest where a scalar goes";
		inner->len = 0;
		for (int i = below(r, 4); i >= 0; i--) {
			len = below(r, 12);
			m_bytes(r, junk, len);
			m_attr(inner, below(r, 8), junk, len);
		}
		off = m_attr(m, (below(r, 2) ? str : u64t) | NLA_F_NESTED, inner->b, inner->len);
		free(inner);
		return off;
	}
	case 7:
		*shape = "attr: oversized";
		len = 4096 + below(r, sizeof(junk) - 4096);
		m_bytes(r, junk, len);
		return m_attr(m, below(r, 2) ? str : u64t, junk, len);
	default:
		/* The framing breaks: the extack has no attribute to name. */
		switch (below(r, 3)) {
		case 0:
			*shape = "frame: attribute longer than the message";
			m_attr_raw(m, u64t, NLA_HDRLEN + 8 + 4 * (1 + below(r, 64)), junk, 8);
			break;
		case 1:
			*shape = "frame: attribute length below its header";
			m_attr_raw(m, u64t, below(r, NLA_HDRLEN), junk, 4);
			break;
		default:
			*shape = "frame: bytes after the last attribute";
			len = 1 + below(r, 3);
			m_bytes(r, junk, len);
			memcpy(m->b + m->len, junk, len);
			m->len += len;
			break;
		}
		return 0;
	}
}

/*
 * Message i of stream k into m, and what to expect of it. @priv: the sender
 * has CAP_NET_ADMIN. Sets *dump when the request is a dump.
 */
static void generate(u64 stream, u64 i, bool priv, struct mbuf *m, struct expect *e,
		     bool *dump)
{
	struct rng r;
	u8 cmd;
	u16 flags = 0;
	size_t off;
	char name[sizeof(tg->top) + 16];

	rng_for(&r, stream, i);
	memset(e, 0, sizeof(*e));
	e->index = i;
	e->kind = EXP_ANY;
	*dump = false;

	switch (below(&r, 20)) {
	case 0:
		e->shape = "valid: status-get";
		m_init(m, CGSHARE_CMD_STATUS_GET, 0);
		e->kind = EXP_OK;
		e->one_reply = true;
		break;
	case 1:
	case 2:
		e->shape = "valid: cgroup-get";
		m_init(m, CGSHARE_CMD_CGROUP_GET, 0);
		if (put_selector(&r, m)) {
			e->kind = EXP_OK;
			e->one_reply = true;
		}
		break;
	case 3:
		e->shape = "valid: cgroup-get dump";
		m_init(m, CGSHARE_CMD_CGROUP_GET, NLM_F_DUMP);
		*dump = true;
		if (below(&r, 2))
			m_str(m, CGSHARE_A_CGROUP_PATH, tg->top);
		e->kind = EXP_OK;
		break;
	case 4:
	case 5:
		e->shape = "valid: charge";
		m_init(m, CGSHARE_CMD_CHARGE, 0);
		put_charge_body(&r, m, below(&r, 8) == 0);
		if (!priv) {
			e->kind = EXP_ERR;
			e->err = -EPERM;
		}
		break;
	case 6:
		e->shape = "header: unknown command";
		e->core = true;
		do {
			cmd = (u8)rnd(&r);
		} while (cmd >= CGSHARE_CMD_CGROUP_GET && cmd <= CGSHARE_CMD_STATUS_GET);
		m_init(m, cmd, below(&r, 4) ? 0 : NLM_F_DUMP);
		*dump = mhdr(m)->nlmsg_flags & NLM_F_DUMP;
		e->kind = EXP_ERR;
		e->err = -EOPNOTSUPP;
		break;
	case 7:
		e->shape = "header: reserved byte set";
		e->core = true;
		m_init(m, 1 + below(&r, 3), 0);
		((struct genlmsghdr *)NLMSG_DATA(mhdr(m)))->reserved = 1 + below(&r, 65535);
		e->kind = EXP_ERR;
		e->err = -EINVAL;
		break;
	case 8:
		e->shape = "header: genl header cut short";
		e->core = true;
		m_init(m, 1 + below(&r, 3), 0);
		m->len = NLMSG_HDRLEN + below(&r, GENL_HDRLEN);
		e->kind = EXP_ERR;
		e->err = -EINVAL;
		break;
	case 9:
		e->shape = "header: dump of a do-only op";
		e->core = true;
		cmd = below(&r, 2) ? CGSHARE_CMD_CHARGE : CGSHARE_CMD_STATUS_GET;
		m_init(m, cmd, NLM_F_DUMP);
		*dump = true;
		e->kind = EXP_ERR;
		e->err = -EOPNOTSUPP;
		/*
		 * Before split ops (6.2) the core checked an admin op's
		 * permission before whether it has a dump: 6.1 says EPERM.
		 */
		if (cmd == CGSHARE_CMD_CHARGE && !priv)
			e->err_alt = -EPERM;
		break;
	case 10:
	case 11:
	case 12:
	case 13:
	case 14: {
		static const u8 cmds[] = { CGSHARE_CMD_CGROUP_GET, CGSHARE_CMD_CGROUP_GET,
					   CGSHARE_CMD_CHARGE };

		cmd = cmds[below(&r, 3)];
		flags = cmd == CGSHARE_CMD_CGROUP_GET && below(&r, 3) == 0 ? NLM_F_DUMP : 0;
		m_init(m, cmd, flags);
		*dump = flags;
		if (cmd == CGSHARE_CMD_CHARGE)
			put_charge_body(&r, m, false);
		else
			put_selector(&r, m);
		off = put_bad_attr(&r, m, cmd, &e->shape);
		e->kind = EXP_ERR;
		if (cmd == CGSHARE_CMD_CHARGE && !priv)
			e->err = -EPERM;	/* checked before the attributes */
		else
			e->offs = (u32)off;
		break;
	}
	case 15:
	case 16:
		m_init(m, CGSHARE_CMD_CGROUP_GET, 0);
		e->kind = EXP_ERR;
		switch (below(&r, 5)) {
		case 0:
			e->shape = "semantic: cgroup-get without id or path";
			e->err = -EINVAL;
			break;
		case 1:
			e->shape = "semantic: cgroup-get with id and path";
			m_u64(m, CGSHARE_A_CGROUP_ID, pick_id(&r));
			e->offs = (u32)m_str(m, CGSHARE_A_CGROUP_PATH, "/");
			e->err = -EINVAL;
			break;
		case 2:
			e->shape = "semantic: cgroup-get of an unknown id";
			e->offs = (u32)m_u64(m, CGSHARE_A_CGROUP_ID, (1ULL << 62) + below(&r, 1000));
			e->err = -ENOENT;
			break;
		case 3:
			e->shape = "semantic: cgroup-get of a relative path";
			e->offs = (u32)m_str(m, CGSHARE_A_CGROUP_PATH, tg->top + 1);
			e->err = -EINVAL;
			break;
		default:
			e->shape = "semantic: cgroup-get of a missing path";
			snprintf(name, sizeof(name), "%s/none%u", tg->top, below(&r, 1000));
			e->offs = (u32)m_str(m, CGSHARE_A_CGROUP_PATH, name);
			e->err = -ENOENT;
			break;
		}
		break;
	case 17:
		m_init(m, CGSHARE_CMD_CHARGE, 0);
		e->kind = EXP_ERR;
		switch (below(&r, 4)) {
		case 0:
			e->shape = "semantic: charge of an unknown id";
			e->offs = (u32)m_u64(m, CGSHARE_A_CHARGE_ID, (1ULL << 62) + below(&r, 1000));
			m_str(m, CGSHARE_A_CHARGE_DEV, tg->names[0]);
			e->err = -ENOENT;
			break;
		case 1:
			e->shape = "semantic: charge with a bad device name";
			m_u64(m, CGSHARE_A_CHARGE_ID, pick_id(&r));
			memset(name, 0, sizeof(name));
			valid_name(&r, name, CGSHARE_DEV_NAME_LEN - 1);
			name[below(&r, strlen(name) + 1)] = bad_dev_char(&r);
			name[CGSHARE_DEV_NAME_LEN - 1] = '\0';
			e->offs = (u32)m_str(m, CGSHARE_A_CHARGE_DEV, name);
			e->err = -EINVAL;
			break;
		case 2:
			e->shape = "semantic: charge without a device";
			m_u64(m, CGSHARE_A_CHARGE_ID, pick_id(&r));
			e->err = -EINVAL;
			break;
		default:
			e->shape = "semantic: charge without an id";
			m_str(m, CGSHARE_A_CHARGE_DEV, tg->names[0]);
			e->err = -EINVAL;
			break;
		}
		if (!priv) {
			e->err = -EPERM;
			e->offs = 0;
		}
		break;
	default: {
		/* Anything at all; it only has to be answered. */
		u8 junk[64];

		e->shape = "random";
		cmd = below(&r, 4) ? 1 + below(&r, 3) : (u8)rnd(&r);
		flags = (u16)(rnd(&r) & 0x0f00);
		m_init(m, cmd, flags);
		*dump = (mhdr(m)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
		((struct genlmsghdr *)NLMSG_DATA(mhdr(m)))->version = (u8)rnd(&r);
		for (int n = below(&r, 6); n > 0; n--) {
			size_t len = below(&r, sizeof(junk));

			m_bytes(&r, junk, len);
			m_attr(m, (u16)below(&r, 12) | (below(&r, 8) ? 0 : NLA_F_NESTED), junk, len);
		}
		break;
	}
	}
	m_finish(m);
	e->dump = *dump;
	if (e->err == -EPERM)
		e->core = true;
	e->len = m->len < sizeof(e->req) ? m->len : sizeof(e->req);
	memcpy(e->req, m->b, e->len);
}

/* --------------------------------------------------------- the sender */

struct tally {
	u64 sent, ok, refused, replies, by_errno[140];
};

struct sender {
	const char *who;
	u64 stream, first, n;
	bool priv;
	int batch;
	int fd;
	struct tally t;
	struct mbuf m;
	struct expect e[BATCH];
	u8 *rbuf[BATCH];
};

static int open_sock(int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		close(fd);
		return -errno;
	}
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

static void hexdump(const u8 *p, size_t n)
{
	char line[80];

	for (size_t i = 0; i < n; i += 16) {
		int k = snprintf(line, sizeof(line), "%04zx:", i);

		for (size_t j = i; j < n && j < i + 16; j++)
			k += snprintf(line + k, sizeof(line) - k, " %02x", p[j]);
		ksft_print_msg("  %s\n", line);
	}
}

static void report(const struct sender *s, const struct expect *e, const char *why)
{
	ksft_print_msg("FAIL %s: message %llu (%s, seq %u): %s; got %s error %d%s%s, %u replies\n",
		       s->who, (unsigned long long)e->index, e->shape, e->seq, why,
		       e->done ? "" : "no answer,", e->got, e->has_offs ? ", extack at " : "",
		       e->has_offs ? "an offset" : "", e->replies);
	if (e->has_offs || e->offs)
		ksft_print_msg("  extack offset %u, planted at %u\n", e->got_offs, e->offs);
	ksft_print_msg("  replay: fuzz -s 0x%016llx -n %llu\n", (unsigned long long)seed,
		       (unsigned long long)count);
	hexdump(e->req, e->len);
}

static void parse_err(struct expect *e, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = NLMSG_DATA(nlh);
	int plen = (int)nlh->nlmsg_len - NLMSG_HDRLEN;
	const u8 *p = NLMSG_DATA(nlh);
	int off;

	e->done = true;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		if (plen >= 4)
			memcpy(&e->got, p, 4);
		off = 4;
	} else {
		if (plen < (int)sizeof(*err)) {
			e->got = -EPROTO;
			return;
		}
		e->got = err->error;
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (plen - off >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)(p + off);

		if (a->nla_len < NLA_HDRLEN || a->nla_len > plen - off)
			break;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			e->has_msg = true;
			break;
		case NLMSGERR_ATTR_OFFS:
			if (a->nla_len == NLA_HDRLEN + 4) {
				e->has_offs = true;
				memcpy(&e->got_offs, p + off + NLA_HDRLEN, 4);
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			e->has_miss = true;
			break;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

/* A reply of the family: a record must parse, whatever asked for it. */
static int check_reply(const struct nlmsghdr *nlh)
{
	static struct cg_rec rec;
	const struct genlmsghdr *g = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EPROTO;
	if (g->cmd == CGSHARE_CMD_CGROUP_GET)
		return cg_rec_parse(nlh, &rec);
	return g->cmd == CGSHARE_CMD_STATUS_GET ? 0 : -EPROTO;
}

static struct expect *find_seq(struct sender *s, int n, u32 seq)
{
	for (int i = 0; i < n; i++)
		if (s->e[i].seq == seq)
			return &s->e[i];
	return NULL;
}

/* Receive until each of the n requests has its terminal message. */
static int collect(struct sender *s, int n)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	u64 deadline = now_ns() + (u64)ANSWER_MS * MSEC;
	int open = n;

	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = s->rbuf[i];
		iov[i].iov_len = RECV_BUF;
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (open > 0) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		int left = (int)((deadline - now_ns()) / MSEC), got;

		if (now_ns() >= deadline || poll(&p, 1, left) <= 0) {
			for (int i = 0; i < n; i++)
				if (!s->e[i].done)
					report(s, &s->e[i], "not answered within 30 s");
			return -ETIMEDOUT;
		}
		got = recvmmsg(s->fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			ksft_print_msg("FAIL %s: recv: %s (replies were dropped)\n", s->who,
				       strerror(errno));
			return -errno;
		}
		for (int k = 0; k < got; k++) {
			int len = (int)mm[k].msg_len;
			struct nlmsghdr *nlh = (struct nlmsghdr *)s->rbuf[k];

			if (mm[k].msg_hdr.msg_flags & MSG_TRUNC) {
				ksft_print_msg("FAIL %s: a reply longer than %d bytes\n", s->who,
					       RECV_BUF);
				return -EMSGSIZE;
			}
			for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
				struct expect *e = find_seq(s, n, nlh->nlmsg_seq);

				if (!e || e->done) {
					ksft_print_msg("FAIL %s: a message (type %u) for seq %u, which %s\n",
						       s->who, nlh->nlmsg_type, nlh->nlmsg_seq,
						       e ? "was already answered" : "is not ours");
					return -EPROTO;
				}
				if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
					parse_err(e, nlh);
					open--;
					continue;
				}
				e->replies++;
				s->t.replies++;
				if (nlh->nlmsg_type != family || check_reply(nlh)) {
					report(s, e, "a malformed reply");
					return -EPROTO;
				}
			}
		}
	}
	return 0;
}

static bool module_refusal(int err)
{
	return err == -EINVAL || err == -ENOENT || err == -ENOSPC || err == -EOVERFLOW;
}

static int judge(struct sender *s, struct expect *e)
{
	int err = -e->got;

	if (e->got > 0 || e->got < -4095) {
		report(s, e, "an error that is no errno");
		return -1;
	}
	if (e->got) {
		s->t.refused++;
		s->t.by_errno[err < (int)ARRAY_SIZE(s->t.by_errno) ? err : 0]++;
	} else {
		s->t.ok++;
	}
	switch (e->kind) {
	case EXP_OK:
		if (e->got) {
			report(s, e, "a valid request was refused");
			return -1;
		}
		if (e->one_reply && e->replies != 1) {
			report(s, e, "a do must reply exactly once");
			return -1;
		}
		break;
	case EXP_ERR:
		if (!e->got) {
			report(s, e, "a request the generator made wrong was accepted");
			return -1;
		}
		if (e->err && e->got != e->err && (!e->err_alt || e->got != e->err_alt)) {
			report(s, e, "refused with another error than the kernel's order of checks gives");
			return -1;
		}
		if (e->offs && (!e->has_offs || e->got_offs != e->offs)) {
			report(s, e, "the extack does not point at the planted attribute");
			return -1;
		}
		break;
	}
	if (e->got && e->replies && !e->dump) {
		report(s, e, "data replies before a refusal");
		return -1;
	}
	/* The module's own refusals say why (policy refusals carry offsets too). */
	if (e->kind != EXP_ANY && !e->core && module_refusal(e->got) && !e->has_msg &&
	    !e->has_offs && !e->has_miss) {
		report(s, e, "a refusal without an extack");
		return -1;
	}
	return 0;
}

static u32 next_seq = 1;

static int run_sender(struct sender *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static u8 sendbuf[BATCH * MAX_MSG];
	bool dump;
	int ret = 0;

	for (int i = 0; i < BATCH; i++)
		s->rbuf[i] = malloc(RECV_BUF);
	for (u64 i = s->first; i < s->first + s->n && !ret;) {
		size_t len = 0;
		int n = 0;

		while (n < s->batch && i < s->first + s->n) {
			generate(s->stream, i++, s->priv, &s->m, &s->e[n], &dump);
			s->e[n].seq = next_seq++;
			mhdr(&s->m)->nlmsg_seq = s->e[n].seq;
			mhdr(&s->m)->nlmsg_pid = 0;
			memcpy(sendbuf + len, s->m.b, NLMSG_ALIGN(s->m.len));
			/* Alignment padding is not part of the message. */
			memset(sendbuf + len + s->m.len, 0, NLMSG_ALIGN(s->m.len) - s->m.len);
			len += NLMSG_ALIGN(s->m.len);
			n++;
			if (dump)
				break;	/* one dump at a time per socket */
		}
		if (sendto(s->fd, sendbuf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			ksft_print_msg("FAIL %s: send: %s\n", s->who, strerror(errno));
			return -1;
		}
		s->t.sent += n;
		ret = collect(s, n);
		for (int k = 0; k < n && !ret; k++)
			ret = judge(s, &s->e[k]);
	}
	return ret;
}

static void print_tally(const struct sender *s, double secs)
{
	char line[512];
	int k = 0;

	for (size_t e = 1; e < ARRAY_SIZE(s->t.by_errno); e++)
		if (s->t.by_errno[e])
			k += snprintf(line + k, sizeof(line) - k, " %s %llu", strerrorname_np(e),
				      (unsigned long long)s->t.by_errno[e]);
	line[k] = '\0';
	ksft_print_msg("%s: %llu messages in %.1f s (%.0f/s): %llu accepted, %llu refused (%s), %llu data replies\n",
		       s->who, (unsigned long long)s->t.sent, secs, s->t.sent / (secs ? secs : 1),
		       (unsigned long long)s->t.ok, (unsigned long long)s->t.refused,
		       k ? line + 1 : "", (unsigned long long)s->t.replies);
}

static int drop_privileges(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	/* A uid change drops the capabilities; make sure of it. */
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

/* Runs in a child; exit status 0 when every message was judged right. */
static int sender_main(const char *who, u64 stream, u64 first, u64 n, bool priv)
{
	struct sender *s = calloc(1, sizeof(*s));
	u64 t0;
	int ret;

	s->who = who;
	s->stream = stream;
	s->first = first;
	s->n = n;
	s->priv = priv;
	s->batch = priv ? BATCH : 1;
	next_seq = (u32)(stream << 24) + 1;
	if (!priv && drop_privileges()) {
		ksft_print_msg("FAIL %s: cannot drop privileges: %s\n", who, strerror(errno));
		return 1;
	}
	s->fd = open_sock(priv ? 8 << 20 : 0);
	if (s->fd >= 0 && priv) {
		int sndbuf = 4 << 20;

		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	}
	if (s->fd < 0) {
		ksft_print_msg("FAIL %s: socket: %s\n", who, strerror(-s->fd));
		return 1;
	}
	t0 = now_ns();
	ret = run_sender(s);
	print_tally(s, (now_ns() - t0) / 1e9);
	return ret ? 1 : 0;
}

/* ---------------------------------------------------------- snapshots */

/* What must not move in the quiet phase: every record and GPU nest. */
struct snap {
	size_t n;
	struct snap_rec {
		u64 id;
		bool idle;		/* all its counters are compared */
		u32 present;
		u64 ctr[CGS_NR_CTR];
		int ngpu;
		struct gpu_rec gpu[8];
		u64 gpu_sum;		/* of every nest beyond the first 8 too */
	} *r;
	u64 status[CGSHARE_A_STATUS_MAX + 1];
};

struct snap_arg {
	struct snap *s;
	const char *idle_prefix;
};

static int snap_cb(const struct nlmsghdr *nlh, void *arg)
{
	static struct cg_rec rec;
	struct snap_arg *a = arg;
	struct snap_rec *r;
	int err = cg_rec_parse(nlh, &rec);

	if (err)
		return err;
	a->s->r = realloc(a->s->r, (a->s->n + 1) * sizeof(*r));
	r = &a->s->r[a->s->n++];
	memset(r, 0, sizeof(*r));
	r->id = REC_ID(&rec);
	r->idle = !strncmp(rec.path, a->idle_prefix, strlen(a->idle_prefix));
	r->present = rec.present;
	memcpy(r->ctr, rec.ctr, sizeof(r->ctr));
	r->ngpu = rec.ngpu;
	for (int i = 0; i < rec.ngpu; i++) {
		if (i < 8)
			r->gpu[i] = rec.gpu[i];
		r->gpu_sum += rec.gpu[i].busy * 3 + rec.gpu[i].queue * 5 + rec.gpu[i].mem * 7 +
			      rec.gpu[i].dev[0];
	}
	return 0;
}

static int take_snap(struct nl *nl, struct snap *s, const char *idle_prefix)
{
	static const int st[] = {
		CGSHARE_A_STATUS_NR_CGROUPS, CGSHARE_A_STATUS_GENERATION,
		CGSHARE_A_STATUS_GPU_REFUSED_FULL, CGSHARE_A_STATUS_GPU_REFUSED_OVERFLOW,
		CGSHARE_A_STATUS_GPU_REFUSED_NOMEM, CGSHARE_A_STATUS_RECORDS_DEFERRED,
		CGSHARE_A_STATUS_RECORDS_FAILED, CGSHARE_A_STATUS_NOTIFY_DROPPED,
	};
	struct snap_arg a = { s, idle_prefix };
	struct dump_res res;
	struct msg m;
	int err;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < ARRAY_SIZE(st); i++) {
		err = cgs_status_uint(nl, st[i], &s->status[st[i]]);
		if (err)
			return err;
	}
	msg_init(&m, nl->family, CGSHARE_CMD_CGROUP_GET, 0);
	return nl_dump(nl, &m, snap_cb, &a, NULL, NULL, &res);
}

static bool same_snap(const struct snap *a, const struct snap *b)
{
	bool ok = true;

	for (size_t i = 0; i <= CGSHARE_A_STATUS_MAX; i++)
		if (a->status[i] != b->status[i]) {
			ksft_print_msg("FAIL status attribute %zu: %llu before, %llu after\n", i,
				       (unsigned long long)a->status[i],
				       (unsigned long long)b->status[i]);
			ok = false;
		}
	if (a->n != b->n) {
		ksft_print_msg("FAIL records: %zu before, %zu after\n", a->n, b->n);
		return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct snap_rec *x = &a->r[i], *y = &b->r[i];

		if (x->id != y->id || x->ngpu != y->ngpu || x->gpu_sum != y->gpu_sum ||
		    memcmp(x->gpu, y->gpu, sizeof(x->gpu))) {
			ksft_print_msg("FAIL record %llu (now %llu): GPU nests changed (%d -> %d)\n",
				       (unsigned long long)x->id, (unsigned long long)y->id,
				       x->ngpu, y->ngpu);
			ok = false;
		}
		if (x->idle && (x->present != y->present || memcmp(x->ctr, y->ctr, sizeof(x->ctr)))) {
			ksft_print_msg("FAIL idle record %llu: counters changed\n",
				       (unsigned long long)x->id);
			ok = false;
		}
	}
	return ok;
}

/* ------------------------------------------------------ the load side */

static volatile int *stop;

/* Creates and removes the slots (and a child in each) until told to stop. */
static int churner(void *arg)
{
	struct rng r = { .s = seed ^ 0x5eed };
	char child[128];
	u64 ops = 0;

	while (!*stop) {
		const char *p = tg->slot[below(&r, SLOTS)];

		snprintf(child, sizeof(child), "%s/k", p);
		switch (below(&r, 3)) {
		case 0:
			if (!mkdir(cg_full(p), 0755) && below(&r, 2))
				mkdir(cg_full(child), 0755);
			break;
		default:
			rmdir(cg_full(child));
			rmdir(cg_full(p));
			break;
		}
		ops++;
	}
	ksft_print_msg("churn: %llu mkdir/rmdir rounds\n", (unsigned long long)ops);
	return 0;
}

/* Valid charges to whatever exists, from another socket. */
static int charger(void *arg)
{
	struct rng r = { .s = seed ^ 0xc4a9 };
	struct charge c = { .has_busy = true, .has_queue = true, .has_mem = true };
	u64 ok = 0, gone = 0, other = 0;
	char dev[16];
	struct ack ack;
	struct nl nl;

	if (nl_open(&nl))
		return 1;
	while (!*stop) {
		int err;

		c.id = below(&r, 4) ? cg_id(tg->slot[below(&r, SLOTS)]) : tg->stable_id[below(&r, 4)];
		snprintf(dev, sizeof(dev), "charger%u", below(&r, 8));
		c.dev = dev;
		c.busy = below(&r, 1000000);
		c.queue = below(&r, 1000);
		c.mem = below(&r, 1 << 20);
		err = cgs_charge(&nl, &c, &ack);
		if (!err)
			ok++;
		else if (err == -ENOENT || err == -EINVAL)	/* gone, or no id */
			gone++;
		else
			other++;
	}
	ksft_print_msg("charger: %llu charged, %llu to cgroups that were gone, %llu refused otherwise\n",
		       (unsigned long long)ok, (unsigned long long)gone,
		       (unsigned long long)other);
	nl_close(&nl);
	return other ? 1 : 0;
}

/* vgem fences made from inside the churned cgroups, for the BPF collectors. */
static int fencer(void *arg)
{
	const char *vgem = arg;
	struct rng r = { .s = seed ^ 0xfe9c };
	u64 runs = 0;

	while (!*stop) {
		pid_t pid = fork();

		if (!pid) {
			char pidbuf[32];

			snprintf(pidbuf, sizeof(pidbuf), "%d", getpid());
			if (cg_write(tg->slot[below(&r, SLOTS)], "cgroup.procs", pidbuf))
				_exit(0);	/* the slot was gone */
			execl(vgem, vgem, "0", "4", (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && cg_wait(pid) == 0)
			runs++;
		rnd(&r);
	}
	ksft_print_msg("fences: %llu vgem_fence runs\n", (unsigned long long)runs);
	return 0;
}

/*
 * Monotonic counters by id (ids are never reused in a boot): usage, wait,
 * switches, memory events, and busy and queue time per device.
 */
#define WATCH_SLOTS	(1 << 16)

struct watch_ent {
	u64 key;		/* id, or id ^ hash(dev) for a device */
	u64 a, b, c;
	u64 ev[5];
};

static struct watch_ent *watch;
static u64 watch_bad;

static struct watch_ent *watch_get(u64 key)
{
	u64 h = key * 0x9e3779b97f4a7c15ULL;

	for (u32 i = 0; i < WATCH_SLOTS; i++) {
		struct watch_ent *w = &watch[(h + i) & (WATCH_SLOTS - 1)];

		if (w->key == key || !w->key) {
			w->key = key;
			return w;
		}
	}
	return NULL;
}

static void mono(const char *what, u64 id, u64 *was, u64 now)
{
	if (now < *was && watch_bad++ < 10)
		ksft_print_msg("FAIL record %llu: %s went backwards: %llu -> %llu\n",
			       (unsigned long long)id, what, (unsigned long long)*was,
			       (unsigned long long)now);
	*was = now;
}

static int watch_cb(const struct nlmsghdr *nlh, void *arg)
{
	static struct cg_rec rec;
	static const int ev[5] = {
		CGSHARE_A_CGROUP_MEM_EVENTS_LOW, CGSHARE_A_CGROUP_MEM_EVENTS_HIGH,
		CGSHARE_A_CGROUP_MEM_EVENTS_MAX, CGSHARE_A_CGROUP_MEM_EVENTS_OOM,
		CGSHARE_A_CGROUP_MEM_EVENTS_OOM_KILL,
	};
	struct watch_ent *w;
	u64 id;

	if (cg_rec_parse(nlh, &rec)) {
		watch_bad++;
		return 0;
	}
	id = REC_ID(&rec);
	w = watch_get(id);
	if (!w)
		return 0;
	mono("cpu-usage-ns", id, &w->a, REC(&rec, CPU_USAGE_NS));
	mono("cpu-wait-ns", id, &w->b, REC(&rec, CPU_WAIT_NS));
	mono("cpu-switches", id, &w->c, REC(&rec, CPU_SWITCHES));
	for (int i = 0; i < 5; i++)
		if (rec_has(&rec, ev[i]))
			mono("mem-events", id, &w->ev[i], rec_attr(&rec, ev[i]));
	for (int i = 0; i < rec.ngpu; i++) {
		u64 h = 1469598103934665603ULL;

		for (const char *p = rec.gpu[i].dev; *p; p++)
			h = (h ^ (u8)*p) * 1099511628211ULL;
		w = watch_get(id ^ h);
		if (!w)
			continue;
		mono("gpu busy-ns", id, &w->a, rec.gpu[i].busy);
		mono("gpu queue-ns", id, &w->b, rec.gpu[i].queue);
	}
	return 0;
}

static int watcher(void *arg)
{
	struct dump_res res;
	u64 dumps = 0, intr = 0;
	struct msg m;
	struct nl nl;

	watch = calloc(WATCH_SLOTS, sizeof(*watch));
	if (!watch || nl_open(&nl))
		return 1;
	while (!*stop && !watch_bad) {
		msg_init(&m, nl.family, CGSHARE_CMD_CGROUP_GET, 0);
		if (nl_dump(&nl, &m, watch_cb, NULL, NULL, NULL, &res)) {
			ack_print("FAIL watcher dump", &res.ack);
			return 1;
		}
		dumps++;
		intr += res.intr;
	}
	ksft_print_msg("watcher: %llu dumps (%llu flagged NLM_F_DUMP_INTR), %llu counters went backwards\n",
		       (unsigned long long)dumps, (unsigned long long)intr,
		       (unsigned long long)watch_bad);
	nl_close(&nl);
	return watch_bad ? 1 : 0;
}

/* ------------------------------------------------------------- set-up */

static int setup_targets(void)
{
	static const char *const stable[] = { "s0", "s1", "s1/a", "s1/a/b" };
	struct rng r = { .s = seed ^ 0x4a3e };

	tg = mmap(NULL, sizeof(*tg), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tg == MAP_FAILED)
		return -ENOMEM;
	snprintf(tg->top, sizeof(tg->top), "%s", cgt_top());
	tg->root_id = cg_id("/");
	tg->top_id = cg_id(tg->top);
	for (int i = 0; i < 4; i++) {
		snprintf(tg->stable[i], sizeof(tg->stable[i]), "%s/%s", tg->top, stable[i]);
		if (cg_mkdir(tg->stable[i]))
			return -errno;
		tg->stable_id[i] = cg_id(tg->stable[i]);
	}
	for (int i = 0; i < SLOTS; i++)
		snprintf(tg->slot[i], sizeof(tg->slot[i]), "%s/churn/c%02d", tg->top, i);
	if (cg_mkdir(cgt_path("churn")) || cg_mkdir(cgt_path("quiet")) ||
	    cg_mkdir(cgt_path("quiet/a")) || cg_mkdir(cgt_path("quiet/a/b")) ||
	    cg_mkdir(cgt_path("senders")))
		return -errno;
	for (int i = 0; i < NAMES; i++) {
		char tail[16];

		valid_name(&r, tail, 12);
		snprintf(tg->names[i], sizeof(tg->names[i]), "fz%d-%s", i, tail);
	}
	return 0;
}

static void counts(u64 *quiet, u64 *busy)
{
	*quiet = count / 10;
	*busy = count - *quiet;
}

static void print_seed(void)
{
	ksft_print_msg("fuzz: seed 0x%016llx, %llu messages (replay: fuzz -s 0x%016llx -n %llu)\n",
		       (unsigned long long)seed, (unsigned long long)count,
		       (unsigned long long)seed, (unsigned long long)count);
}

/*
 *   top
 *   ├── quiet/a/b   idle: every counter must stay as it was
 *   └── senders     the unprivileged sender
 *
 * A tenth of the messages, from uid 65534 without capabilities, with
 * nothing else going on: every one answered as expected, and afterwards
 * every record, GPU nest and module-wide count is what it was before.
 */
static int test_quiet(void)
{
	struct snap before, after;
	char idle[128];
	u64 quiet, busy, t0;
	struct nl nl;
	pid_t pid;
	int ret = KSFT_FAIL;

	counts(&quiet, &busy);
	print_seed();
	NL_OPEN(&nl);
	family = nl.family;
	CHECK(!setup_targets());
	snprintf(idle, sizeof(idle), "%s/quiet", tg->top);
	CHECK(expect_ok("snapshot before", take_snap(&nl, &before, idle)));
	t0 = now_ns();
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(sender_main("nobody (quiet)", 1, 0, quiet, false));
	CHECK(expect_eq("unprivileged sender", cg_wait(pid), 0));
	ksft_print_msg("quiet phase: %llu messages in %.1f s\n", (unsigned long long)quiet,
		       (now_ns() - t0) / 1e9);
	CHECK(expect_ok("snapshot after", take_snap(&nl, &after, idle)));
	CHECK(expect_true(same_snap(&before, &after),
			  "no unprivileged request changed a record or counter"));
	ret = KSFT_PASS;
cleanup:
	nl_close(&nl);
	return ret;
}

static bool run_quietly(const char *cmd)
{
	int st = system(cmd);

	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The BPF collectors, when everything they need is there; else why not. */
static const char *bpf_start(struct nl *nl, char *ctl, size_t len, const char **vgem)
{
	static char vpath[PATH_MAX];
	const char *here = getenv("CGSHARE_SELFTESTS"), *build = getenv("BUILD");
	struct status_rec st;
	struct ack ack;
	char cmd[PATH_MAX + 64];

	if (cgs_status(nl, &st, &ack) || !(st.features & CGSHARE_FEATURE_GPU_BPF))
		return "the module's BPF GPU path is off";
	if (!here || !build)
		return "CGSHARE_SELFTESTS or BUILD is not set";
	snprintf(ctl, len, "%s/../ctl/cgsharectl", here);
	snprintf(vpath, sizeof(vpath), "%s/selftests/vgem_fence", build);
	if (access(ctl, X_OK) || access(vpath, X_OK))
		return "cgsharectl or vgem_fence is not built";
	if (!run_quietly("modprobe vgem 2>/dev/null"))
		return "no vgem module";
	if (access("/sys/fs/bpf", F_OK) == 0 && !run_quietly("grep -q ' /sys/fs/bpf bpf' /proc/mounts"))
		mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL);
	snprintf(cmd, sizeof(cmd), "%s gpu enable >/dev/null", ctl);
	if (!run_quietly(cmd))
		return "cgsharectl gpu enable failed";
	*vgem = vpath;
	return NULL;
}

static void bpf_stop(const char *ctl)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "%s gpu disable >/dev/null", ctl);
	if (!run_quietly(cmd))
		ksft_print_msg("cgsharectl gpu disable failed\n");
}

/*
 *   top
 *   ├── s0, s1/a/b   stable targets of charges and gets
 *   ├── churn/cNN/k  created and removed all the time
 *   └── senders      root's and nobody's senders, the load
 *
 * The rest of the messages, root's and nobody's senders at once, while the
 * churner, a charger, the BPF collectors on vgem fences and a watcher that
 * dumps everything and checks that no counter goes backwards run beside
 * them. Then the module still answers, and the kernel log is clean.
 */
static int test_busy(void)
{
	const char *mark = "cgshare-selftest: fuzz_under_load";
	const char *vgem = NULL, *why_no_bpf;
	pid_t load[4] = { 0 }, snd[2] = { 0 };
	u64 quiet, busy, t0;
	char ctl[PATH_MAX];
	struct status_rec st;
	struct ack ack;
	struct nl nl;
	int ret = KSFT_FAIL, nload = 0;

	counts(&quiet, &busy);
	print_seed();
	NL_OPEN(&nl);
	family = nl.family;
	CHECK(!setup_targets());
	stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	klog_mark(mark);
	why_no_bpf = bpf_start(&nl, ctl, sizeof(ctl), &vgem);
	if (why_no_bpf)
		ksft_print_msg("BPF collectors not run: %s\n", why_no_bpf);
	else
		ksft_print_msg("BPF collectors attached, vgem fences from the churned cgroups\n");

	fflush(stdout);
	load[nload++] = cg_run(cgt_path("senders"), churner, NULL);
	load[nload++] = cg_run(cgt_path("senders"), charger, NULL);
	load[nload++] = cg_run(cgt_path("senders"), watcher, NULL);
	if (vgem)
		load[nload++] = cg_run(cgt_path("senders"), fencer, (void *)vgem);
	t0 = now_ns();
	snd[0] = fork();
	if (!snd[0])
		_exit(sender_main("root", 2, quiet, busy - busy / 3, true));
	snd[1] = fork();
	if (!snd[1])
		_exit(sender_main("nobody", 3, quiet + busy - busy / 3, busy / 3, false));
	CHECK(expect_eq("root's sender", cg_wait(snd[0]), 0));
	snd[0] = 0;
	CHECK(expect_eq("nobody's sender", cg_wait(snd[1]), 0));
	snd[1] = 0;
	ksft_print_msg("busy phase: %llu messages in %.1f s\n", (unsigned long long)busy,
		       (now_ns() - t0) / 1e9);
	*stop = 1;
	for (int i = 0; i < nload; i++) {
		CHECK(expect_eq("a load process", cg_wait(load[i]), 0));
		load[i] = 0;
	}
	CHECK(expect_ok("status-get afterwards", cgs_status(&nl, &st, &ack)));
	CHECK(expect_eq("kernel log problems", klog_problems(mark), 0));
	ret = KSFT_PASS;
cleanup:
	if (stop)
		*stop = 1;
	for (int i = 0; i < 2; i++)
		if (snd[i] > 0) {
			kill(snd[i], SIGKILL);
			cg_wait(snd[i]);
		}
	for (int i = 0; i < nload; i++)
		if (load[i] > 0) {
			kill(load[i], SIGKILL);
			cg_wait(load[i]);
		}
	if (vgem)
		bpf_stop(ctl);
	nl_close(&nl);
	return ret;
}

/*
 * A phase's time limit follows its messages: an hour, and a second for
 * every MIN_RATE of them (the debug kernel under churn in TCG has sent 29
 * a second; Debian's kernels some 11,000), so a million can finish.
 */
#define MIN_RATE	20

static int limit_for(u64 n)
{
	u64 s = 3600 + n / MIN_RATE;

	return s > INT_MAX ? INT_MAX : (int)s;
}

static struct cgt_case cases[] = {
	{ "fuzz_quiet_unprivileged", test_quiet },
	{ "fuzz_under_load", test_busy },
};

int main(int argc, char **argv)
{
	const char *env;
	u64 quiet, busy;
	int i = 1;

	env = getenv("CGSHARE_FUZZ_COUNT");
	count = env ? strtoull(env, NULL, 0) : DEFAULT_COUNT;
	env = getenv("CGSHARE_FUZZ_SEED");
	seed = env ? strtoull(env, NULL, 0) : now_ns() ^ ((u64)getpid() << 32);
	for (; i + 1 < argc && (!strcmp(argv[i], "-n") || !strcmp(argv[i], "-s")); i += 2) {
		if (argv[i][1] == 'n')
			count = strtoull(argv[i + 1], NULL, 0);
		else
			seed = strtoull(argv[i + 1], NULL, 0);
	}
	if (count < 10) {
		fprintf(stderr, "usage: %s [-n COUNT (>= 10)] [-s SEED] [--list | CASE...]\n",
			argv[0]);
		return 2;
	}
	counts(&quiet, &busy);
	cases[0].timeout_s = limit_for(quiet);
	cases[1].timeout_s = limit_for(busy);
	argv[i - 1] = argv[0];
	return cgt_main(argc - i + 1, argv + i - 1, cases, ARRAY_SIZE(cases));
}
