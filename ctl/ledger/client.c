// SPDX-License-Identifier: GPL-2.0
/*
 * Requests, dumps and events over libnl-genl. Replies go straight through
 * the decoders in nl_decode.c; kernel errors are kept with their extended
 * ACK so commands can say what failed and why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "ledger/ledger.h"

#define RCVBUF_SIZE	(4 << 20)
/*
 * The buffer each message is first peeked into. The kernel sizes a dump's
 * messages by the largest buffer a reader gave (capped at 32 KiB), and
 * libnl's default, four pages, makes them 16 KiB: with the skb's shared
 * info on top that is an allocation of 32 KiB, zeroed whole where
 * init_on_alloc is on (Debian's default), for 16 KiB of records. 15 KiB
 * and the shared info fit 16 KiB, the dump sends 6 % more messages, and
 * it zeroes half as much (10 % of a `stats -r` read's instructions were
 * that zeroing, profiled on icount). A larger message (a record with
 * many GPU devices) is still read whole: libnl peeks with MSG_TRUNC and
 * grows the buffer.
 */
#define MSGBUF_SIZE	(15 << 10)
#define DUMP_TRIES	5

struct cgs_nl {
	struct nl_sock *sk;
	int family;
	unsigned int flags;
	struct cgs_nl_error error;
	struct nlmsghdr *req;		/* copy of the last request */
};

/* Per-request receive state. */
struct recv_ctx {
	struct cgs_nl *nl;
	int (*valid)(struct nlmsghdr *nlh, void *arg);
	void *arg;
	int err;			/* first error: kernel's or ours */
	bool done;
	bool intr;
};

static const char *prog = "cgsharectl";

int cgs_nl_fd(const struct cgs_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

const struct cgs_nl_error *cgs_nl_last_error(const struct cgs_nl *nl)
{
	return &nl->error;
}

void cgs_nl_perror(const struct cgs_nl *nl, const char *what)
{
	const struct cgs_nl_error *e = &nl->error;

	fprintf(stderr, "%s: %s: %s", prog, what,
		e->err ? strerror(-e->err) : "failed");
	if (e->msg[0])
		fprintf(stderr, " (kernel: %s)", e->msg);
	if (e->attr[0])
		fprintf(stderr, " [attribute %s]", e->attr);
	fputc('\n', stderr);
}

static void set_error(struct cgs_nl *nl, int err, const char *msg)
{
	memset(&nl->error, 0, sizeof(nl->error));
	nl->error.err = err;
	if (msg)
		snprintf(nl->error.msg, sizeof(nl->error.msg), "%s", msg);
}

static int sockopt(struct cgs_nl *nl, int opt)
{
	int one = 1;

	return setsockopt(cgs_nl_fd(nl), SOL_NETLINK, opt, &one, sizeof(one));
}

int cgs_nl_open(struct cgs_nl **nlp, unsigned int flags)
{
	struct cgs_nl *nl;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->flags = flags;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		if (!(flags & CGS_NL_QUIET))
			fprintf(stderr, "%s: cannot open a generic netlink "
				"socket: %s\n", prog, nl_geterror(ret));
		cgs_nl_close(nl);
		return -EIO;
	}
	/* Kernels before 4.12 lack these; we only lose detail. */
	sockopt(nl, NETLINK_EXT_ACK);
	sockopt(nl, NETLINK_GET_STRICT_CHK);
	nl_socket_enable_msg_peek(nl->sk);
	nl_socket_set_buffer_size(nl->sk, RCVBUF_SIZE, 0);
	nl_socket_set_msg_buf_size(nl->sk, MSGBUF_SIZE);

	ret = genl_ctrl_resolve(nl->sk, CGSHARE_FAMILY_NAME);
	if (ret == -NLE_OBJ_NOTFOUND) {
		if (!(flags & CGS_NL_QUIET))
			fprintf(stderr, "%s: the cgshare kernel module is not "
				"loaded; load it with `modprobe cgshare` (or "
				"`insmod cgshare.ko`)\n", prog);
		cgs_nl_close(nl);
		return -ENOENT;
	}
	if (ret < 0) {
		if (!(flags & CGS_NL_QUIET))
			fprintf(stderr, "%s: cannot resolve generic netlink "
				"family %s: %s\n", prog, CGSHARE_FAMILY_NAME,
				nl_geterror(ret));
		cgs_nl_close(nl);
		return -EIO;
	}
	nl->family = ret;
	if (flags & CGS_NL_VERBOSE)
		fprintf(stderr, "%s: family %s has id %d\n", prog,
			CGSHARE_FAMILY_NAME, nl->family);
	*nlp = nl;
	return 0;
}

