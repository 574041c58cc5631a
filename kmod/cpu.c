// SPDX-License-Identifier: GPL-2.0
/*
 * CPU time and run-queue wait per cgroup, charged from the scheduler's own
 * tracepoints: sched_stat_runtime fires in update_curr() with the very delta
 * the kernel charges to the cgroup's cpu.stat, and sched_switch tells when a
 * task that was queued finally gets a CPU.
 */
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seqlock.h>
#include "compat.h"
#include "cpu.h"
#include "tracepoint.h"

/*
 * What a CPU runs now, so a read can add the slice not yet charged: the
 * time since the switch less what update_curr() charged since then.
 * Writers hold that CPU's rq lock.
 */
struct running {
	seqcount_t seq;
	u64 id;
	u64 since;
	u64 charged;
};

/*
 * The records of the last two cgroups whose tasks ran here, so that the
 * hot path rarely looks one up. Only exact records are cached, only fresh
 * lookups are stored (never moved between slots), and an entry is cleared
 * by cgshare_cpu_forget() before its record can be freed.
 */
struct rec_cache {
	struct cgroup *cgrp[2];
	struct cgshare_rec *rec[2];
	unsigned int victim;
};

static DEFINE_PER_CPU(struct running, running);
static DEFINE_PER_CPU(struct rec_cache, rec_cache);

/* Caller has preemption disabled, which holds off the records' RCU frees. */
static struct cgshare_rec *task_rec(struct task_struct *p)
{
	struct rec_cache *c = this_cpu_ptr(&rec_cache);
	struct cgroup *cgrp = task_dfl_cgroup(p);
	struct cgshare_rec *rec;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		rec = READ_ONCE(c->rec[i]);
		if (rec && c->cgrp[i] == cgrp)
			return rec;
	}

	rcu_read_lock();
	rec = cgshare_rec_of_cgroup(cgrp);
	rcu_read_unlock();
	if (rec && rec->cgrp == cgrp) {
		i = c->victim;
		c->victim ^= 1;
		WRITE_ONCE(c->rec[i], NULL);
		c->cgrp[i] = cgrp;
		WRITE_ONCE(c->rec[i], rec);
	}
	return rec;
}

/*
 * Called after a grace period that followed @rec's removal from the table,
 * so no lookup can find it and put it back in a cache.
 */
void cgshare_cpu_forget(struct cgshare_rec *rec)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct rec_cache *c = per_cpu_ptr(&rec_cache, cpu);

		for (i = 0; i < 2; i++)
			cmpxchg(&c->rec[i], rec, NULL);
	}
}

/* Charges run time to @p's cgroup and its ancestors. */
static void charge_usage(struct task_struct *p, u64 usage)
{
	struct cgshare_rec *rec;
	struct cgshare_cpu *c;

	for (rec = task_rec(p); rec; rec = rec->parent) {
		c = this_cpu_ptr(rec->cpu);
		u64_stats_update_begin(&c->sync);
		u64_stats_add(&c->usage_ns, usage);
		u64_stats_update_end(&c->sync);
	}
}

/* Charges a switch-in and its wait; returns the record charged, or NULL. */
static struct cgshare_rec *charge_switch(struct task_struct *p, u64 wait)
{
	struct cgshare_rec *rec, *leaf;
	struct cgshare_cpu *c;

	leaf = task_rec(p);
	for (rec = leaf; rec; rec = rec->parent) {
		c = this_cpu_ptr(rec->cpu);
		u64_stats_update_begin(&c->sync);
		u64_stats_add(&c->wait_ns, wait);
		u64_stats_inc(&c->switches);
		u64_stats_update_end(&c->sync);
	}
	return leaf;
}

static void probe_stat_runtime(CGSHARE_STAT_RUNTIME_PROTO)
{
	/*
	 * tsk runs on task_cpu(tsk), whose rq lock we hold even when
	 * update_curr() is called from another CPU (task_sched_runtime()
	 * does that), so that CPU's slot has no other writer.
	 */
	struct running *r = per_cpu_ptr(&running, task_cpu(tsk));

	charge_usage(tsk, runtime);
	write_seqcount_begin(&r->seq);
	r->charged += runtime;
	write_seqcount_end(&r->seq);
}

static void probe_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state)
{
	struct running *r = this_cpu_ptr(&running);
	struct cgshare_rec *rec = NULL;
	u64 now = local_clock();
	u64 queued, wait = 0;

	if (!is_idle_task(next)) {
		/*
		 * sched_info_arrive() runs right after this tracepoint and
		 * adds now - last_queued to the task's run_delay; charge that
		 * same wait.
		 */
		queued = READ_ONCE(next->sched_info.last_queued);
		if (queued && now > queued)
			wait = now - queued;
		rec = charge_switch(next, wait);
	}
	write_seqcount_begin(&r->seq);
	r->id = rec ? rec->id : 0;
	r->since = now;
	r->charged = 0;
	write_seqcount_end(&r->seq);
}

/* CPU time of tasks in @rec's subtree running now and not yet charged. */
u64 cgshare_cpu_running_ns(const struct cgshare_rec *rec)
{
	const struct cgshare_rec *r;
	u64 id, since, charged, now, sum = 0;
	unsigned int seq;
	int cpu;

	for_each_online_cpu(cpu) {
		const struct running *run = per_cpu_ptr(&running, cpu);

		do {
			seq = read_seqcount_begin(&run->seq);
			id = run->id;
			since = run->since;
			charged = run->charged;
		} while (read_seqcount_retry(&run->seq, seq));
		if (!id)
			continue;
		for (r = cgshare_rec_find(id); r && r != rec; r = r->parent)
			;
		if (!r)
			continue;
		/*
		 * That CPU's clock, as task_sched_runtime() reads it for its
		 * rq. A running CPU charges at least every tick; more than two
		 * ticks uncharged means its clock is off from ours (unstable
		 * sched_clock, a stalled vCPU) or its tick is stopped.
		 */
		now = sched_clock_cpu(cpu);
		if (now > since + charged)
			sum += min_t(u64, now - since - charged, 2 * TICK_NSEC);
	}
	return sum;
}

static struct cgshare_probe probes[] = {
	{ .name = "sched_stat_runtime", .func = probe_stat_runtime },
	{ .name = "sched_switch", .func = probe_switch },
};

int cgshare_cpu_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		seqcount_init(&per_cpu_ptr(&running, cpu)->seq);
	return cgshare_probes_register(probes, ARRAY_SIZE(probes));
}

void cgshare_cpu_uninit(void)
{
	cgshare_probes_unregister(probes, ARRAY_SIZE(probes));
}
