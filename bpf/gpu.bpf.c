// SPDX-License-Identifier: GPL-2.0
/*
 * GPU job time per cgroup, charged into cgshare.ko's ledger through its
 * kfunc. Two sources, loaded and attached by `cgsharectl gpu enable`:
 *
 * dma_fence (any driver that uses DMA fences; always in vmlinux):
 *   dma_fence_init     a task creates a fence: remember its cgroup and
 *                      the time; fences made by kernel threads belong to
 *                      no cgroup and are not followed
 *   dma_fence_emit     the driver hands the job to the hardware
 *   dma_fence_signaled the job is done: busy = emit..signal and
 *                      queue = init..emit when the driver emits, else
 *                      busy = init..signal (the fence's whole life)
 *   dma_fence_destroy  a fence freed unsignalled is forgotten
 *   The device is the fence's driver, named from its dma_fence_ops by
 *   cgsharectl (fence_drivers map); unknown ops charge "dma-fence".
 *
 * gpu_scheduler (drivers on the DRM scheduler; module gpu-sched; the
 * events were renamed after 6.12, and 7.3 has the new names, given second;
 * cgsharectl loads the set the module's BTF declares):
 *   drm_sched_job, drm_sched_job_queue
 *                          submission, in the submitting task: cgroup
 *                          and queue start; the job's own scheduled and
 *                          finished fences are taken off the dma_fence
 *                          path so the job is not counted twice
 *   drm_run_job, drm_sched_job_run
 *                          the scheduler hands the job to the ring
 *   drm_sched_process_job, drm_sched_job_done
 *                          the hardware fence signalled: busy =
 *                          run..done, queue = submit..run
 *   The device is "<device>:<ring>", e.g. "0000:03:00.0:gfx_0.0.0".
 *
 * Counters of what happened are in the per-CPU array `stats`.
 */
#include "core_types.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "cgshare_kfunc.h"
#include "gpu_stats.h"

#define PF_KTHREAD	0x00200000	/* include/linux/sched.h */
#define ENOENT		2

char LICENSE[] SEC("license") = "GPL";

extern int cgshare_gpu_account(struct cgshare_gpu_usage *u) __ksym;

/* Scheduler types live in the gpu-sched module's BTF; CO-RE finds them. */
struct drm_gpu_scheduler___cgs {
	const char *name;
	struct device *dev;
} __attribute__((preserve_access_index));

struct drm_sched_fence___cgs {
	struct dma_fence scheduled;
	struct dma_fence finished;
} __attribute__((preserve_access_index));

struct drm_sched_job___cgs {
	struct drm_gpu_scheduler___cgs *sched;
	struct drm_sched_fence___cgs *s_fence;
} __attribute__((preserve_access_index));

struct job_start {
	__u64 cgroup_id;
	__u64 start_ns;		/* fence init, or job submission */
	__u64 run_ns;		/* emit, or run_job; 0 until then */
	__u64 ops;		/* dma_fence_ops, for the device name */
	char dev[CGSHARE_KF_DEV_LEN];	/* scheduler path: named at run_job */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CGS_GPU_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &what);

	if (v)
		*v += 1;
}

/*
 * Fences and jobs in flight, each in a slot of a direct-mapped table
 * indexed by a hash of the fence: an array lookup is a few instructions
 * where a hash map's update and delete take a bucket lock and a free list
 * (most of what the programs cost, measured under icount). A fence is
 * known by its context and sequence number, unique among live fences (a
 * context's fences are ordered by seqno); the verifier allows no
 * arithmetic on the fence pointer itself. A slot is claimed by a
 * compare-and-swap of its key from 0, filled by the claimer, read only by
 * the program that ends the same fence (the driver orders a fence's init
 * before its signal), and freed by a compare-and-swap back to 0 after the
 * read. A fence whose slot is taken is not followed and counted
 * (untracked), as one the old hash map had no room for.
 */
#define SLOT_BITS	16

struct slot {
	__u64 key;		/* fence_key() of the fence; 0: free */
	struct job_start s;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << SLOT_BITS);
	__type(key, __u32);
	__type(value, struct slot);
} in_flight SEC(".maps");

/*
 * A scheduler job shares the table, known by its finished fence with this
 * bit set in the context: a key of its own, since the finished fence is
 * signalled (and seen by fence_signaled) like any other.
 */
#define JOB_CONTEXT	(1ull << 63)

/* A fence's identity, mixed so that its top bits index the table; never 0. */
static __always_inline __u64 fence_key(__u64 context, __u64 seqno)
{
	__u64 k = (context * 0x9E3779B97F4A7C15ull) ^ seqno;

	k *= 0xBF58476D1CE4E5B9ull;
	k ^= k >> 31;
	k *= 0x94D049BB133111EBull;
	return k | 1;
}

/* The slot for @key: never NULL in practice. */
static __always_inline struct slot *slot_of(__u64 key)
{
	__u32 i = key >> (64 - SLOT_BITS);

	return bpf_map_lookup_elem(&in_flight, &i);
}

