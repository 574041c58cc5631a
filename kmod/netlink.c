// SPDX-License-Identifier: GPL-2.0
/*
 * The cgshare generic netlink family, as uapi/cgshare.yaml describes it.
 * One fill function serves do, dump and the release notification.
 */
#include <linux/cgroup.h>
#include <linux/error-injection.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "compat.h"
#include "cpu.h"
#include "bpf.h"
#include "gpu.h"
#include "ledger.h"
#include "lifetime.h"
#include "memory.h"
#include "psi.h"
#include "netlink.h"
#include "nl_policy.gen.h"

static struct genl_family family;
static atomic64_t notify_dropped;

/* What one message describes, and relative to which namespace root. */
struct view {
	struct cgshare_rec *rec;
	struct cgroup *root;
	char *path;			/* PATH_MAX scratch */
	int root_len;			/* of root's path, cut off rec's; -1: none */
	struct cgshare_running *running; /* NULL for a removed record */
	bool final;
};

/*
 * The largest payload of a record's message with @nr_gpu devices and a
 * path of @path_len bytes: ids, counters as 8-byte uints (cpu 3, memory 8,
 * the live limits and pressure totals), the GPU nests.
 */
static size_t rec_payload(unsigned int nr_gpu, size_t path_len)
{
	size_t nest = nla_total_size(0) + nla_total_size(CGSHARE_DEV_NAME_LEN) +
		      3 * nla_total_size(sizeof(u64));

	return 2 * nla_total_size_64bit(sizeof(u64)) + nla_total_size(path_len + 1) +
	       (11 + CGSHARE_MEM_NR_LIMITS + CGSHARE_PSI_NR) * nla_total_size(sizeof(u64)) +
	       nr_gpu * nest;
}

/*
 * The allocation helpers are noinline and open to fail_function, so that
 * the tests can make each of them fail.
 */
static noinline struct sk_buff *msg_alloc(size_t payload)
{
	return genlmsg_new(payload, GFP_KERNEL);
}
ALLOW_ERROR_INJECTION(msg_alloc, NULL);

/* A path buffer, and room for a snapshot of the running CPUs if @running. */
static noinline char *scratch_alloc(bool running)
{
	size_t size = PATH_MAX;

	if (running)
		size += struct_size_t(struct cgshare_running, slice, nr_cpu_ids);
	return kvmalloc(size, GFP_KERNEL);
}
ALLOW_ERROR_INJECTION(scratch_alloc, NULL);

/*
 * The view of a scratch buffer: its path, and its snapshot. And the
 * length of the root's own path, which each record's path begins with
 * (0 at the hierarchy's root, the common case).
 */
static void view_scratch(struct view *v, char *scratch)
{
	int len;

	v->path = scratch;
	v->running = (struct cgshare_running *)(scratch + PATH_MAX);
	v->root_len = 0;
	if (v->root == &cgrp_dfl_root.cgrp)
		return;
	len = kernfs_path_from_node(v->root->kn, NULL, scratch, PATH_MAX);
	v->root_len = len > 0 && len < PATH_MAX ? len : -1;
}

/*
 * The record's path as the caller sees it, from its root; NULL if it
 * does not fit PATH_MAX. kernfs_path_from_node() writes each component
 * under a global lock with interrupts off, about 1,200 instructions a
 * record, a sixth of a dump's (profiled under icount): so a record's own
 * path is made at its first read and kept (GFP_NOWAIT: this runs under
 * the RCU read lock), and the root's is cut off its front. Without the
 * memory to keep it, it is made again at each read, in v->path.
 */
