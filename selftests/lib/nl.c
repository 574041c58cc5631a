// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink for the tests. Requests are built by hand on a raw socket, so
 * that the malformed ones can be exactly as wrong as we want them, and so
 * that the transport itself (dump buffers, interrupted dumps, multicast)
 * can be tested. Everything else goes through the ledger library of
 * ctl/ledger, which cgsharectl uses: one decoder, one client.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "cgtest.h"
#include "ledger/ledger.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLA_DATA(a)	((void *)((char *)(a) + NLA_HDRLEN))
#define NLA_LEN(a)	((int)(a)->nla_len - NLA_HDRLEN)
#define NLA_TYPE(a)	((a)->nla_type & NLA_TYPE_MASK)

/* Iterate attributes in [start, start + len) without trusting them. */
#define for_each_attr(a, start, len, rem)				\
	for (a = (struct nlattr *)(start), rem = (int)(len);		\
	     rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&		\
	     a->nla_len <= rem;						\
	     rem -= NLA_ALIGN(a->nla_len),				\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static void *genl_attrs(const struct nlmsghdr *nlh, int *len)
{
	*len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
}

void msg_init(struct msg *m, u16 family, u8 cmd, u16 flags)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->nlh.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nlh.nlmsg_type = family;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = CGSHARE_FAMILY_VERSION;
}

size_t msg_put(struct msg *m, u16 type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->nlh.nlmsg_len);
	struct nlattr *a = (struct nlattr *)(m->buf + off);

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->buf)) {
		ksft_print_msg("test bug: request larger than %zu bytes\n",
			       sizeof(m->buf));
		abort();
	}
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(NLA_DATA(a), data, len);
	memset((char *)NLA_DATA(a) + len, 0, NLA_ALIGN(len) - len);
	m->nlh.nlmsg_len = off + NLA_ALIGN(a->nla_len);
	return off;
}

size_t msg_put_u64(struct msg *m, u16 type, u64 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

size_t msg_put_u32(struct msg *m, u16 type, u32 v)
{
	return msg_put(m, type, &v, sizeof(v));
}

size_t msg_put_str(struct msg *m, u16 type, const char *s)
{
	return msg_put(m, type, s, strlen(s) + 1);
}

static int nl_socket(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		int err = -errno;

		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	nl->seq = (u32)getpid() << 12;
	return 0;
}

struct family_arg {
	u16 id;
	u32 grp;
};

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct family_arg *f = arg;
	struct nlattr *a, *g, *x;
	int len, rem, rem2, rem3;
	void *attrs = genl_attrs(nlh, &len);

	for_each_attr(a, attrs, len, rem) {
		if (NLA_TYPE(a) == CTRL_ATTR_FAMILY_ID && NLA_LEN(a) == 2)
			f->id = *(u16 *)NLA_DATA(a);
		if (NLA_TYPE(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		for_each_attr(g, NLA_DATA(a), NLA_LEN(a), rem2) {
			const char *name = NULL;
			u32 id = 0;

			for_each_attr(x, NLA_DATA(g), NLA_LEN(g), rem3) {
				if (NLA_TYPE(x) == CTRL_ATTR_MCAST_GRP_NAME)
					name = NLA_DATA(x);
				if (NLA_TYPE(x) == CTRL_ATTR_MCAST_GRP_ID &&
				    NLA_LEN(x) == 4)
					id = *(u32 *)NLA_DATA(x);
			}
			if (name && !strcmp(name, CGSHARE_MCGRP_NOTIFY))
				f->grp = id;
		}
	}
	return 0;
}

int nl_family(struct nl *nl, const char *name, u16 *id, u32 *grp)
{
	struct family_arg f = { 0 };
	struct msg m;
	struct ack ack;
	int ret;

	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->version = 2;
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, name);
	ret = nl_transact(nl, &m, family_cb, &f, &ack);
	if (ret)
		return ret;
	if (!f.id)
		return -ENOENT;
	*id = f.id;
	if (grp)
		*grp = f.grp;
	return 0;
}

int nl_open(struct nl *nl)
{
	return nl_open_rcv(nl, 0);
}

int nl_open_rcv(struct nl *nl, size_t rcvlen)
{
	int ret = nl_socket(nl);

	if (ret)
		return ret;
	nl->rcvlen = rcvlen;
	ret = nl_family(nl, CGSHARE_FAMILY_NAME, &nl->family, &nl->notify_grp);
	if (!ret)
		ret = cgs_nl_open(&nl->lc, CGS_NL_QUIET);
	if (ret)
		nl_close(nl);
	return ret;
}

void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	cgs_nl_close(nl->lc);
	nl->lc = NULL;
}