/* @key's slot, claimed and zeroed but for the key, or NULL. */
static __always_inline struct slot *slot_claim(__u64 key)
{
	struct slot *sl = slot_of(key);

	if (!sl || __sync_val_compare_and_swap(&sl->key, 0, key) != 0) {
		count(CGS_GPU_ST_UNTRACKED);
		return NULL;
	}
	__builtin_memset(&sl->s, 0, sizeof(sl->s));
	return sl;
}

/* @key's slot if @key holds it. */
static __always_inline struct slot *slot_find(__u64 key)
{
	struct slot *sl = slot_of(key);

	return sl && sl->key == key ? sl : NULL;
}

/* Frees @key's slot; non-zero if @key held it. */
static __always_inline int slot_free(__u64 key)
{
	struct slot *sl = slot_of(key);

	return sl && __sync_val_compare_and_swap(&sl->key, key, 0) == key;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGS_DRIVER_SLOTS);
	__type(key, __u32);
	__type(value, struct cgs_fence_driver);
} fence_drivers SEC(".maps");

_Static_assert(CGS_DRIVER_NAME_LEN == CGSHARE_KF_DEV_LEN, "one device name length");

/* The name cgsharectl gave the driver of @ops, or NULL. */
static __always_inline const char *driver_name(__u64 ops)
{
	__u32 first = cgs_driver_slot(ops), k, i;
	struct cgs_fence_driver *d;

	for (k = 0; k < CGS_DRIVER_PROBES; k++) {
		i = (first + k) & (CGS_DRIVER_SLOTS - 1);
		d = bpf_map_lookup_elem(&fence_drivers, &i);
		if (!d || !d->ops)
			return NULL;
		if (d->ops == ops)
			return d->name;
	}
	return NULL;
}

static __always_inline void charge(struct cgshare_gpu_usage *u)
{
	int ret = cgshare_gpu_account(u);

	if (!ret)
		count(CGS_GPU_ST_CHARGED);
	else if (ret == -ENOENT)
		count(CGS_GPU_ST_GONE);
	else
		count(CGS_GPU_ST_REFUSED);
}

/* Keep letters, digits and :._- (what the ledger accepts); others become _. */
static __always_inline void tidy_name(char *s)
{
	int i;

	for (i = 0; i < CGSHARE_KF_DEV_LEN - 1; i++) {
		char c = s[i];

		if (!c)
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' || c == '-'))
			s[i] = '_';
	}
	s[CGSHARE_KF_DEV_LEN - 1] = 0;
}

/* --- dma_fence ------------------------------------------------------ */

SEC("tp_btf/dma_fence_init")
int BPF_PROG(fence_init, struct dma_fence *fence)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct slot *sl;

	if (task->flags & PF_KTHREAD) {
		count(CGS_GPU_ST_KTHREAD);
		return 0;
	}
	sl = slot_claim(fence_key(fence->context, fence->seqno));
	if (!sl)
		return 0;
	sl->s.cgroup_id = bpf_get_current_cgroup_id();
	sl->s.start_ns = bpf_ktime_get_ns();
	sl->s.ops = (__u64)fence->ops;
	return 0;
}

