// SPDX-License-Identifier: GPL-2.0
/*
 * GPU counters arrive from collectors, not from the scheduler: a charge
 * adds execution and queue time to a cgroup and its ancestors and sets the
 * cgroup's own device memory, whose change is applied to the ancestors'
 * totals. Writers are serialized by gpu_mutex, which the release worker
 * also takes, so a record held across an allocation cannot be freed.
 */
#include <linux/mutex.h>
#include <linux/slab.h>
#include "gpu.h"

static DEFINE_MUTEX(gpu_mutex);

/* Held by whoever changes a record's parent, so a charge sees one chain. */
void cgshare_gpu_lock(void)
{
	mutex_lock(&gpu_mutex);
}

void cgshare_gpu_unlock(void)
{
	mutex_unlock(&gpu_mutex);
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

/* Caller holds gpu_mutex and rcu_read_lock(). */
static unsigned int arrays_needed(struct cgshare_rec *rec)
{
	unsigned int n = 0;

	for (; rec; rec = rec->parent)
		n += !rec->gpu;
	return n;
}

static void apply(struct cgshare_rec *leaf, const struct cgshare_gpu_charge *ch,
		  struct cgshare_gpu_dev **spare)
{
	struct cgshare_gpu_dev *d;
	struct cgshare_rec *rec;
	s64 mem_delta = 0;

	for (rec = leaf; rec; rec = rec->parent) {
		spin_lock(&rec->gpu_lock);
		if (!rec->gpu)
			rec->gpu = *spare++;
		d = find_dev(rec, ch->dev);
		if (!d) {
			d = &rec->gpu[rec->nr_gpu++];
			strscpy(d->name, ch->dev, sizeof(d->name));
		}
		if (rec == leaf && ch->set_mem) {
			mem_delta = ch->mem_bytes - d->mem_own;
			d->mem_own = ch->mem_bytes;
		}
		d->busy_ns += ch->busy_ns;
		d->queue_ns += ch->queue_ns;
		d->mem_bytes += mem_delta;
		spin_unlock(&rec->gpu_lock);
	}
}

int cgshare_gpu_charge(const struct cgshare_gpu_charge *ch, struct cgroup *scope,
		       struct netlink_ext_ack *extack)
{
	struct cgshare_gpu_dev *spare[16] = {};
	struct cgshare_rec *leaf, *rec;
	unsigned int i, need;
	int ret = 0;

	mutex_lock(&gpu_mutex);
	rcu_read_lock();
	leaf = cgshare_rec_find(ch->id);
	if (!leaf || !cgroup_is_descendant(leaf->cgrp, scope)) {
		NL_SET_ERR_MSG(extack, "no such cgroup");
		ret = -ENOENT;
		goto out_unlock;
	}
	need = arrays_needed(leaf);
	rcu_read_unlock();

	if (need > ARRAY_SIZE(spare)) {
		NL_SET_ERR_MSG(extack, "cgroup is nested too deep for GPU counters");
		ret = -E2BIG;
		goto out;
	}
	for (i = 0; i < need; i++) {
		spare[i] = kcalloc(CGSHARE_MAX_GPUS, sizeof(*spare[i]), GFP_KERNEL);
		if (!spare[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}

	/* gpu_mutex keeps the records alive; the cgroup may have died meanwhile. */
	rcu_read_lock();
	if (READ_ONCE(leaf->dead)) {
		NL_SET_ERR_MSG(extack, "cgroup was removed");
		ret = -ENOENT;
		goto out_unlock;
	}
	for (rec = leaf; rec; rec = rec->parent) {
		if (!has_room(rec, ch->dev)) {
			NL_SET_ERR_MSG(extack, "too many GPU devices for this cgroup");
			ret = -ENOSPC;
			goto out_unlock;
		}
	}
	apply(leaf, ch, spare);
	memset(spare, 0, sizeof(spare[0]) * need);
out_unlock:
	rcu_read_unlock();
out:
	mutex_unlock(&gpu_mutex);
	for (i = 0; i < ARRAY_SIZE(spare); i++)
		kfree(spare[i]);
	return ret;
}

/* A dead cgroup holds no device memory any more: take it off its ancestors. */
void cgshare_gpu_release(struct cgshare_rec *rec)
{
	struct cgshare_gpu_dev *d, *ad;
	struct cgshare_rec *anc;
	unsigned int i;

	mutex_lock(&gpu_mutex);
	for (i = 0; i < rec->nr_gpu; i++) {
		d = &rec->gpu[i];
		if (!d->mem_own)
			continue;
		for (anc = rec->parent; anc; anc = anc->parent) {
			spin_lock(&anc->gpu_lock);
			ad = find_dev(anc, d->name);
			if (ad)
				ad->mem_bytes -= min(ad->mem_bytes, d->mem_own);
			spin_unlock(&anc->gpu_lock);
		}
	}
	mutex_unlock(&gpu_mutex);
}

/* Snapshot of @rec's devices into @out[CGSHARE_MAX_GPUS]; returns how many. */
unsigned int cgshare_gpu_copy(struct cgshare_rec *rec, struct cgshare_gpu_dev *out)
{
	unsigned int n;

	spin_lock(&rec->gpu_lock);
	n = rec->nr_gpu;
	if (n)
		memcpy(out, rec->gpu, n * sizeof(*out));
	spin_unlock(&rec->gpu_lock);
	return n;
}