int nl_subscribe(struct nl *nl)
{
	if (!nl->notify_grp)
		return -ENOENT;
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &nl->notify_grp, sizeof(nl->notify_grp)))
		return -errno;
	return 0;
}

static void parse_extack(const void *tlvs, int len, struct ack *ack)
{
	const struct nlattr *a;
	int rem;

	for_each_attr(a, tlvs, len, rem) {
		switch (NLA_TYPE(a)) {
		case NLMSGERR_ATTR_MSG:
			ack->has_msg = true;
			snprintf(ack->msg, sizeof(ack->msg), "%.*s",
				 NLA_LEN(a), (char *)NLA_DATA(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (NLA_LEN(a) == 4) {
				ack->has_offs = true;
				ack->offs = *(u32 *)NLA_DATA(a);
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (NLA_LEN(a) == 4) {
				ack->has_miss = true;
				ack->miss_type = *(u32 *)NLA_DATA(a);
			}
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			if (NLA_LEN(a) == 4) {
				ack->has_miss_nest = true;
				ack->miss_nest = *(u32 *)NLA_DATA(a);
			}
			break;
		case NLMSGERR_ATTR_POLICY:
			ack->has_policy = true;
			break;
		}
	}
}

/* NLMSG_ERROR or NLMSG_DONE: fill ack, return its error. */
static int parse_ack(const struct nlmsghdr *nlh, struct ack *ack)
{
	int plen = (int)nlh->nlmsg_len - NLMSG_HDRLEN;
	const char *p = NLMSG_DATA(nlh);
	int off;

	memset(ack, 0, sizeof(*ack));
	if (nlh->nlmsg_type == NLMSG_DONE) {
		if (plen >= 4)
			ack->error = *(int *)p;
		off = NLMSG_ALIGN(4);
	} else {
		const struct nlmsgerr *e = (const void *)p;

		if (plen < (int)sizeof(*e)) {
			ack->error = -EPROTO;
			return ack->error;
		}
		ack->error = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && plen > off)
		parse_extack(p + off, plen - off, ack);
	return ack->error;
}

static ssize_t nl_recvbuf(struct nl *nl, char *buf, size_t len)
{
	struct sockaddr_nl sa;
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_name = &sa, .msg_namelen = sizeof(sa),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	do {
		n = recvmsg(nl->fd, &mh, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC) {
		ksft_print_msg("netlink message truncated by a %zu-byte buffer\n",
			       len);
		return -EMSGSIZE;
	}
	return n;
}

static int nl_send(struct nl *nl, struct msg *m)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	m->nlh.nlmsg_seq = ++nl->seq;
	n = sendto(nl->fd, m->buf, m->nlh.nlmsg_len, 0,
		   (struct sockaddr *)&sa, sizeof(sa));
	if (n < 0)
		return -errno;
	return n == (ssize_t)m->nlh.nlmsg_len ? 0 : -EIO;
}

/*
 * Receive replies to m until its ack or NLMSG_DONE. Replies go to cb;
 * between() runs after every recv (dumps only).
 */
static int nl_collect(struct nl *nl, struct msg *m, nl_cb cb, void *arg,
		      void (*between)(void *), void *barg,
		      struct dump_res *res, struct ack *ack)
{
	size_t blen = nl->rcvlen ? nl->rcvlen : 65536;
	char *buf = malloc(blen);
	int cb_err = 0, ret = 0;
	bool done = false;

	if (!buf)
		return -ENOMEM;
	memset(ack, 0, sizeof(*ack));
	while (!done) {
		struct nlmsghdr *nlh;
		ssize_t n = nl_recvbuf(nl, buf, blen);
		int len;

		if (n < 0) {
			ret = ack->error = (int)n;
			break;
		}
		if (res && ++res->nrecv > 1000000) {
			ksft_print_msg("dump did not end after a million messages\n");
			ret = ack->error = -ELOOP;
			break;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != m->nlh.nlmsg_seq)
				continue;	/* stale, or a notification */
			if (res) {
				res->nmsgs++;
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
					res->intr = true;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				ret = parse_ack(nlh, ack);
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_NOOP ||
			    nlh->nlmsg_type == NLMSG_OVERRUN)
				continue;
			if (cb && !cb_err)
				cb_err = cb(nlh, arg);
		}
		if (!done && between)
			between(barg);
	}
	free(buf);
	if (!ret && cb_err)
		ret = cb_err;
	return ret;
}

int nl_transact(struct nl *nl, struct msg *m, nl_cb cb, void *arg,
		struct ack *ack)
{
	struct ack local;
	int ret;

	if (!ack)
		ack = &local;
	m->nlh.nlmsg_flags |= NLM_F_ACK;
	ret = nl_send(nl, m);
	if (ret) {
		memset(ack, 0, sizeof(*ack));
		return ack->error = ret;
	}
	return nl_collect(nl, m, cb, arg, NULL, NULL, NULL, ack);
}

int nl_dump(struct nl *nl, struct msg *m, nl_cb cb, void *arg,
	    void (*between)(void *), void *barg, struct dump_res *res)
{
	struct dump_res local;
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	m->nlh.nlmsg_flags |= NLM_F_DUMP;
	ret = nl_send(nl, m);
	if (ret)
		return res->ack.error = ret;
	return nl_collect(nl, m, cb, arg, between, barg, res, &res->ack);
}

int nl_recv_one(struct nl *nl, int timeout_ms, nl_cb cb, void *arg)
{
	struct pollfd p = { .fd = nl->fd, .events = POLLIN };
	u64 deadline = now_ns() + (u64)timeout_ms * MSEC;
	char *buf = malloc(65536);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n;
		int len, left = (int)((deadline - now_ns()) / MSEC);

		if (now_ns() >= deadline)
			break;
		ret = poll(&p, 1, left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			ret = ret < 0 ? -errno : 0;
			break;
		}
		n = nl_recvbuf(nl, buf, 65536);
		if (n < 0) {
			ret = (int)n;
			break;
		}
		len = (int)n;
		nlh = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(nlh, len) || nlh->nlmsg_seq != 0)
			continue;	/* not a notification */
		ret = cb ? cb(nlh, arg) : 0;
		ret = ret < 0 ? ret : 1;
		break;
	}
	free(buf);
	return ret;
}