SEC("tp_btf/dma_fence_emit")
int BPF_PROG(fence_emit, struct dma_fence *fence)
{
	struct slot *sl = slot_find(fence_key(fence->context, fence->seqno));

	if (sl && !sl->s.run_ns)
		sl->s.run_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/dma_fence_signaled")
int BPF_PROG(fence_signaled, struct dma_fence *fence)
{
	struct cgshare_gpu_usage u = {};
	__u64 key = fence_key(fence->context, fence->seqno), ops, start, run;
	__u64 now = bpf_ktime_get_ns();
	const char *name;
	struct slot *sl;

	sl = slot_find(key);
	if (!sl)
		return 0;
	u.cgroup_id = sl->s.cgroup_id;
	start = sl->s.start_ns;
	run = sl->s.run_ns;
	ops = sl->s.ops;
	if (!slot_free(key))
		return 0;
	if (run >= start && now >= run) {
		u.queue_ns = run - start;
		u.busy_ns = now - run;
	} else if (now >= start) {
		u.busy_ns = now - start;
	}
	name = driver_name(ops);
	if (name)
		__builtin_memcpy(u.dev, name, sizeof(u.dev));
	else
		__builtin_memcpy(u.dev, "dma-fence", sizeof("dma-fence"));
	u.dev[CGSHARE_KF_DEV_LEN - 1] = 0;
	charge(&u);
	return 0;
}

SEC("tp_btf/dma_fence_destroy")
int BPF_PROG(fence_destroy, struct dma_fence *fence)
{
	if (slot_free(fence_key(fence->context, fence->seqno)))
		count(CGS_GPU_ST_UNSIGNALLED);
	return 0;
}

/* --- gpu_scheduler -------------------------------------------------- */

static __always_inline int job_queued(struct drm_sched_job___cgs *job)
{
	struct drm_sched_fence___cgs *sf;
	__u64 context, seqno;
	struct slot *sl;

	/* 6.12 marks these arguments nullable: no arithmetic before a check. */
	if (!job)
		return 0;
	sf = BPF_CORE_READ(job, s_fence);
	if (!sf)
		return 0;
	/* This job's fences are accounted here, not on the dma_fence path. */
	slot_free(fence_key(BPF_CORE_READ(sf, scheduled.context),
			    BPF_CORE_READ(sf, scheduled.seqno)));
	context = BPF_CORE_READ(sf, finished.context);
	seqno = BPF_CORE_READ(sf, finished.seqno);
	slot_free(fence_key(context, seqno));

	sl = slot_claim(fence_key(context | JOB_CONTEXT, seqno));
	if (!sl)
		return 0;
	sl->s.cgroup_id = bpf_get_current_cgroup_id();
	sl->s.start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int job_run(struct drm_sched_job___cgs *job)
{
	char devname[CGSHARE_KF_DEV_LEN] = {}, ring[CGSHARE_KF_DEV_LEN] = {};
	struct drm_gpu_scheduler___cgs *sched;
	struct drm_sched_fence___cgs *sf;
	struct job_start *s;
	struct slot *sl;
	unsigned int i = 0, j;

	if (!job)
		return 0;
	sf = BPF_CORE_READ(job, s_fence);
	sl = slot_find(fence_key(BPF_CORE_READ(sf, finished.context) | JOB_CONTEXT,
					  BPF_CORE_READ(sf, finished.seqno)));
	if (!sl)
		return 0;
	s = &sl->s;
	s->run_ns = bpf_ktime_get_ns();
	sched = BPF_CORE_READ(job, sched);
	if (bpf_core_field_exists(sched->dev))
		bpf_probe_read_kernel_str(devname, sizeof(devname),
					  BPF_CORE_READ(sched, dev, kobj.name));
	bpf_probe_read_kernel_str(ring, sizeof(ring), BPF_CORE_READ(sched, name));
	for (j = 0; j < CGSHARE_KF_DEV_LEN - 8 && devname[j]; j++)
		s->dev[i++ & (CGSHARE_KF_DEV_LEN - 1)] = devname[j];
	if (i)
		s->dev[i++ & (CGSHARE_KF_DEV_LEN - 1)] = ':';
	for (j = 0; j < CGSHARE_KF_DEV_LEN - 1 && ring[j] && i < CGSHARE_KF_DEV_LEN - 1; j++)
		s->dev[i++ & (CGSHARE_KF_DEV_LEN - 1)] = ring[j];
	s->dev[i & (CGSHARE_KF_DEV_LEN - 1)] = 0;
	tidy_name(s->dev);
	return 0;
}

static __always_inline int job_done(struct drm_sched_fence___cgs *fence)
{
	struct cgshare_gpu_usage u = {};
	__u64 now = bpf_ktime_get_ns(), start, run, key;
	struct slot *sl;

	if (!fence)
		return 0;
	key = fence_key(BPF_CORE_READ(fence, finished.context) | JOB_CONTEXT,
			BPF_CORE_READ(fence, finished.seqno));
	sl = slot_find(key);
	if (!sl)
		return 0;
	u.cgroup_id = sl->s.cgroup_id;
	start = sl->s.start_ns;
	run = sl->s.run_ns;
	__builtin_memcpy(u.dev, sl->s.dev, sizeof(u.dev));
	if (!slot_free(key))
		return 0;
	if (run >= start && now >= run) {
		u.queue_ns = run - start;
		u.busy_ns = now - run;
	}
	if (!u.dev[0]) {
		count(CGS_GPU_ST_UNNAMED);
		return 0;
	}
	u.dev[CGSHARE_KF_DEV_LEN - 1] = 0;
	charge(&u);
	return 0;
}

SEC("tp_btf/drm_sched_job")
int BPF_PROG(sched_job, struct drm_sched_job___cgs *job, void *entity)
{
	return job_queued(job);
}

SEC("tp_btf/drm_run_job")
int BPF_PROG(sched_run_job, struct drm_sched_job___cgs *job, void *entity)
{
	return job_run(job);
}

SEC("tp_btf/drm_sched_process_job")
int BPF_PROG(sched_process_job, struct drm_sched_fence___cgs *fence)
{
	return job_done(fence);
}

SEC("tp_btf/drm_sched_job_queue")
int BPF_PROG(sched_job_queue, struct drm_sched_job___cgs *job, void *entity)
{
	return job_queued(job);
}

SEC("tp_btf/drm_sched_job_run")
int BPF_PROG(sched_job_run, struct drm_sched_job___cgs *job, void *entity)
{
	return job_run(job);
}

SEC("tp_btf/drm_sched_job_done")
int BPF_PROG(sched_job_done, struct drm_sched_fence___cgs *fence)
{
	return job_done(fence);
}
