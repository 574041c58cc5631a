// SPDX-License-Identifier: GPL-2.0
/*
 * GPU counters arrive from collectors, not from the scheduler: a charge
 * adds execution and queue time to a cgroup and its ancestors and sets the
 * cgroup's own device memory, whose change is applied to the ancestors'
 * totals.
 *
 * Charges come from two kinds of caller: the netlink `charge` op (process
 * context) and the BPF collectors through the kfunc (tracepoint context,
 * often with interrupts off, sometimes in interrupt). Both take the
 * ledger's chain lock, so a charge walks one consistent chain and lands on
 * all of it or on none of it; readers copy a record's devices under it
 * too. GPU events are rare next to context switches (thousands a second,
 * not millions), so one lock is cheap.
 *
 * Each record holds the devices charged in its subtree, so the root holds
 * every name the host has charged: a node of 8 GPUs whose scheduler path
 * names every ring (<pdev>:<ring>), seen through two sources, reaches
 * hundreds. A record's table starts small and doubles up to gpu_dev_max;
 * a charge that would add a name to a full table anywhere on its chain is
 * refused (ENOSPC), and so is one that would wrap a counter (EOVERFLOW):
 * a counter never goes backwards and a parent always holds the sum of its
 * children. Every refusal is counted for status-get.
 *
 * A record is freed an RCU grace period after it leaves the table, and every
 * charge runs inside an RCU read-side section, so a charge that found a
 * record can write to it (and grow its table) until it is done.
 */
#include <linux/error-injection.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include "gpu.h"

#define TABLE_FIRST	4	/* devices in a record's first table */

static unsigned int gpu_dev_max = 512;
static unsigned int names_max;		/* largest nr_gpu of any record */
static atomic64_t refused_full, refused_overflow, refused_nomem;

/*
 * Each kind of refusal is logged once, from irq_work: a charge may come
 * from a tracing program in a context where printk is not safe.
 */
enum { LOG_FULL, LOG_OVERFLOW, LOG_NOMEM };
static unsigned long log_wanted, log_done;

static void log_fn(struct irq_work *work)
{
	if (test_bit(LOG_FULL, &log_wanted) && !test_and_set_bit(LOG_FULL, &log_done))
		pr_warn("cgshare: GPU charges of new devices refused: a record holds gpu_dev_max (%u) devices\n",
			gpu_dev_max);
	if (test_bit(LOG_OVERFLOW, &log_wanted) && !test_and_set_bit(LOG_OVERFLOW, &log_done))
		pr_warn("cgshare: a GPU charge refused: it would wrap a counter\n");
	if (test_bit(LOG_NOMEM, &log_wanted) && !test_and_set_bit(LOG_NOMEM, &log_done))
		pr_warn("cgshare: a GPU charge refused: no memory for a device table\n");
}

static DEFINE_IRQ_WORK(log_work, log_fn);

static void refused(atomic64_t *count, int log)
{
	atomic64_inc(count);
	if (!test_and_set_bit(log, &log_wanted))
		irq_work_queue(&log_work);
}

static int gpu_dev_max_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, CGSHARE_GPU_DEV_MIN, CGSHARE_GPU_DEV_MAX);
}

static const struct kernel_param_ops gpu_dev_max_ops = {
	.set = gpu_dev_max_set,
	.get = param_get_uint,
};
module_param_cb(gpu_dev_max, &gpu_dev_max_ops, &gpu_dev_max, 0444);
MODULE_PARM_DESC(gpu_dev_max, "Most GPU device names one cgroup's record holds (8..1024, default 512)");

unsigned int cgshare_gpu_dev_max(void)
{
	return gpu_dev_max;
}

/* The most devices any record holds: the root's count, in practice. */
unsigned int cgshare_gpu_names_max(void)
{
	return READ_ONCE(names_max);
}

/*
 * A device name: 1 to size - 1 ASCII letters, digits and :._-, then NUL.
 * Not isalnum(): the kernel's ctype counts Latin-1 letters as letters.
 */
static bool dev_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' || c == '-';
}

/*
 * Checks @dev and hashes it in the same pass (FNV-1a), for the charge's
 * searches: one walk over the name per charge, where a check, a strlen()
 * and a jhash() made three (56 of a signalled fence's 860 instructions,
 * under icount).
 */
bool cgshare_gpu_dev_valid(const char *dev, size_t size, u32 *hash)
{
	u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < size && dev[i]; i++) {
		if (!dev_char_valid(dev[i]))
			return false;
		h = (h ^ (u8)dev[i]) * 16777619u;
	}
	*hash = h;
	return i > 0 && i < size;
}

static struct cgshare_gpu_dev *find_dev(struct cgshare_rec *rec, const char *dev, u32 hash)
{
	unsigned int i;