static const char *rec_path(const struct view *v)
{
	struct cgshare_rec *rec = v->rec;
	struct cgshare_path *p = smp_load_acquire(&rec->path);
	const char *s;
	int len;

	if (v->root_len < 0)
		goto from_root;
	if (p) {
		s = p->s;
		len = p->len;
	} else {
		len = kernfs_path_from_node(rec->cgrp->kn, NULL, v->path, PATH_MAX);
		if (len < 0 || len >= PATH_MAX)
			return NULL;
		s = v->path;
		/* not for a removed record's last message: it is freed next */
		p = v->final ? NULL :
		    kmalloc(struct_size(p, s, len + 1), GFP_NOWAIT | __GFP_NOWARN);
		if (p) {
			p->len = len;
			memcpy(p->s, s, len + 1);
			/* another reader may have kept one first */
			if (cmpxchg_release(&rec->path, NULL, p))
				kfree(p);
		}
	}
	if (!v->root_len)
		return s;
	/* below the root by construction; anything else the slow way */
	if (len == v->root_len)
		return "/";
	if (len > v->root_len && s[v->root_len] == '/')
		return s + v->root_len;
from_root:
	len = kernfs_path_from_node(rec->cgrp->kn, v->root->kn, v->path, PATH_MAX);
	return len < 0 || len >= PATH_MAX ? NULL : v->path;
}

/* A big table is copied in pieces, to keep the chain lock short. */
static int fill_gpu(struct sk_buff *skb, struct cgshare_rec *rec)
{
	struct cgshare_gpu_dev devs[8];
	unsigned int from = 0, i, n;
	struct nlattr *nest;

	do {
		n = cgshare_gpu_copy(rec, from, devs, ARRAY_SIZE(devs));
		for (i = 0; i < n; i++) {
			nest = nla_nest_start(skb, CGSHARE_A_CGROUP_GPU);
			if (!nest ||
			    nla_put_string(skb, CGSHARE_A_GPU_DEV, devs[i].name) ||
			    nla_put_uint(skb, CGSHARE_A_GPU_BUSY_NS, devs[i].busy_ns) ||
			    nla_put_uint(skb, CGSHARE_A_GPU_QUEUE_NS, devs[i].queue_ns) ||
			    nla_put_uint(skb, CGSHARE_A_GPU_MEM_BYTES, devs[i].mem_bytes))
				return -EMSGSIZE;
			nla_nest_end(skb, nest);
		}
		from += n;
	} while (n == ARRAY_SIZE(devs));
	return 0;
}

/*
 * Attributes @type, @type + 1, ... of type "uint", 8 bytes each, in one
 * reservation. nla_put_uint() reserves, pads and copies every attribute
 * on its own, and that was a fifth of the kernel's instructions in a dump
 * (profiled under icount); a "uint" reader takes 4 or 8 bytes.
 */
static int put_uints(struct sk_buff *skb, int type, const u64 *v, int n)
{
	const int size = nla_total_size(sizeof(u64));
	struct nlattr *nla;
	int i;

	if (unlikely(skb_tailroom(skb) < n * size))
		return -EMSGSIZE;
	nla = skb_put(skb, n * size);
	for (i = 0; i < n; i++) {
		nla->nla_type = type + i;
		nla->nla_len = nla_attr_size(sizeof(u64));
		memcpy(nla_data(nla), &v[i], sizeof(u64));
		nla = (void *)nla + size;
	}
	return 0;
}

/* Limits and pressure are read live: a released cgroup has neither. */
static int fill_live(struct sk_buff *skb, struct cgroup *cgrp)
{
	u64 lim[CGSHARE_MEM_NR_LIMITS], psi[CGSHARE_PSI_NR];

	if (cgshare_mem_limits(cgrp, lim) &&
	    put_uints(skb, CGSHARE_A_CGROUP_MEM_HIGH, lim, ARRAY_SIZE(lim)))
		return -EMSGSIZE;
	if (cgshare_psi_read(cgrp, psi) &&
	    put_uints(skb, CGSHARE_A_CGROUP_CPU_PRESSURE_SOME_NS, psi, ARRAY_SIZE(psi)))
		return -EMSGSIZE;
	return 0;
}

