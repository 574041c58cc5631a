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
 * ledger's chain lock, which also covers every record's gpu[], so a charge
 * walks one consistent chain and lands on all of it or on none of it. GPU
 * events are rare next to context switches (thousands a second, not
 * millions), so one lock is cheap; readers copy a record's devices under
 * it too.
 *
 * A record is freed an RCU grace period after it leaves the table, and every
 * charge runs inside an RCU read-side section, so a charge that found a
 * record can write to it (and give it a gpu[] array) until it is done.
 */
#include <linux/hardirq.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include "gpu.h"

#define MAX_DEPTH	16	/* records on a chain that may need a gpu[] */

/*
 * A device name: 1 to size - 1 ASCII letters, digits and :._-, then NUL.
 * Not isalnum(): the kernel's ctype counts Latin-1 letters as letters.
 */
static bool dev_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' || c == '-';
}

bool cgshare_gpu_dev_valid(const char *dev, size_t size)
{
	size_t i;

	for (i = 0; i < size && dev[i]; i++)
		if (!dev_char_valid(dev[i]))
			return false;
	return i > 0 && i < size;
}

static struct cgshare_gpu_dev *find_dev(struct cgshare_rec *rec, const char *dev)
{
	unsigned int i;

	for (i = 0; i < rec->nr_gpu; i++)
		if (!strcmp(rec->gpu[i].name, dev))
			return &rec->gpu[i];
	return NULL;
}

static bool has_room(struct cgshare_rec *rec, const char *dev)
{
	return !rec->gpu || find_dev(rec, dev) || rec->nr_gpu < CGSHARE_MAX_GPUS;
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

/* Would any counter on the chain wrap? Which one, in ch->overflow. */
static bool chain_wraps(struct cgshare_rec *leaf, struct cgshare_gpu_charge *ch,
			const struct mem_delta *md)
{
	struct cgshare_gpu_dev *d;
	struct cgshare_rec *rec;

	for (rec = leaf; rec; rec = rec->parent) {
		d = find_dev(rec, ch->dev);
		if (!d)
			continue;
		if (wraps(d->busy_ns, ch->busy_ns))
			ch->overflow = CGSHARE_GPU_BUSY;
		else if (wraps(d->queue_ns, ch->queue_ns))
			ch->overflow = CGSHARE_GPU_QUEUE;
		else if (wraps(d->mem_bytes, md->inc))
			ch->overflow = CGSHARE_GPU_MEM;
		else
			continue;
		return true;
	}
	return false;
}

/*
 * Checks that the whole chain can take the charge, gives the records that
 * have no device array yet one (GFP_ATOMIC: we hold the chain lock), then
 * applies it. Nothing is changed unless 0 is returned. A charge that would
 * wrap a counter, the cgroup's or an ancestor's sum, is refused whole: a
 * counter never goes backwards and a parent always holds the sum of its
 * children. 2^64 ns is 584 years: only a broken collector gets there.
 */
static int charge_locked(struct cgshare_rec *leaf, struct cgshare_gpu_charge *ch,
			 struct netlink_ext_ack *extack)
{
	struct cgshare_gpu_dev *arr[MAX_DEPTH];
	struct mem_delta md = {};
	struct cgshare_gpu_dev *d;
	struct cgshare_rec *rec;
	unsigned int need = 0, i;

	lockdep_assert_held(&cgshare_chain_lock);
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "cgshare GPU charge outside RCU");
	if (READ_ONCE(leaf->dead)) {
		NL_SET_ERR_MSG(extack, "cgroup was removed");
		return -ENOENT;
	}
	for (rec = leaf; rec; rec = rec->parent) {
		if (!has_room(rec, ch->dev)) {
			NL_SET_ERR_MSG(extack, "too many GPU devices for this cgroup");
			return -ENOSPC;
		}
		need += !rec->gpu;
	}
	if (ch->set_mem) {
		d = leaf->gpu ? find_dev(leaf, ch->dev) : NULL;
		if (d && d->mem_own > ch->mem_bytes)
			md.dec = d->mem_own - ch->mem_bytes;
		else
			md.inc = ch->mem_bytes - (d ? d->mem_own : 0);
	}
	if (chain_wraps(leaf, ch, &md)) {
		NL_SET_ERR_MSG(extack, "the charge would wrap a GPU counter of the cgroup or an ancestor");
		return -EOVERFLOW;
	}
	if (need > MAX_DEPTH) {
		NL_SET_ERR_MSG(extack, "cgroup is nested too deep for GPU counters");
		return -E2BIG;
	}
	for (i = 0; i < need; i++) {
		arr[i] = kcalloc(CGSHARE_MAX_GPUS, sizeof(*arr[i]), GFP_ATOMIC | __GFP_NOWARN);
		if (!arr[i]) {
			while (i--)
				kfree(arr[i]);
			NL_SET_ERR_MSG(extack, "no memory for the GPU counters");
			return -ENOMEM;
		}
	}

	i = 0;
	for (rec = leaf; rec; rec = rec->parent) {
		if (!rec->gpu)
			rec->gpu = arr[i++];
		d = find_dev(rec, ch->dev);
		if (!d) {
			d = &rec->gpu[rec->nr_gpu++];
			strscpy(d->name, ch->dev, sizeof(d->name));
		}
		if (rec == leaf && ch->set_mem)
			d->mem_own = ch->mem_bytes;
		d->busy_ns += ch->busy_ns;
		d->queue_ns += ch->queue_ns;
		d->mem_bytes += md.inc;
		d->mem_bytes -= min(d->mem_bytes, md.dec);
	}
	return 0;
}

/*
 * Charges cgroup ch->id, which must lie under @scope (the caller's cgroup
 * namespace root; NULL: anywhere, for the BPF path), and its ancestors.
 * Callable from any context but NMI: the netlink op and the kfunc share it.
 * A cgroup's first device array is allocated with GFP_ATOMIC, once per
 * cgroup; if that fails the charge is refused whole (-ENOMEM).
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
			ad = find_dev(anc, d->name);
			if (ad)
				ad->mem_bytes -= min(ad->mem_bytes, d->mem_own);
		}
	}
	spin_unlock_irqrestore(&cgshare_chain_lock, flags);
}

/* Snapshot of @rec's devices into @out[CGSHARE_MAX_GPUS]; returns how many. */
unsigned int cgshare_gpu_copy(struct cgshare_rec *rec, struct cgshare_gpu_dev *out)
{
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&cgshare_chain_lock, flags);
	n = rec->nr_gpu;
	if (n)
		memcpy(out, rec->gpu, n * sizeof(*out));
	spin_unlock_irqrestore(&cgshare_chain_lock, flags);
	return n;
}