	for (i = 0; i < rec->nr_gpu; i++)
		if (rec->gpu[i].hash == hash && !strcmp(rec->gpu[i].name, dev))
			return &rec->gpu[i];
	return NULL;
}

static noinline struct cgshare_gpu_dev *gpu_table_alloc(unsigned int n)
{
	return kcalloc(n, sizeof(struct cgshare_gpu_dev), GFP_ATOMIC | __GFP_NOWARN);
}
ALLOW_ERROR_INJECTION(gpu_table_alloc, NULL);

/* Room for one more device in @rec's table; no counter changes. */
static int make_room(struct cgshare_rec *rec)
{
	struct cgshare_gpu_dev *t;
	unsigned int cap;

	if (rec->nr_gpu < rec->cap_gpu)
		return 0;
	cap = rec->cap_gpu ? min(2 * rec->cap_gpu, gpu_dev_max) : TABLE_FIRST;
	t = gpu_table_alloc(cap);
	if (!t)
		return -ENOMEM;
	if (rec->nr_gpu)
		memcpy(t, rec->gpu, rec->nr_gpu * sizeof(*t));
	kfree(rec->gpu);
	rec->gpu = t;
	rec->cap_gpu = cap;
	return 0;
}

/* How the leaf's new device memory changes every sum on its chain. */
struct mem_delta {
	u64 inc, dec;
};

static bool wraps(u64 a, u64 b)
{
	u64 sum;

	return check_add_overflow(a, b, &sum);
}

/*
 * The devices check_chain() found, by level from the leaf, for
 * apply_chain() to add to without searching each table by name again
 * (the common case: every record on the chain has the device already).
 * A table that make_room() grows is one where the device was missing, so
 * no pointer kept here moves. Deeper levels are searched again.
 */
#define CHAIN_SEEN	8

struct chain_seen {
	struct cgshare_gpu_dev *dev[CHAIN_SEEN];	/* NULL: missing */
};

/* Would the charge fit the whole chain? Counts the records that lack dev. */
static int check_chain(struct cgshare_rec *leaf, struct cgshare_gpu_charge *ch, u32 hash,
		       const struct mem_delta *md, unsigned int *missing,
		       struct chain_seen *seen, struct netlink_ext_ack *extack)
{
	struct cgshare_gpu_dev *d;
	struct cgshare_rec *rec;
	unsigned int level = 0;

	*missing = 0;
	for (rec = leaf; rec; rec = rec->parent, level++) {
		d = find_dev(rec, ch->dev, hash);
		if (level < CHAIN_SEEN)
			seen->dev[level] = d;
		if (!d) {
			if (rec->nr_gpu >= gpu_dev_max) {
				NL_SET_ERR_MSG(extack, "a cgroup on the chain already holds gpu_dev_max GPU devices");
				refused(&refused_full, LOG_FULL);
				return -ENOSPC;
			}
			(*missing)++;
			continue;
		}
		if (wraps(d->busy_ns, ch->busy_ns))
			ch->overflow = CGSHARE_GPU_BUSY;
		else if (wraps(d->queue_ns, ch->queue_ns))
			ch->overflow = CGSHARE_GPU_QUEUE;
		else if (wraps(d->mem_bytes, md->inc))
			ch->overflow = CGSHARE_GPU_MEM;
		else
			continue;
		NL_SET_ERR_MSG(extack, "the charge would wrap a GPU counter of the cgroup or an ancestor");
		refused(&refused_overflow, LOG_OVERFLOW);
		return -EOVERFLOW;
	}
	return 0;
}

static void apply_chain(struct cgshare_rec *leaf, const struct cgshare_gpu_charge *ch, u32 hash,
			const struct mem_delta *md, const struct chain_seen *seen)
{
	struct cgshare_gpu_dev *d;
	struct cgshare_rec *rec;
	unsigned int level = 0;

	for (rec = leaf; rec; rec = rec->parent, level++) {
		d = level < CHAIN_SEEN ? seen->dev[level] : find_dev(rec, ch->dev, hash);
		if (!d) {
			d = &rec->gpu[rec->nr_gpu];
			WRITE_ONCE(rec->nr_gpu, rec->nr_gpu + 1);
			strscpy(d->name, ch->dev, sizeof(d->name));
			d->hash = hash;
			if (rec->nr_gpu > names_max)
				WRITE_ONCE(names_max, rec->nr_gpu);
		}
		if (rec == leaf && ch->set_mem)
			d->mem_own = ch->mem_bytes;
		d->busy_ns += ch->busy_ns;
		d->queue_ns += ch->queue_ns;
		d->mem_bytes += md->inc;
		d->mem_bytes -= min(d->mem_bytes, md->dec);
	}
}

