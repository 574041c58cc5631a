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

/*
 * Plain (preallocated) hash maps: cheaper per update than LRU ones, and
 * entries do not leak, since every fence is either signalled or destroyed.
 * When one is full a new fence is not followed and counted as such.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);		/* struct dma_fence * */
	__type(value, struct job_start);
} fences SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);		/* struct drm_sched_fence * */
	__type(value, struct job_start);
} jobs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);		/* const struct dma_fence_ops * */
	__type(value, char[CGSHARE_KF_DEV_LEN]);
} fence_drivers SEC(".maps");

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
	struct job_start s = {};
	__u64 key = (__u64)fence;

	if (task->flags & PF_KTHREAD) {
		count(CGS_GPU_ST_KTHREAD);
		return 0;
	}
	s.cgroup_id = bpf_get_current_cgroup_id();
	s.start_ns = bpf_ktime_get_ns();
	s.ops = (__u64)fence->ops;
	if (bpf_map_update_elem(&fences, &key, &s, BPF_ANY))
		count(CGS_GPU_ST_UNTRACKED);
	return 0;
}

SEC("tp_btf/dma_fence_emit")
int BPF_PROG(fence_emit, struct dma_fence *fence)
{
	__u64 key = (__u64)fence;
	struct job_start *s = bpf_map_lookup_elem(&fences, &key);

	if (s && !s->run_ns)
		s->run_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/dma_fence_signaled")
int BPF_PROG(fence_signaled, struct dma_fence *fence)
{
	struct cgshare_gpu_usage u = {};
	__u64 key = (__u64)fence;
	__u64 now = bpf_ktime_get_ns();
	struct job_start *s;
	char *name;

	s = bpf_map_lookup_elem(&fences, &key);
	if (!s)
		return 0;
	u.cgroup_id = s->cgroup_id;
	if (s->run_ns >= s->start_ns && now >= s->run_ns) {
		u.queue_ns = s->run_ns - s->start_ns;
		u.busy_ns = now - s->run_ns;
	} else if (now >= s->start_ns) {
		u.busy_ns = now - s->start_ns;
	}
	name = bpf_map_lookup_elem(&fence_drivers, &s->ops);
	if (name)
		__builtin_memcpy(u.dev, name, sizeof(u.dev));
	else
		__builtin_memcpy(u.dev, "dma-fence", sizeof("dma-fence"));
	bpf_map_delete_elem(&fences, &key);
	u.dev[CGSHARE_KF_DEV_LEN - 1] = 0;
	charge(&u);
	return 0;
}

SEC("tp_btf/dma_fence_destroy")
int BPF_PROG(fence_destroy, struct dma_fence *fence)
{
	__u64 key = (__u64)fence;

	if (!bpf_map_delete_elem(&fences, &key))
		count(CGS_GPU_ST_UNSIGNALLED);
	return 0;
}

/* --- gpu_scheduler -------------------------------------------------- */

static __always_inline int job_queued(struct drm_sched_job___cgs *job)
{
	struct job_start s = {};
	__u64 key, f;

	/* 6.12 marks these arguments nullable: no arithmetic before a check. */
	if (!job)
		return 0;
	key = (__u64)BPF_CORE_READ(job, s_fence);
	if (!key)
		return 0;
	/* This job's fences are accounted here, not on the dma_fence path. */
	f = (__u64)&((struct drm_sched_fence___cgs *)key)->scheduled;
	bpf_map_delete_elem(&fences, &f);
	f = (__u64)&((struct drm_sched_fence___cgs *)key)->finished;
	bpf_map_delete_elem(&fences, &f);

	s.cgroup_id = bpf_get_current_cgroup_id();
	s.start_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&jobs, &key, &s, BPF_ANY))
		count(CGS_GPU_ST_UNTRACKED);
	return 0;
}

static __always_inline int job_run(struct drm_sched_job___cgs *job)
{
	char devname[CGSHARE_KF_DEV_LEN] = {}, ring[CGSHARE_KF_DEV_LEN] = {};
	struct drm_gpu_scheduler___cgs *sched;
	struct job_start *s;
	unsigned int i = 0, j;
	__u64 key;

	if (!job)
		return 0;
	key = (__u64)BPF_CORE_READ(job, s_fence);
	s = bpf_map_lookup_elem(&jobs, &key);
	if (!s)
		return 0;
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
	__u64 key = (__u64)fence;
	__u64 now = bpf_ktime_get_ns();
	struct job_start *s;

	if (!fence)
		return 0;
	s = bpf_map_lookup_elem(&jobs, &key);
	if (!s)
		return 0;
	u.cgroup_id = s->cgroup_id;
	if (s->run_ns >= s->start_ns && now >= s->run_ns) {
		u.queue_ns = s->run_ns - s->start_ns;
		u.busy_ns = now - s->run_ns;
	}
	__builtin_memcpy(u.dev, s->dev, sizeof(u.dev));
	bpf_map_delete_elem(&jobs, &key);
	if (!u.dev[0]) {
		count(CGS_GPU_ST_UNNAMED);
		return 0;
	}
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
