// SPDX-License-Identifier: GPL-2.0
/*
 * CPU time and run-queue wait per cgroup, charged from the scheduler's own
 * tracepoints: sched_stat_runtime fires in update_curr() with the very delta
 * the kernel charges to the cgroup's cpu.stat, and sched_switch tells when a
 * task that was queued finally gets a CPU.
 */
#include <linux/bitops.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seqlock.h>
#include "compat.h"
#include "cpu.h"
#include "tracepoint.h"

/*
 * What a CPU runs now. The hot path reads no clock: the task's arrival
 * time and the wait before it are taken from sched_info, which
 * sched_info_arrive() fills in just after the sched_switch tracepoint, at
 * the first update_curr() that follows. A read adds now - since - charged.
 * Writers hold that CPU's rq lock.
 */
struct running {
	seqcount_t seq;
	u64 id;			/* record charged for the task, 0 when idle */
	const struct task_struct *task;	/* compared, never dereferenced */
	u64 queued;		/* its last_queued at the switch; 0 once settled */
	u64 since;		/* its arrival (rq clock), 0 until settled */
	u64 charged;		/* run time charged since the switch */
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

/* Preemption is off in the probes, which holds off the records' RCU frees. */
static struct cgshare_rec *task_rec(struct task_struct *p)
{
	struct rec_cache *c = this_cpu_ptr(&rec_cache);
	struct cgroup *cgrp = task_dfl_cgroup(p);
	struct cgshare_rec *rec;
	unsigned int i;

	lockdep_assert_preemption_disabled();

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

#ifdef CONFIG_SCHED_CLASS_EXT
/*
 * Run-queue wait a task took before a move between CPUs. When a queued task
 * leaves a CPU's queue, sched_info_dequeue() adds its wait so far to
 * run_delay and the enqueue on the new CPU restarts last_queued, so
 * settle() sees only the wait after the last move. The fair scheduler moves
 * queued tasks rarely (load balancing); a sched_ext scheduler whose CPUs
 * take tasks from a shared queue moves one at many picks, and measured
 * without this the ledger saw 36-58 % of its tasks' run_delay. Fair tasks
 * stay out: the same table for them cost about 30 instructions a switch
 * (icount ping-pong, 1.026 -> 1.034), a quarter more than the module's
 * own code there, for the 0-10 % the balancer's moves take from their
 * wait (README, known limits).
 *
 * So for tasks on the ext class the module keeps their run_delay at each
 * switch-out in a table indexed by task, and charges at the next switch-in
 * what run_delay gained in between (only waits cut short by a move add to
 * it then). A slot is claimed with a bit lock and given up, never waited
 * for; a slot another task took since, or one busy on another CPU, loses
 * that task's wait before its move, as without the table, and never counts
 * a wait twice: the switch-in empties the slot it reads.
 */
#define MOVED_BITS	13

struct moved_slot {
	unsigned long busy;		/* bit 0, held for a few stores */
	const struct task_struct *task;	/* compared, never dereferenced */
	u64 start_time;			/* tells a reused task_struct apart */
	u64 run_delay;			/* at the task's last switch-out */
	u32 pcount;			/* its arrivals then: none missed since */
};

static struct moved_slot moved[1 << MOVED_BITS];

static bool on_ext(const struct task_struct *p)
{
	return (READ_ONCE(p->scx.flags) & SCX_TASK_STATE_MASK) == SCX_TASK_ENABLED;
}

static void moved_remember(const struct task_struct *p)
{
	struct moved_slot *s = &moved[hash_ptr(p, MOVED_BITS)];

	if (!on_ext(p) || test_and_set_bit_lock(0, &s->busy))
		return;
	WRITE_ONCE(s->task, p);
	s->start_time = p->start_time;
	s->pcount = (u32)READ_ONCE(p->sched_info.pcount);
	s->run_delay = READ_ONCE(p->sched_info.run_delay);
	clear_bit_unlock(0, &s->busy);
}

/*
 * The wait @p's run_delay gained since its last switch-out, called before
 * sched_info_arrive() adds the wait settle() charges. A task about to
 * arrive for the first time (queued, pcount 0) has all its run_delay from
 * moves. A slot is @p's only if it was written for this task (the
 * task_struct may have been freed and reused since) and no arrival
 * happened since (the task did not run under another class, or with its
 * slot taken). pcount is kept in 32 bits: the slot lives from one
 * switch-out to the next switch-in.
 */
static u64 moved_wait(const struct task_struct *p)
{
	struct moved_slot *s = &moved[hash_ptr(p, MOVED_BITS)];
	unsigned long pcount;
	u64 now, wait = 0;

	if (!on_ext(p))
		return 0;
	pcount = READ_ONCE(p->sched_info.pcount);
	now = READ_ONCE(p->sched_info.run_delay);
	if (!pcount && READ_ONCE(p->sched_info.last_queued))
		return now;
	if (READ_ONCE(s->task) != p || test_and_set_bit_lock(0, &s->busy))
		return 0;
	if (s->task == p && s->start_time == p->start_time &&
	    s->pcount == (u32)pcount && now > s->run_delay)
		wait = now - s->run_delay;
	if (s->task == p)
		WRITE_ONCE(s->task, NULL);
	clear_bit_unlock(0, &s->busy);
	return wait;
}
#else
static void moved_remember(const struct task_struct *p) { }
static u64 moved_wait(const struct task_struct *p) { return 0; }
#endif

/* Charges run time and run-queue wait to @p's cgroup (see ledger.h). */
static void charge_usage(struct task_struct *p, u64 usage, u64 wait)
{
	struct cgshare_rec *rec = task_rec(p);

	if (rec)
		cgshare_rec_charge(rec, usage, wait, 0);
}

/*
 * Counts a switch-in and the wait @p took before a move; returns the record
 * charged, or NULL.
 */
static struct cgshare_rec *charge_switch(struct task_struct *p, u64 wait)
{
	struct cgshare_rec *rec = task_rec(p);