/*
 * Checks that the whole chain can take the charge, makes room in the
 * tables that lack the device (GFP_ATOMIC: we hold the chain lock; a table
 * that grew and then went unused changes no counter), then applies it.
 * Nothing is counted unless 0 is returned.
 */
static int charge_locked(struct cgshare_rec *leaf, struct cgshare_gpu_charge *ch,
			 struct netlink_ext_ack *extack)
{
	u32 hash = ch->hash;
	struct mem_delta md = {};
	struct chain_seen seen;
	struct cgshare_gpu_dev *d;
	struct cgshare_rec *rec;
	unsigned int missing;
	int ret;

	lockdep_assert_held(&cgshare_chain_lock);
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "cgshare GPU charge outside RCU");
	if (READ_ONCE(leaf->dead)) {
		NL_SET_ERR_MSG(extack, "cgroup was removed");
		return -ENOENT;
	}
	if (ch->set_mem) {
		d = find_dev(leaf, ch->dev, hash);
		if (d && d->mem_own > ch->mem_bytes)
			md.dec = d->mem_own - ch->mem_bytes;
		else
			md.inc = ch->mem_bytes - (d ? d->mem_own : 0);
	}
	ret = check_chain(leaf, ch, hash, &md, &missing, &seen, extack);
	if (ret)
		return ret;
	for (rec = leaf; missing && rec; rec = rec->parent) {
		if (find_dev(rec, ch->dev, hash))
			continue;
		missing--;
		if (make_room(rec)) {
			NL_SET_ERR_MSG(extack, "no memory for the GPU counters");
			refused(&refused_nomem, LOG_NOMEM);
			return -ENOMEM;
		}
	}
	apply_chain(leaf, ch, hash, &md, &seen);
	return 0;
}

/*
 * Charges cgroup ch->id, which must lie under @scope (the caller's cgroup
 * namespace root; NULL: anywhere, for the BPF path), and its ancestors.
 * Callable from any context but NMI: the netlink op and the kfunc share it.
 */
int cgshare_gpu_charge(struct cgshare_gpu_charge *ch, struct cgroup *scope,
		       struct netlink_ext_ack *extack)
{
	struct cgshare_rec *leaf;
	unsigned long flags;
	int ret;

	if (in_nmi())
		return -EBUSY;
	rcu_read_lock();
	leaf = cgshare_rec_find(ch->id);
	if (!leaf || (scope && !cgroup_is_descendant(leaf->cgrp, scope))) {
		NL_SET_ERR_MSG(extack, "no such cgroup");
		ret = -ENOENT;
	} else {
		spin_lock_irqsave(&cgshare_chain_lock, flags);
		ret = charge_locked(leaf, ch, extack);
		spin_unlock_irqrestore(&cgshare_chain_lock, flags);
	}
	rcu_read_unlock();
	return ret;
}

/* A dead cgroup holds no device memory any more: take it off its ancestors. */
void cgshare_gpu_release(struct cgshare_rec *rec)
{
	struct cgshare_gpu_dev *d, *ad;
	struct cgshare_rec *anc;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&cgshare_chain_lock, flags);
	for (i = 0; i < rec->nr_gpu; i++) {
		d = &rec->gpu[i];
		if (!d->mem_own)
			continue;
		for (anc = rec->parent; anc; anc = anc->parent) {
			ad = find_dev(anc, d->name, d->hash);
			if (ad)
				ad->mem_bytes -= min(ad->mem_bytes, d->mem_own);
		}
	}
	spin_unlock_irqrestore(&cgshare_chain_lock, flags);
}

/*
 * Copies up to @n of @rec's devices, from the @from'th on, into @out;
 * returns how many. Devices are only ever appended, so a reader that
 * copies a large table in pieces sees each device once.
 */
unsigned int cgshare_gpu_copy(struct cgshare_rec *rec, unsigned int from,
			      struct cgshare_gpu_dev *out, unsigned int n)
{
	unsigned long flags;

	/* Most records hold no device: they need not take the lock. */
	if (from >= READ_ONCE(rec->nr_gpu))
		return 0;
	spin_lock_irqsave(&cgshare_chain_lock, flags);
	n = from < rec->nr_gpu ? min(n, rec->nr_gpu - from) : 0;
	if (n)
		memcpy(out, rec->gpu + from, n * sizeof(*out));
	spin_unlock_irqrestore(&cgshare_chain_lock, flags);
	return n;
}

void cgshare_gpu_stats(struct cgshare_gpu_stats *st)
{
	st->refused_full = atomic64_read(&refused_full);
	st->refused_overflow = atomic64_read(&refused_overflow);
	st->refused_nomem = atomic64_read(&refused_nomem);
}

/* No charge can come any more: the log it may have asked for is done. */
void cgshare_gpu_uninit(void)
{
	irq_work_sync(&log_work);
}