/* ------------------------------------------------------------- records */

u64 rec_attr(const struct cg_rec *r, int type)
{
	if (type == CGSHARE_A_CGROUP_ID)
		return r->id;
	if (type == CGSHARE_A_CGROUP_PARENT_ID)
		return r->parent_id;
	for (int c = 0; c < CGS_NR_CTR; c++)
		if (cgs_ctr_info[c].attr == type)
			return r->ctr[c];
	return 0;
}

bool rec_has(const struct cg_rec *r, int type)
{
	if (type == CGSHARE_A_CGROUP_ID)
		return r->has_id;
	if (type == CGSHARE_A_CGROUP_PARENT_ID)
		return r->has_parent;
	if (type == CGSHARE_A_CGROUP_PATH)
		return r->path[0];
	for (int c = 0; c < CGS_NR_CTR; c++)
		if (cgs_ctr_info[c].attr == type)
			return r->present & CGS_BIT(c);
	return false;
}

/* Copies the library's record into @r and frees it. */
static int rec_from(struct cg_rec *r, struct cgs_cgroup *cg, u8 cmd,
		    u16 nlflags)
{
	int ret = 0;

	memset(r, 0, offsetof(struct cg_rec, path));
	r->cmd = cmd;
	r->nlflags = nlflags;
	r->id = cg->id;
	r->has_id = cg->has & CGS_HAS_ID;
	r->parent_id = cg->parent_id;
	r->has_parent = cg->has & CGS_HAS_PARENT;
	r->present = cg->present;
	memcpy(r->ctr, cg->ctr, sizeof(r->ctr));
	snprintf(r->path, sizeof(r->path), "%s", cg->path ? cg->path : "");
	r->ngpu = 0;
	r->unknown = 0;
	if (cg->nr_gpu > GPU_MAX) {
		ksft_print_msg("record: %u gpu nests, more than %d\n",
			       cg->nr_gpu, GPU_MAX);
		ret = -EPROTO;
	}
	for (unsigned int i = 0; i < cg->nr_gpu && i < GPU_MAX; i++) {
		const struct cgs_gpu *d = &cg->gpu[i];
		struct gpu_rec *g = &r->gpu[r->ngpu++];

		memset(g, 0, sizeof(*g));
		snprintf(g->dev, sizeof(g->dev), "%s", d->dev);
		g->has_busy = d->present & CGS_BIT(CGS_GPU_BUSY_NS);
		g->has_queue = d->present & CGS_BIT(CGS_GPU_QUEUE_NS);
		g->has_mem = d->present & CGS_BIT(CGS_GPU_MEM_BYTES);
		g->busy = d->ctr[CGS_GPU_BUSY_NS];
		g->queue = d->ctr[CGS_GPU_QUEUE_NS];
		g->mem = d->ctr[CGS_GPU_MEM_BYTES];
	}
	cgs_cgroup_free(cg);
	return ret;
}