static int fill_mem(struct sk_buff *skb, const struct view *v)
{
	struct cgshare_mem mem;

	if (v->final) {
		if (!v->rec->has_final_mem)
			return 0;
		mem = v->rec->final_mem;
	} else if (!cgshare_mem_read(v->rec->cgrp, &mem)) {
		return 0;
	}
	{
		/* CGSHARE_A_CGROUP_MEM_CURRENT to _MEM_EVENTS_OOM_KILL */
		const u64 val[] = {
			mem.current_bytes, mem.peak_bytes, mem.swap_bytes,
			mem.events[0], mem.events[1], mem.events[2], mem.events[3],
			mem.events[4],
		};

		BUILD_BUG_ON(CGSHARE_A_CGROUP_MEM_EVENTS_OOM_KILL - CGSHARE_A_CGROUP_MEM_CURRENT + 1 !=
			     ARRAY_SIZE(val));
		return put_uints(skb, CGSHARE_A_CGROUP_MEM_CURRENT, val, ARRAY_SIZE(val));
	}
}

static int fill(struct sk_buff *skb, const struct view *v, u32 portid, u32 seq,
		int flags, u8 cmd, struct netlink_callback *cb)
{
	struct cgroup *cgrp = v->rec->cgrp;
	struct cgshare_cpu_sum cpu;
	u64 cpu_val[3];		/* CGSHARE_A_CGROUP_CPU_USAGE_NS, _WAIT_NS, _SWITCHES */
	const char *path;
	void *hdr;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "cgshare record filled outside RCU");

	hdr = genlmsg_put(skb, portid, seq, &family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	path = rec_path(v);
	if (!path)
		goto cancel;

	cgshare_rec_cpu_sum(v->rec, &cpu);
	if (!v->final)
		cpu.usage_ns += cgshare_cpu_running_ns(v->rec, v->running);
	cpu.usage_ns = cgshare_rec_usage_seen(v->rec, cpu.usage_ns);
	cpu_val[0] = cpu.usage_ns;
	cpu_val[1] = cpu.wait_ns;
	cpu_val[2] = cpu.switches;

	if (nla_put_u64_64bit(skb, CGSHARE_A_CGROUP_ID, v->rec->id, CGSHARE_A_CGROUP_PAD) ||
	    nla_put_string(skb, CGSHARE_A_CGROUP_PATH, path) ||
	    (cgrp != v->root && cgroup_parent(cgrp) &&
	     nla_put_u64_64bit(skb, CGSHARE_A_CGROUP_PARENT_ID,
			       cgroup_id(cgroup_parent(cgrp)), CGSHARE_A_CGROUP_PAD)) ||
	    put_uints(skb, CGSHARE_A_CGROUP_CPU_USAGE_NS, cpu_val, ARRAY_SIZE(cpu_val)) ||
	    fill_mem(skb, v) || fill_gpu(skb, v->rec))
		goto cancel;
	if (!v->final && fill_live(skb, cgrp))
		goto cancel;

	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* The caller's cgroup namespace root, referenced. */
static struct cgroup *caller_root(void)
{
	struct cgroup *root;

	if (!current->nsproxy)
		return NULL;
	root = current->nsproxy->cgroup_ns->root_cset->dfl_cgrp;
	cgroup_get(root);
	return root;
}

/* Resolves id or path (exactly one) to a cgroup under @root, referenced. */
static struct cgroup *target(struct nlattr **attrs, struct cgroup *root,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *id = attrs[CGSHARE_A_CGROUP_ID];
	struct nlattr *path = attrs[CGSHARE_A_CGROUP_PATH];
	struct nlattr *given = id;	/* for the extack */
	struct kernfs_node *kn;
	struct cgroup *cgrp;
	u64 cgid;

	if (id && path) {
		NL_SET_ERR_MSG_ATTR(extack, path, "give id or path, not both");
		return ERR_PTR(-EINVAL);
	}
	if (path) {
		if (*(const char *)nla_data(path) != '/') {
			NL_SET_ERR_MSG_ATTR(extack, path, "path must start with /");
			return ERR_PTR(-EINVAL);
		}
		/* Resolved from the caller's cgroup namespace root. */
		cgrp = cgroup_get_from_path(nla_data(path));
		if (IS_ERR(cgrp)) {
			/* A file in cgroupfs is not a cgroup either. */
			NL_SET_ERR_MSG_ATTR(extack, path, "no such cgroup");
			return ERR_PTR(-ENOENT);
		}
		/*
		 * The path walk finds a directory as soon as kernfs links it,
		 * while cgroup_create() has not even set its kn: a cgroup
		 * is whole once kernfs activates it, which the lookup by id
		 * checks.
		 */
		kn = READ_ONCE(cgrp->kn);
		cgid = kn ? kn->id : 0;
		cgroup_put(cgrp);
		given = path;
	} else {
		cgid = nla_get_u64(id);
	}
	cgrp = cgid ? cgroup_get_from_id(cgid) : ERR_PTR(-ENOENT);
	if (IS_ERR(cgrp)) {
		NL_SET_ERR_MSG_ATTR(extack, given, "no such cgroup");
		return cgrp;
	}
	if (!cgroup_is_descendant(cgrp, root)) {
		cgroup_put(cgrp);
		NL_SET_ERR_MSG_ATTR(extack, given, "no such cgroup");
		return ERR_PTR(-ENOENT);
	}
	return cgrp;
}

/*
 * The reply to a do: sized for the record's devices, again if a charge
 * added some between the allocation and the fill.
 */
static int reply_rec(struct genl_info *info, struct view *v, u64 id)
{
	unsigned int nr_gpu = 0, now;
	struct sk_buff *msg;
	int ret;

	cgshare_ledger_flush();
	for (;;) {
		msg = msg_alloc(rec_payload(nr_gpu, PATH_MAX));
		if (!msg)
			return -ENOMEM;
		rcu_read_lock();
		cgshare_cpu_snapshot(v->running);
		v->rec = cgshare_rec_find(id);
		if (!v->rec) {
			rcu_read_unlock();
			nlmsg_free(msg);
			NL_SET_ERR_MSG(info->extack, "cgroup has no record (created while out of memory?)");
			return -ENOENT;
		}
		ret = fill(msg, v, info->snd_portid, info->snd_seq, 0, CGSHARE_CMD_CGROUP_GET, NULL);
		now = READ_ONCE(v->rec->nr_gpu);
		rcu_read_unlock();
		if (ret != -EMSGSIZE || now <= nr_gpu)
			break;
		nlmsg_free(msg);
		nr_gpu = min(now + 16, cgshare_gpu_dev_max());
	}
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int cgroup_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct view v = {};
	struct cgroup *cgrp;
	char *scratch;
	int ret;

	if (!info->attrs[CGSHARE_A_CGROUP_ID] && !info->attrs[CGSHARE_A_CGROUP_PATH]) {
		NL_SET_ERR_MSG(info->extack, "id or path is required");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, CGSHARE_A_CGROUP_ID);
		return -EINVAL;
	}
	v.root = caller_root();
	if (!v.root)
		return -ESRCH;
	cgshare_lifetime_sync();
	cgrp = target(info->attrs, v.root, info->extack);
	if (IS_ERR(cgrp)) {
		ret = PTR_ERR(cgrp);
		goto out_root;
	}
	scratch = scratch_alloc(true);
	if (scratch) {
		view_scratch(&v, scratch);
		ret = reply_rec(info, &v, cgroup_id(cgrp));
	} else {
		ret = -ENOMEM;
	}
	kvfree(scratch);
	cgroup_put(cgrp);
out_root:
	cgroup_put(v.root);
	return ret;
}