void cgs_nl_close(struct cgs_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl->req);
	free(nl);
}

/* Kernel warnings ride on successful ACKs; say them. */
static void print_warning(struct cgs_nl *nl, struct nlmsghdr *nlh)
{
	struct cgs_nl_error e;

	cgs_decode_extack(nlh, nl->req, &e);
	if (e.msg[0])
		fprintf(stderr, "%s: kernel warning: %s\n", prog, e.msg);
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	struct recv_ctx *ctx = arg;
	/* libnl hands us the payload; the header sits just before it. */
	struct nlmsghdr *nlh = (void *)((char *)err - NLMSG_HDRLEN);

	(void)who;
	cgs_decode_extack(nlh, ctx->nl->req, &ctx->nl->error);
	if (!ctx->err)
		ctx->err = err->error;
	ctx->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct recv_ctx *ctx = arg;

	print_warning(ctx->nl, nlmsg_hdr(msg));
	ctx->done = true;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct recv_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct cgs_nl_error e;

	/* A dump that failed part way ends with its error in NLMSG_DONE. */
	if (cgs_decode_extack(nlh, ctx->nl->req, &e) < 0) {
		ctx->nl->error = e;
		if (!ctx->err)
			ctx->err = e.err;
	} else if (e.msg[0]) {
		fprintf(stderr, "%s: kernel warning: %s\n", prog, e.msg);
	}
	ctx->done = true;
	return NL_STOP;
}

static int on_intr(struct nl_msg *msg, void *arg)
{
	struct recv_ctx *ctx = arg;

	(void)msg;
	/* libnl goes on to hand the same message to on_valid. */
	ctx->intr = true;
	return NL_OK;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct recv_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int ret;

	if (nlh->nlmsg_type != ctx->nl->family)
		return NL_SKIP;
	ret = ctx->valid(nlh, ctx->arg);
	if (ret) {
		if (!ctx->err)
			ctx->err = ret < 0 ? ret : -ECANCELED;
		return NL_STOP;
	}
	return NL_OK;
}

/*
 * Sends @msg and reads replies until the ACK, the end of a dump or an
 * error. @valid sees each reply.
 */
static int transact(struct cgs_nl *nl, struct nl_msg *msg,
		    int (*valid)(struct nlmsghdr *, void *), void *arg,
		    bool *intr)
{
	struct recv_ctx ctx = { .nl = nl, .valid = valid, .arg = arg };
	struct nl_cb *cb;
	int ret;

	memset(&nl->error, 0, sizeof(nl->error));
	nl_complete_msg(nl->sk, msg);
	free(nl->req);
	nl->req = malloc(nlmsg_hdr(msg)->nlmsg_len);
	if (nl->req)
		memcpy(nl->req, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	/* ECOMM: never sent; EIO below: sent, but the answer was lost. */
	ret = nl_send(nl->sk, msg);
	if (ret < 0) {
		nl_cb_put(cb);
		set_error(nl, -ECOMM, nl_geterror(ret));
		return -ECOMM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ctx);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_intr, &ctx);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ctx);

	while (!ctx.done && !ctx.err) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !ctx.err && !ctx.done) {
			set_error(nl, -EIO, nl_geterror(ret));
			ctx.err = -EIO;
		}
	}
	nl_cb_put(cb);
	if (intr)
		*intr = ctx.intr;
	if (ctx.err && !nl->error.err)
		nl->error.err = ctx.err;
	return ctx.err;
}