/* The spec's contract on a record: no attribute twice (but gpu nests). */
static int check_wire(const struct nlmsghdr *nlh, struct cg_rec *r)
{
	bool seen[CGSHARE_A_CGROUP_MAX + 1] = { false };
	const struct nlattr *a;
	int len, rem;
	void *attrs = genl_attrs(nlh, &len);

	for_each_attr(a, attrs, len, rem) {
		int t = NLA_TYPE(a);

		if (!cgs_spec_attr_name(CGS_SET_CGROUP, t)) {
			r->unknown++;
			continue;
		}
		if (t != CGSHARE_A_CGROUP_GPU && t != CGSHARE_A_CGROUP_PAD &&
		    seen[t]) {
			ksft_print_msg("reply: attribute %s repeated\n",
				       cgs_spec_attr_name(CGS_SET_CGROUP, t));
			return -EPROTO;
		}
		seen[t] = true;
	}
	return 0;
}

int cg_rec_parse(const struct nlmsghdr *nlh, struct cg_rec *r)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct cgs_cgroup cg = { 0 };
	char why[CGS_DECODE_ERRLEN];
	int ret;

	ret = cgs_decode_cgroup(nlh, &cg, why, sizeof(why));
	if (ret) {
		ksft_print_msg("reply: %s\n", why);
		return -EPROTO;
	}
	ret = rec_from(r, &cg, g->cmd, nlh->nlmsg_flags);
	return ret ? ret : check_wire(nlh, r);
}

const struct gpu_rec *rec_gpu(const struct cg_rec *r, const char *dev)
{
	for (int i = 0; i < r->ngpu; i++)
		if (!strcmp(r->gpu[i].dev, dev))
			return &r->gpu[i];
	return NULL;
}

/* The ledger library's last error, as the raw socket's ack says it. */
static int lc_ack(struct nl *nl, int ret, struct ack *ack)
{
	const struct cgs_nl_error *e = cgs_nl_last_error(nl->lc);

	memset(ack, 0, sizeof(*ack));
	ack->error = ret;
	if (ret && e->msg[0]) {
		ack->has_msg = true;
		snprintf(ack->msg, sizeof(ack->msg), "%s", e->msg);
	}
	return ret;
}

static int get(struct nl *nl, const struct cgs_target *t, struct cg_rec *r,
	       struct ack *ack)
{
	struct cgs_cgroup cg;
	int ret = cgs_nl_cgroup_get(nl->lc, t, &cg);

	if (!ret)
		ret = rec_from(r, &cg, CGSHARE_CMD_CGROUP_GET, 0);
	return lc_ack(nl, ret, ack);
}

int cgs_get_id(struct nl *nl, u64 id, struct cg_rec *r, struct ack *ack)
{
	struct cgs_target t = { .by_id = true, .id = id };

	return get(nl, &t, r, ack);
}

int cgs_get_path(struct nl *nl, const char *path, struct cg_rec *r,
		 struct ack *ack)
{
	struct cgs_target t = { .path = path };

	return get(nl, &t, r, ack);
}

struct one_arg {
	struct cg_rec *r;
	int n;
};

