// SPDX-License-Identifier: GPL-2.0
/*
 * CPU time and run-queue wait per cgroup, charged from the scheduler's own
 * tracepoints: sched_stat_runtime fires in update_curr() with the very delta
 * the kernel charges to the cgroup's cpu.stat, and sched_switch tells when a
 * task that was queued finally gets a CPU.
 */
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seqlock.h>
#include "compat.h"
#include "cpu.h"
#include "tracepoint.h"

/* What this CPU runs now, so a read can add the slice not yet charged. */
struct running {
	seqcount_t seq;
	u64 id;
	u64 since;
};

static DEFINE_PER_CPU(struct running, running);

/* Caller has preemption disabled. Returns the record charged, or NULL. */
static struct cgshare_rec *charge(struct task_struct *p, u64 usage, u64 wait, u64 switches)
{
	struct cgshare_rec *rec, *leaf;
	struct cgshare_cpu *c;

	leaf = cgshare_rec_of_cgroup(task_dfl_cgroup(p));
	for (rec = leaf; rec; rec = rec->parent) {
		c = this_cpu_ptr(rec->cpu);
		u64_stats_update_begin(&c->sync);
		u64_stats_add(&c->usage_ns, usage);
		u64_stats_add(&c->wait_ns, wait);
		u64_stats_add(&c->switches, switches);
		u64_stats_update_end(&c->sync);
	}
	return leaf;
}

static void set_running(u64 id, u64 now)
{
	struct running *r = this_cpu_ptr(&running);

	write_seqcount_begin(&r->seq);
	r->id = id;
	r->since = now;
	write_seqcount_end(&r->seq);
}

static void probe_stat_runtime(CGSHARE_STAT_RUNTIME_PROTO)
{
	/*
	 * tsk is the task running on its CPU, whose rq lock we hold even when
	 * update_curr() runs from another CPU (task_sched_runtime() does), so
	 * that CPU's slot has no other writer: restart its uncharged slice.
	 */
	struct running *r = per_cpu_ptr(&running, task_cpu(tsk));

	rcu_read_lock();
	charge(tsk, runtime, 0, 0);
	rcu_read_unlock();
	write_seqcount_begin(&r->seq);
	r->since = local_clock();
	write_seqcount_end(&r->seq);
}

static void probe_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state)
{
	struct cgshare_rec *rec;
	u64 now = local_clock();
	u64 queued, wait = 0;

	if (is_idle_task(next)) {
		set_running(0, now);
		return;
	}
	/*
	 * sched_info_arrive() runs right after this tracepoint and adds
	 * now - last_queued to the task's run_delay; charge that same wait.
	 */
	queued = READ_ONCE(next->sched_info.last_queued);
	if (queued && now > queued)
		wait = now - queued;

	rcu_read_lock();
	rec = charge(next, 0, wait, 1);
	set_running(rec ? rec->id : 0, now);
	rcu_read_unlock();
}

/* CPU time of tasks in @rec's subtree running now and not yet charged. */
u64 cgshare_cpu_running_ns(const struct cgshare_rec *rec)
{
	const struct cgshare_rec *r;
	u64 id, since, now, sum = 0;
	unsigned int seq;
	int cpu;

	for_each_online_cpu(cpu) {
		const struct running *run = per_cpu_ptr(&running, cpu);

		do {
			seq = read_seqcount_begin(&run->seq);
			id = run->id;
			since = run->since;
		} while (read_seqcount_retry(&run->seq, seq));
		if (!id)
			continue;
		for (r = cgshare_rec_find(id); r && r != rec; r = r->parent)
			;
		if (!r)
			continue;
		now = local_clock();
		if (now > since)
			sum += now - since;
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