struct dump_ctx {
	unsigned long next_id;
	unsigned long end_id;		/* cgroups born later are not waited for */
	struct cgroup *root;		/* namespace root: paths are relative to it */
	struct cgroup *subtree;		/* only records below this one */
	char *scratch;
};

static struct dump_ctx *dump_ctx(struct netlink_callback *cb)
{
	NL_ASSERT_DUMP_CTX_FITS(struct dump_ctx);
	return (struct dump_ctx *)cb->ctx;
}

/*
 * A dump message holds whole records. Records with short paths and few
 * devices fit the default size; once some record holds more devices, ask
 * netlink for messages that fit the largest record (as rtnetlink does for
 * devices with many VFs), with room for devices added meanwhile. Readers
 * then need receive buffers that large, or MSG_PEEK.
 */
static void dump_size(struct netlink_callback *cb)
{
	unsigned int n = cgshare_gpu_names_max();
	size_t want;

	if (genlmsg_total_size(rec_payload(n, 255)) <= NLMSG_GOODSIZE)
		return;
	n = min(n + 16, cgshare_gpu_dev_max());
	want = genlmsg_total_size(rec_payload(n, PATH_MAX));
	if (want > cb->min_dump_alloc)
		cb->min_dump_alloc = want;
}

static int cgroup_dump_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = cgshare_dump_attrs(cb);
	struct dump_ctx *ctx = dump_ctx(cb);
	struct cgroup *sub;
	int ret;

	ctx->root = caller_root();
	if (!ctx->root)
		return -ESRCH;
	cgshare_lifetime_sync();
	if (attrs[CGSHARE_A_CGROUP_ID] || attrs[CGSHARE_A_CGROUP_PATH]) {
		sub = target(attrs, ctx->root, cb->extack);
		if (IS_ERR(sub)) {
			ret = PTR_ERR(sub);
			goto err_root;
		}
	} else {
		sub = ctx->root;
		cgroup_get(sub);
	}
	ctx->scratch = scratch_alloc(true);
	if (!ctx->scratch) {
		ret = -ENOMEM;
		goto err_sub;
	}
	ctx->subtree = sub;
	ctx->end_id = cgshare_ledger_max_id();
	dump_size(cb);
	return 0;

	/* ->done() is not called when ->start() fails. */