static int one_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct one_arg *o = arg;

	if (o->n++)
		return -EPROTO;		/* a do must reply once */
	return cg_rec_parse(nlh, o->r);
}

int cgs_get_path_raw(struct nl *nl, const char *path, struct cg_rec *r,
		     struct ack *ack)
{
	struct one_arg o = { r, 0 };
	struct msg m;
	int ret;

	msg_init(&m, nl->family, CGSHARE_CMD_CGROUP_GET, 0);
	msg_put_str(&m, CGSHARE_A_CGROUP_PATH, path);
	ret = nl_transact(nl, &m, one_cb, &o, ack);
	if (!ret && o.n != 1) {
		ksft_print_msg("cgroup-get do: %d replies, want 1\n", o.n);
		return -EPROTO;
	}
	return ret;
}

int cgs_status(struct nl *nl, struct status_rec *s, struct ack *ack)
{
	struct cgs_status st;
	int ret = cgs_nl_status(nl->lc, &st);

	memset(s, 0, sizeof(*s));
	if (!ret) {
		s->has_version = st.has & CGS_STATUS_VERSION;
		snprintf(s->version, sizeof(s->version), "%s",
			 st.version ? st.version : "");
		snprintf(s->bpf_reason, sizeof(s->bpf_reason), "%s",
			 st.gpu_bpf_reason ? st.gpu_bpf_reason : "");
		s->has_features = st.has & CGS_STATUS_FEATURES;
		s->features = st.features;
		s->has_nr = st.present & CGS_BIT(CGS_MOD_NR_CGROUPS);
		s->nr_cgroups = st.ctr[CGS_MOD_NR_CGROUPS];
		s->has_gen = st.present & CGS_BIT(CGS_MOD_GENERATION);
		s->generation = st.ctr[CGS_MOD_GENERATION];
		cgs_status_free(&st);
	}
	return lc_ack(nl, ret, ack);
}

int cgs_charge(struct nl *nl, const struct charge *c, struct ack *ack)
{
	struct cgs_charge ch = {
		.id = c->id,
		.dev = c->dev,
		.busy_ns = c->has_busy ? c->busy : 0,
		.queue_ns = c->has_queue ? c->queue : 0,
		.mem_bytes = c->mem,
		.set_mem = c->has_mem,
	};

	return lc_ack(nl, cgs_nl_charge(nl->lc, &ch), ack);
}

int rec_list_add(struct rec_list *l, u64 id, u64 parent, bool has_parent,
		 const char *path)
{
	struct rec_item *it;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct rec_item *r = realloc(l->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		l->r = r;
		l->cap = cap;
	}
	it = &l->r[l->n];
	it->id = id;
	it->parent = parent;
	it->has_parent = has_parent;
	it->nlflags = 0;
	it->path = strdup(path);
	if (!it->path)
		return -ENOMEM;
	l->n++;
	return 0;
}

static int list_cb(const struct nlmsghdr *nlh, void *arg)
{
	static struct cg_rec r;
	struct rec_list *l = arg;
	int ret;

	if (cg_rec_parse(nlh, &r)) {
		l->bad++;
		return 0;
	}
	ret = rec_list_add(l, REC_ID(&r), REC(&r, PARENT_ID),
			   REC_HAS(&r, PARENT_ID), r.path);
	if (!ret)
		l->r[l->n - 1].nlflags = nlh->nlmsg_flags;
	return ret;
}

int cgs_dump_list(struct nl *nl, const char *path, const u64 *id,
		  struct rec_list *l, struct dump_res *res)
{
	struct msg m;

	memset(l, 0, sizeof(*l));
	msg_init(&m, nl->family, CGSHARE_CMD_CGROUP_GET, 0);
	if (path)
		msg_put_str(&m, CGSHARE_A_CGROUP_PATH, path);
	if (id)
		msg_put_u64(&m, CGSHARE_A_CGROUP_ID, *id);
	return nl_dump(nl, &m, list_cb, l, NULL, NULL, res);
}

static int by_id(const void *a, const void *b)
{
	const struct rec_item *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void rec_list_sort(struct rec_list *l)
{
	qsort(l->r, l->n, sizeof(*l->r), by_id);
}

void rec_list_free(struct rec_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->r[i].path);
	free(l->r);
	memset(l, 0, sizeof(*l));
}