	if (rec)
		cgshare_rec_charge(rec, 0, wait, 1);
	return rec;
}

/*
 * Once @p has arrived, sched_info holds when (last_arrival) and the wait
 * just added to its run_delay is last_arrival - the last_queued we saw.
 * Returns that wait; the caller is inside r's write section.
 */
static u64 settle(struct running *r, const struct task_struct *p)
{
	u64 arrival, wait = 0;

	if (r->task != p || !r->queued)
		return 0;
	arrival = READ_ONCE(p->sched_info.last_arrival);
	if (arrival > r->queued) {
		wait = arrival - r->queued;
		r->since = arrival;
	}
	r->queued = 0;
	return wait;
}

static void probe_stat_runtime(CGSHARE_STAT_RUNTIME_PROTO)
{
	/*
	 * tsk runs on task_cpu(tsk), whose rq lock we hold even when
	 * update_curr() is called from another CPU (task_sched_runtime()
	 * does that), so that CPU's slot has no other writer.
	 */
	struct running *r = per_cpu_ptr(&running, task_cpu(tsk));
	u64 wait;

	write_seqcount_begin(&r->seq);
	wait = settle(r, tsk);
	if (r->task == tsk)
		r->charged += runtime;
	write_seqcount_end(&r->seq);
	charge_usage(tsk, runtime, wait);
}

static void probe_switch(void *data, bool preempt, struct task_struct *prev,
			 struct task_struct *next, unsigned int prev_state)
{
	struct running *r = this_cpu_ptr(&running);
	struct cgshare_rec *rec = NULL;
	u64 wait, before = 0;

	/* prev may have run without an update_curr() since it arrived. */
	write_seqcount_begin(&r->seq);
	wait = settle(r, prev);
	write_seqcount_end(&r->seq);
	if (wait)
		charge_usage(prev, 0, wait);
	/* next's slot first: prev may share it, and would overwrite it. */
	if (!is_idle_task(next))
		before = moved_wait(next);
	if (!is_idle_task(prev) && !(prev_state & TASK_DEAD))
		moved_remember(prev);

	if (!is_idle_task(next))
		rec = charge_switch(next, before);
	write_seqcount_begin(&r->seq);
	r->id = rec ? rec->id : 0;
	r->task = next;
	r->queued = rec ? READ_ONCE(next->sched_info.last_queued) : 0;
	r->since = 0;
	r->charged = 0;
	write_seqcount_end(&r->seq);
}

/*
 * The slices of the tasks running now that no update_curr() has charged
 * yet, one per busy CPU, each with the cgroup whose record it would be
 * charged to. Taken once per read (a dump message, a get), under RCU, which
 * keeps those cgroups: a read of many records then costs the CPUs once,
 * not once per record.
 */
void cgshare_cpu_snapshot(struct cgshare_running *snap)
{
	const struct cgshare_rec *rec;
	u64 id, since, charged, now;
	unsigned int seq;
	int cpu;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "cgshare running snapshot outside RCU");
	snap->n = 0;
	for_each_online_cpu(cpu) {
		const struct running *run = per_cpu_ptr(&running, cpu);

		do {
			seq = read_seqcount_begin(&run->seq);
			id = run->id;
			since = run->since;
			charged = run->charged;
		} while (read_seqcount_retry(&run->seq, seq));
		if (!id || !since)
			continue;
		rec = cgshare_rec_find(id);
		if (!rec)
			continue;
		/*
		 * That CPU's clock, as task_sched_runtime() reads it for its
		 * rq. A running CPU charges at least every tick; more than two
		 * ticks uncharged means its clock is off from ours (unstable
		 * sched_clock, a stalled vCPU) or its tick is stopped.
		 */
		now = sched_clock_cpu(cpu);
		if (now <= since + charged)
			continue;
		snap->slice[snap->n].cgrp = rec->cgrp;
		snap->slice[snap->n].ns = min_t(u64, now - since - charged, 2 * TICK_NSEC);
		snap->n++;
	}
}

/* CPU time of tasks in @rec's subtree running at @snap and not yet charged. */
u64 cgshare_cpu_running_ns(const struct cgshare_rec *rec, const struct cgshare_running *snap)
{
	unsigned int i;
	u64 sum = 0;

	for (i = 0; i < snap->n; i++)
		if (cgroup_is_descendant(snap->slice[i].cgrp, rec->cgrp))
			sum += snap->slice[i].ns;
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