err_sub:
	cgroup_put(sub);
err_root:
	cgroup_put(ctx->root);
	ctx->root = NULL;
	return ret;
}

static int cgroup_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);
	struct view v = { .root = ctx->root };
	struct xa_state xas;
	int ret = 0;

	/* A dump that spans a record's birth or death gets NLM_F_DUMP_INTR. */
	cb->seq = cgshare_ledger_generation();
	dump_size(cb);		/* for the next message */
	view_scratch(&v, ctx->scratch);
	cgshare_ledger_flush();

	cgshare_rec_walk_start(&xas, ctx->next_id);
	rcu_read_lock();
	cgshare_cpu_snapshot(v.running);
	while (ctx->next_id <= ctx->end_id &&
	       (v.rec = cgshare_rec_walk_next(&xas, ctx->end_id))) {
		/* the next call starts at the record that did not fit */
		ctx->next_id = v.rec->id;
		if (cgroup_is_descendant(v.rec->cgrp, ctx->subtree)) {
			ret = fill(skb, &v, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				   NLM_F_MULTI, CGSHARE_CMD_CGROUP_GET, cb);
			if (ret)
				break;
		}
		ctx->next_id++;
	}
	rcu_read_unlock();

	/* A record too big for an empty message can never be sent. */
	if (ret && !skb->len)
		return -EMSGSIZE;
	return skb->len;
}

static int cgroup_dump_done(struct netlink_callback *cb)
{
	struct dump_ctx *ctx = dump_ctx(cb);

	kvfree(ctx->scratch);
	if (ctx->subtree)
		cgroup_put(ctx->subtree);
	if (ctx->root)
		cgroup_put(ctx->root);
	return 0;
}