static void walk_add(const char *rel, u64 id, u64 parent, void *arg)
{
	rec_list_add(arg, id, parent, strcmp(rel, "/") != 0, rel);
}

int cg_walk_list(const char *rel, struct rec_list *l)
{
	memset(l, 0, sizeof(*l));
	return cg_walk(rel, walk_add, l);
}

bool expect_same_set(const char *what, const struct rec_list *got,
		     struct rec_list *want, const char *strip)
{
	size_t i, j, plen = strip ? strlen(strip) : 0;
	int shown = 0;
	bool ok = true;

	if (got->bad) {
		ksft_print_msg("FAIL %s: %d malformed records\n", what, got->bad);
		ok = false;
	}
	for (i = 1; i < got->n; i++) {
		if (got->r[i].id > got->r[i - 1].id)
			continue;
		if (shown++ < 5)
			ksft_print_msg("FAIL %s: record %zu id %llu after id %llu (want strictly ascending)\n",
				       what, i, (unsigned long long)got->r[i].id,
				       (unsigned long long)got->r[i - 1].id);
		ok = false;
	}
	rec_list_sort(want);
	for (i = 0, j = 0; i < got->n || j < want->n;) {
		const struct rec_item *g = i < got->n ? &got->r[i] : NULL;
		const struct rec_item *w = j < want->n ? &want->r[j] : NULL;
		const char *wpath;

		if (g && i && g->id <= got->r[i - 1].id) {
			i++;	/* out of order or repeated: reported above */
			continue;
		}
		if (!w || (g && g->id < w->id)) {
			if (shown++ < 10)
				ksft_print_msg("FAIL %s: dumped id %llu (%s) is not in cgroupfs\n",
					       what, (unsigned long long)g->id, g->path);
			ok = false;
			i++;
			continue;
		}
		if (!g || w->id < g->id) {
			if (shown++ < 10)
				ksft_print_msg("FAIL %s: cgroup %s (id %llu) missing from the dump\n",
					       what, w->path, (unsigned long long)w->id);
			ok = false;
			j++;
			continue;
		}
		wpath = w->path + plen;
		if (!*wpath)
			wpath = "/";
		if (strcmp(g->path, wpath) || g->has_parent != w->has_parent ||
		    (w->has_parent && g->parent != w->parent)) {
			if (shown++ < 10)
				ksft_print_msg("FAIL %s: id %llu: want path %s parent %llu%s, got path %s parent %llu%s\n",
					       what, (unsigned long long)w->id, wpath,
					       (unsigned long long)w->parent,
					       w->has_parent ? "" : " (none)", g->path,
					       (unsigned long long)g->parent,
					       g->has_parent ? "" : " (none)");
			ok = false;
		}
		i++;
		j++;
	}
	if (!ok)
		ksft_print_msg("%s: dumped %zu records, cgroupfs has %zu\n", what,
			       got->n, want->n);
	return ok;
}

void ack_print(const char *what, const struct ack *ack)
{
	ksft_print_msg("%s: error %d (%s)%s%s%s", what, ack->error,
		       ack->error ? strerror(-ack->error) : "none",
		       ack->has_msg ? ", extack \"" : "",
		       ack->has_msg ? ack->msg : "",
		       ack->has_msg ? "\"" : "");
	if (ack->has_offs)
		printf(", offset %u", ack->offs);
	if (ack->has_miss)
		printf(", missing attr %u", ack->miss_type);
	printf("\n");
}

bool expect_nack(const char *what, int ret, const struct ack *ack, int want,
		 size_t offs)
{
	bool ok = true;

	ack_print(what, ack);
	if (ret != want) {
		ksft_print_msg("FAIL %s: expected error %d (%s), got %d (%s)\n",
			       what, want, strerror(-want), ret,
			       ret ? strerror(-ret) : "success");
		ok = false;
	}
	if (offs && (!ack->has_offs || ack->offs != offs)) {
		ksft_print_msg("FAIL %s: expected extack offset %zu (the bad attribute), got %s%u\n",
			       what, offs, ack->has_offs ? "" : "none ",
			       ack->has_offs ? ack->offs : 0);
		ok = false;
	}
	return ok;
}