static struct nl_msg *new_request(struct cgs_nl *nl, int cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, CGSHARE_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static int put_target(struct nl_msg *msg, const struct cgs_target *t)
{
	if (!t)
		return 0;
	if (t->by_id)
		return nla_put_u64(msg, CGSHARE_A_CGROUP_ID, t->id);
	return nla_put_string(msg, CGSHARE_A_CGROUP_PATH, t->path);
}

struct decode_ctx {
	struct cgs_nl *nl;
	void *out;
	cgs_cgroup_cb cb;
	void *arg;
	int count;
};

static void decode_error(struct cgs_nl *nl, int err, const char *why)
{
	set_error(nl, err, NULL);
	fprintf(stderr, "%s: malformed message from the kernel: %s\n",
		prog, why);
}

static int status_valid(struct nlmsghdr *nlh, void *arg)
{
	struct decode_ctx *d = arg;
	char why[CGS_DECODE_ERRLEN];
	int ret;

	cgs_status_free(d->out);
	ret = cgs_decode_status(nlh, d->out, why, sizeof(why));
	if (ret)
		decode_error(d->nl, ret, why);
	d->count++;
	return ret;
}

int cgs_nl_status(struct cgs_nl *nl, struct cgs_status *st)
{
	struct decode_ctx d = { .nl = nl, .out = st };
	struct nl_msg *msg;
	int ret;

	memset(st, 0, sizeof(*st));
	msg = new_request(nl, CGSHARE_CMD_STATUS_GET, 0);
	if (!msg)
		return -ENOMEM;
	ret = transact(nl, msg, status_valid, &d, NULL);
	nlmsg_free(msg);
	if (!ret && !d.count) {
		set_error(nl, -ENODATA, "no reply");
		ret = -ENODATA;
	}
	return ret;
}

static int cgroup_valid(struct nlmsghdr *nlh, void *arg)
{
	struct decode_ctx *d = arg;
	char why[CGS_DECODE_ERRLEN];
	struct cgs_cgroup cg = { 0 };
	int ret;

	ret = cgs_decode_cgroup(nlh, &cg, why, sizeof(why));
	if (ret) {
		decode_error(d->nl, ret, why);
		return ret;
	}
	d->count++;
	if (d->cb)
		return d->cb(&cg, d->arg);
	cgs_cgroup_free(d->out);
	*(struct cgs_cgroup *)d->out = cg;
	return 0;
}

int cgs_nl_cgroup_get(struct cgs_nl *nl, const struct cgs_target *t,
		      struct cgs_cgroup *cg)
{
	struct decode_ctx d = { .nl = nl, .out = cg };
	struct nl_msg *msg;
	int ret;

	memset(cg, 0, sizeof(*cg));
	msg = new_request(nl, CGSHARE_CMD_CGROUP_GET, 0);
	if (!msg)
		return -ENOMEM;
	ret = put_target(msg, t) ? -EMSGSIZE :
	      transact(nl, msg, cgroup_valid, &d, NULL);
	nlmsg_free(msg);
	if (!ret && !d.count) {
		set_error(nl, -ENODATA, "no reply");
		ret = -ENODATA;
	}
	if (ret)
		cgs_cgroup_free(cg);
	return ret;
}

/*
 * A request to a family id nobody owns fails with ENOENT and no extended
 * ACK, which our own "no such cgroup" always has. Ask the controller
 * whether the family is still there, and under which id.
 */
static int family_check(struct cgs_nl *nl, int err)
{
	int fam;

	if (err != -ENOENT || nl->error.msg[0])
		return err;
	fam = genl_ctrl_resolve(nl->sk, CGSHARE_FAMILY_NAME);
	if (fam < 0) {
		set_error(nl, -ENODEV, "the cgshare family is gone");
		return -ENODEV;
	}
	if (fam != nl->family) {
		nl->family = fam;
		set_error(nl, -EAGAIN, "the cgshare family was registered again");
		return -EAGAIN;
	}
	return err;
}

int cgs_nl_cgroup_dump(struct cgs_nl *nl, const struct cgs_target *t,
		       cgs_cgroup_cb cb, void *arg, bool *intr)
{
	struct decode_ctx d = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_msg *msg;
	int ret;

	msg = new_request(nl, CGSHARE_CMD_CGROUP_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	ret = put_target(msg, t) ? -EMSGSIZE :
	      transact(nl, msg, cgroup_valid, &d, intr);
	nlmsg_free(msg);
	return family_check(nl, ret);
}

static int list_add(struct cgs_cgroup *cg, void *arg)
{
	struct cgs_cgroup *slot = cgs_list_add(arg);

	if (!slot) {
		cgs_cgroup_free(cg);
		return -ENOMEM;
	}
	*slot = *cg;
	return 0;
}

int cgs_nl_cgroup_dump_list(struct cgs_nl *nl, const struct cgs_target *t,
			    struct cgs_list *l)
{
	bool intr = false;
	int ret;

	for (int i = 0; i < DUMP_TRIES; i++) {
		cgs_list_clear(l);
		ret = cgs_nl_cgroup_dump(nl, t, list_add, l, &intr);
		if (ret == -EAGAIN)	/* the module came back: ask it */
			ret = cgs_nl_cgroup_dump(nl, t, list_add, l, &intr);
		if (ret || !intr)
			return ret;
		if (nl->flags & CGS_NL_VERBOSE)
			fprintf(stderr, "%s: dump interrupted by cgroup "
				"changes, retrying\n", prog);
	}
	fprintf(stderr, "%s: warning: cgroups kept changing during the dump; "
		"the list may be inconsistent\n", prog);
	return 0;
}

static int ack_only(struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return 0;
}

int cgs_nl_cgroup_id(struct cgs_nl *nl, const char *path, uint64_t *id)
{
	struct cgs_target t = { .path = path };
	struct cgs_cgroup cg;
	int ret;

	ret = cgs_nl_cgroup_get(nl, &t, &cg);
	if (ret)
		return family_check(nl, ret);
	*id = cg.id;
	cgs_cgroup_free(&cg);
	return 0;
}

static int put_charge(struct nl_msg *msg, const struct cgs_charge *ch)
{
	if (nla_put_u64(msg, CGSHARE_A_CHARGE_ID, ch->id))
		return -EMSGSIZE;
	if (ch->dev && nla_put_string(msg, CGSHARE_A_CHARGE_DEV, ch->dev))
		return -EMSGSIZE;
	if (nla_put_u64(msg, CGSHARE_A_CHARGE_BUSY_NS, ch->busy_ns))
		return -EMSGSIZE;
	if (ch->queue_ns &&
	    nla_put_u64(msg, CGSHARE_A_CHARGE_QUEUE_NS, ch->queue_ns))
		return -EMSGSIZE;
	if (ch->set_mem &&
	    nla_put_u64(msg, CGSHARE_A_CHARGE_MEM_BYTES, ch->mem_bytes))
		return -EMSGSIZE;
	return 0;
}

static int send_charge(struct cgs_nl *nl, const struct cgs_charge *ch)
{
	struct nl_msg *msg;
	int ret;

	msg = new_request(nl, CGSHARE_CMD_CHARGE, 0);
	if (!msg)
		return -ENOMEM;
	ret = put_charge(msg, ch);
	if (!ret)
		ret = transact(nl, msg, ack_only, NULL, NULL);
	nlmsg_free(msg);
	return family_check(nl, ret);
}

int cgs_nl_charge(struct cgs_nl *nl, const struct cgs_charge *ch)
{
	if (!ch->dev) {
		set_error(nl, -EINVAL, "no device name");
		return -EINVAL;
	}
	return send_charge(nl, ch);
}

/*
 * The permission check comes before the attributes are looked at: a charge
 * without its device is refused with EPERM when we may not charge and with
 * EINVAL when we may, and changes nothing either way.
 */
int cgs_nl_charge_allowed(struct cgs_nl *nl)
{
	struct cgs_charge probe = { 0 };
	int ret;

	ret = send_charge(nl, &probe);
	if (ret == -EINVAL) {
		memset(&nl->error, 0, sizeof(nl->error));
		return 0;
	}
	return ret ? ret : -EPROTO;
}

int cgs_nl_subscribe(struct cgs_nl *nl)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sk, CGSHARE_FAMILY_NAME,
				    CGSHARE_MCGRP_NOTIFY);
	if (grp < 0) {
		set_error(nl, -ENOENT, nl_geterror(grp));
		return -ENOENT;
	}
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0) {
		set_error(nl, -EIO, nl_geterror(ret));
		return -EIO;
	}
	/* The controller tells us if the family goes away (rmmod). */
	grp = genl_ctrl_resolve_grp(nl->sk, "nlctrl", "notify");
	if (grp >= 0)
		nl_socket_add_membership(nl->sk, grp);
	nl_socket_disable_seq_check(nl->sk);
	nl_socket_set_nonblocking(nl->sk);
	return 0;
}

int cgs_nl_read_events(struct cgs_nl *nl, cgs_cgroup_cb cb, void *arg)
{
	static char buf[64 << 10];
	char why[CGS_DECODE_ERRLEN];
	struct nlmsghdr *nlh;
	ssize_t n;
	int len, ret;

	n = recv(cgs_nl_fd(nl), buf, sizeof(buf), 0);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	len = n;
	for (nlh = (void *)buf; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
		struct cgs_cgroup cg = { 0 };
		const struct genlmsghdr *g = NLMSG_DATA(nlh);

		if (cgs_decode_family_gone(nlh, nl->family))
			return -ENODEV;
		if (nlh->nlmsg_type != nl->family ||
		    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
		    g->cmd != CGSHARE_CMD_CGROUP_RELEASE)
			continue;
		ret = cgs_decode_cgroup(nlh, &cg, why, sizeof(why));
		if (ret) {
			fprintf(stderr, "%s: skipping malformed event: %s\n",
				prog, why);
			continue;
		}
		ret = cb(&cg, arg);
		if (ret)
			return ret;
	}
	return 0;
}
