// SPDX-License-Identifier: GPL-2.0
/*
 * Memory is not sampled: the memory controller already keeps exact
 * hierarchical counters, so they are read at read time, the same fields
 * memory.current, memory.peak, memory.swap.current and memory.events show.
 */
#include <linux/memcontrol.h>
#include "memory.h"

/* False when the cgroup has no memory state. */
bool cgshare_mem_read(struct cgroup *cgrp, struct cgshare_mem *mem)
{
#ifdef CONFIG_MEMCG
	struct cgroup_subsys_state *css;
	struct mem_cgroup *memcg;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "cgshare memory read outside RCU");

	/* The root has no memory.current; a cgroup without +memory has no css. */
	if (!cgroup_parent(cgrp))
		return false;
	css = rcu_dereference(cgrp->subsys[memory_cgrp_id]);
	if (!css)
		return false;
	memcg = mem_cgroup_from_css(css);

	mem->current_bytes = (u64)page_counter_read(&memcg->memory) * PAGE_SIZE;
	mem->peak_bytes = (u64)READ_ONCE(memcg->memory.watermark) * PAGE_SIZE;
	mem->swap_bytes = (u64)page_counter_read(&memcg->swap) * PAGE_SIZE;
	mem->events[0] = atomic_long_read(&memcg->memory_events[MEMCG_LOW]);
	mem->events[1] = atomic_long_read(&memcg->memory_events[MEMCG_HIGH]);
	mem->events[2] = atomic_long_read(&memcg->memory_events[MEMCG_MAX]);
	mem->events[3] = atomic_long_read(&memcg->memory_events[MEMCG_OOM]);
	mem->events[4] = atomic_long_read(&memcg->memory_events[MEMCG_OOM_KILL]);
	return true;
#else
	return false;
#endif
}

static u64 limit_bytes(unsigned long pages)
{
	return pages == PAGE_COUNTER_MAX ? U64_MAX : (u64)pages * PAGE_SIZE;
}

/*
 * memory.high, .max, .low and .min, as the files show them, with "max" as
 * U64_MAX; from the page counter, which the files read too. Caller holds
 * rcu_read_lock(). False where the files are absent.
 */
bool cgshare_mem_limits(struct cgroup *cgrp, u64 lim[CGSHARE_MEM_NR_LIMITS])
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;

	if (!cgroup_parent(cgrp))
		return false;
	memcg = mem_cgroup_from_css(rcu_dereference(cgrp->subsys[memory_cgrp_id]));
	if (!memcg)
		return false;
	lim[0] = limit_bytes(READ_ONCE(memcg->memory.high));
	lim[1] = limit_bytes(READ_ONCE(memcg->memory.max));
	lim[2] = limit_bytes(READ_ONCE(memcg->memory.low));
	lim[3] = limit_bytes(READ_ONCE(memcg->memory.min));
	return true;
#else
	return false;
#endif
}