static const int charge_attr[] = {
	[CGSHARE_GPU_BUSY] = CGSHARE_A_CHARGE_BUSY_NS,
	[CGSHARE_GPU_QUEUE] = CGSHARE_A_CHARGE_QUEUE_NS,
	[CGSHARE_GPU_MEM] = CGSHARE_A_CHARGE_MEM_BYTES,
};

static int charge_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cgshare_gpu_charge ch = {};
	struct nlattr **a = info->attrs;
	struct cgroup *root;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CGSHARE_A_CHARGE_ID) ||
	    GENL_REQ_ATTR_CHECK(info, CGSHARE_A_CHARGE_DEV))
		return -EINVAL;
	ch.id = nla_get_u64(a[CGSHARE_A_CHARGE_ID]);
	ch.dev = nla_data(a[CGSHARE_A_CHARGE_DEV]);
	if (!ch.dev[0]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[CGSHARE_A_CHARGE_DEV], "empty device name");
		return -EINVAL;
	}
	if (!cgshare_gpu_dev_valid(ch.dev, CGSHARE_DEV_NAME_LEN, &ch.hash)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[CGSHARE_A_CHARGE_DEV],
				    "device name may hold only letters, digits and :._-");
		return -EINVAL;
	}
	if (a[CGSHARE_A_CHARGE_BUSY_NS])
		ch.busy_ns = nla_get_u64(a[CGSHARE_A_CHARGE_BUSY_NS]);
	if (a[CGSHARE_A_CHARGE_QUEUE_NS])
		ch.queue_ns = nla_get_u64(a[CGSHARE_A_CHARGE_QUEUE_NS]);
	if (a[CGSHARE_A_CHARGE_MEM_BYTES]) {
		ch.mem_bytes = nla_get_u64(a[CGSHARE_A_CHARGE_MEM_BYTES]);
		ch.set_mem = true;
	}

	root = caller_root();
	if (!root)
		return -ESRCH;
	cgshare_lifetime_sync();
	ret = cgshare_gpu_charge(&ch, root, info->extack);
	if (ret == -ENOENT)
		NL_SET_BAD_ATTR(info->extack, a[CGSHARE_A_CHARGE_ID]);
	else if (ret == -EOVERFLOW)
		NL_SET_BAD_ATTR(info->extack, a[charge_attr[ch.overflow]]);
	cgroup_put(root);
	return ret;
}

static int put_status(struct sk_buff *msg)
{
	const char *off = cgshare_bpf_off_reason();
	u32 features = CGSHARE_FEATURE_CPU | CGSHARE_FEATURE_MEMORY | CGSHARE_FEATURE_GPU_CHARGE;
	struct cgshare_gpu_stats gpu;

	if (!off)
		features |= CGSHARE_FEATURE_GPU_BPF;
	cgshare_gpu_stats(&gpu);
	if (nla_put_string(msg, CGSHARE_A_STATUS_VERSION, CGSHARE_VERSION) ||
	    nla_put_u32(msg, CGSHARE_A_STATUS_FEATURES, features) ||
	    nla_put_u32(msg, CGSHARE_A_STATUS_NR_CGROUPS, cgshare_ledger_count()) ||
	    nla_put_u32(msg, CGSHARE_A_STATUS_GENERATION, cgshare_ledger_generation()) ||
	    (off && nla_put_string(msg, CGSHARE_A_STATUS_GPU_BPF_REASON, off)) ||
	    nla_put_u32(msg, CGSHARE_A_STATUS_GPU_DEV_MAX, cgshare_gpu_dev_max()) ||
	    nla_put_uint(msg, CGSHARE_A_STATUS_GPU_REFUSED_FULL, gpu.refused_full) ||
	    nla_put_uint(msg, CGSHARE_A_STATUS_GPU_REFUSED_OVERFLOW, gpu.refused_overflow) ||
	    nla_put_uint(msg, CGSHARE_A_STATUS_GPU_REFUSED_NOMEM, gpu.refused_nomem) ||
	    nla_put_uint(msg, CGSHARE_A_STATUS_RECORDS_DEFERRED, cgshare_lifetime_deferred()) ||
	    nla_put_uint(msg, CGSHARE_A_STATUS_RECORDS_FAILED, cgshare_ledger_alloc_failed()) ||
	    nla_put_uint(msg, CGSHARE_A_STATUS_NOTIFY_DROPPED, atomic64_read(&notify_dropped)))
		return -EMSGSIZE;
	return 0;
}

static int status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = msg_alloc(NLMSG_DEFAULT_SIZE);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &family, 0, CGSHARE_CMD_STATUS_GET);
	if (!hdr || put_status(msg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * A removed record's final counters, to the notify group. A dead record
 * gets no new devices, so its message size is known. A notification that
 * cannot be allocated is lost to every listener: count it.
 */
void cgshare_nl_notify_release(struct cgshare_rec *rec)
{
	struct view v = { .rec = rec, .root = &cgrp_dfl_root.cgrp, .final = true };
	struct sk_buff *msg = NULL;
	int ret = -ENOMEM;

	if (!genl_has_listeners(&family, &init_net, 0))
		return;
	v.path = scratch_alloc(false);
	if (v.path)
		msg = msg_alloc(rec_payload(READ_ONCE(rec->nr_gpu), PATH_MAX));
	if (msg) {
		rcu_read_lock();
		ret = fill(msg, &v, 0, 0, 0, CGSHARE_CMD_CGROUP_RELEASE, NULL);
		rcu_read_unlock();
	}
	if (!ret) {
		genlmsg_multicast(&family, msg, 0, 0, GFP_KERNEL);
		msg = NULL;
	} else {
		atomic64_inc(&notify_dropped);
		pr_warn_once("cgshare: a cgroup-release notification was dropped (%d)\n", ret);
	}
	nlmsg_free(msg);
	kvfree(v.path);
}

static const struct genl_ops ops[] = {
	{
		.cmd = CGSHARE_CMD_CGROUP_GET,
		.doit = cgroup_get_doit,
		.start = cgroup_dump_start,
		.dumpit = cgroup_dumpit,
		.done = cgroup_dump_done,
		/* 6.1 has one policy per op; the spec's do and dump agree. */
		.policy = cgshare_cgroup_get_do_nl_policy,
		.maxattr = ARRAY_SIZE(cgshare_cgroup_get_do_nl_policy) - 1,
		.flags = CGSHARE_NL_CGROUP_GET_FLAGS,
	},
	{
		.cmd = CGSHARE_CMD_CHARGE,
		.doit = charge_doit,
		.policy = cgshare_charge_nl_policy,
		.maxattr = ARRAY_SIZE(cgshare_charge_nl_policy) - 1,
		.flags = CGSHARE_NL_CHARGE_FLAGS,
	},
	{
		.cmd = CGSHARE_CMD_STATUS_GET,
		.doit = status_doit,
		.flags = CGSHARE_NL_STATUS_GET_FLAGS,
	},
};

static const struct genl_multicast_group mcgrps[] = {
	/* Final counters name every cgroup on the host: admins only. */
	{ .name = CGSHARE_MCGRP_NOTIFY, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family family __ro_after_init = {
	.name = CGSHARE_FAMILY_NAME,
	.version = CGSHARE_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = ops,
	.n_ops = ARRAY_SIZE(ops),
	.resv_start_op = CGSHARE_CMD_CGROUP_GET,
	.mcgrps = mcgrps,
	.n_mcgrps = ARRAY_SIZE(mcgrps),
};

int cgshare_netlink_init(void)
{
	return genl_register_family(&family);
}

void cgshare_netlink_uninit(void)
{
	genl_unregister_family(&family);
}
