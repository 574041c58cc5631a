// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl gpu enable|disable|status: the BPF GPU collectors (bpf/gpu.bpf.c).
 *
 * enable loads the programs with libbpf, names the drivers whose fences
 * they will see, attaches them and pins each link and the maps that
 * status reads under /sys/fs/bpf/cgshare/, so they stay attached after
 * cgsharectl exits; disable removes the pins, which detaches them. The
 * programs call cgshare.ko's kfunc, so the module must carry BTF (status
 * says when it does not) and cannot be unloaded while they are attached.
 *
 * A failed enable leaves nothing pinned: everything it made is removed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cmd/bpf_dl.h"

#include "gpu.skel.h"
#include "cmd/bpf_common.h"
#include "cmd/gpu_bpf.h"
#include "gpu/names.h"
#include "gpu_stats.h"
#include "cmd/cmd.h"
#include "render/out.h"

/* Shared with the cgroup iterator's pins (cgsharectl bpf pin). */
#define PIN_DIR		CGS_BPF_DIR
#define DEV_LEN		32

static const char *const stat_names[CGS_GPU_ST_MAX] = {
	[CGS_GPU_ST_CHARGED]	 = "charged",
	[CGS_GPU_ST_GONE]	 = "cgroup_gone",
	[CGS_GPU_ST_REFUSED]	 = "refused",
	[CGS_GPU_ST_KTHREAD]	 = "kthread_fences",
	[CGS_GPU_ST_UNSIGNALLED] = "unsignalled",
	[CGS_GPU_ST_UNNAMED]	 = "unnamed_ring",
	[CGS_GPU_ST_UNTRACKED]	 = "untracked",
};

#define fail(...)	bpf_fail("gpu", __VA_ARGS__)

/* The module must be loaded and say its kfuncs are registered. */
static int module_ready(void)
{
	struct cgs_status st;
	struct cgs_nl *nl;
	int ret;

	if (open_nl(&nl))
		return -1;
	ret = cgs_nl_status(nl, &st);
	if (ret) {
		cgs_nl_perror(nl, "reading the module status");
		cgs_nl_close(nl);
		return -1;
	}
	cgs_nl_close(nl);
	if (!(st.features & CGSHARE_FEATURE_GPU_BPF)) {
		fail("the module's BPF GPU path is off: %s",
		     st.has & CGS_STATUS_GPU_BPF_REASON ? st.gpu_bpf_reason : "no reason given");
		cgs_status_free(&st);
		return -1;
	}
	cgs_status_free(&st);
	return 0;
}

static bool pinned(void)
{
	struct stat sb;

	return stat(PIN_DIR "/fence_drivers", &sb) == 0;
}

/* Removes every pin; 0, or -1 with a message. */
static int unpin_all(void)
{
	struct dirent *de;
	char path[512];
	int ret = 0;
	DIR *d;

	d = opendir(PIN_DIR);
	if (!d)
		return errno == ENOENT ? 0 : (fail("%s: %s", PIN_DIR, strerror(errno)), -1);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || bpf_is_iter_pin(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PIN_DIR, de->d_name);
		if (unlink(path) && errno != ENOENT) {
			fail("removing %s: %s", path, strerror(errno));
			ret = -1;
		}
	}
	closedir(d);
	/* the cgroup iterator's pins may stay */
	if (!ret && rmdir(PIN_DIR) && errno != ENOENT && errno != ENOTEMPTY) {
		fail("removing %s: %s", PIN_DIR, strerror(errno));
		ret = -1;
	}
	return ret;
}

_Static_assert(CGS_DRIVER_NAME_LEN == GPU_NAMES_DEV_LEN, "one device name length");

struct name_store {
	int fd;		/* the fence_drivers map */
	int err;	/* why the last store failed */
};

/*
 * Puts @dev, the name of the driver whose dma_fence_ops is at @addr, in
 * the programs' table (gpu_stats.h): in the driver's own slot if it has
 * one, else in the first free one of its probes. -1 if the map refused
 * (st->err = errno) or every probe holds another driver (ENOSPC).
 */
static int store_name(unsigned long long addr, const char *dev, void *arg)
{
	struct name_store *st = arg;
	__u32 first = cgs_driver_slot(addr), i, k;
	struct cgs_fence_driver d = { 0 };
	int fd = st->fd;

	for (k = 0; k < CGS_DRIVER_PROBES; k++) {
		i = (first + k) & (CGS_DRIVER_SLOTS - 1);
		if (bpf_map_lookup_elem(fd, &i, &d))
			goto fail;
		if (d.ops && d.ops != addr)
			continue;
		if (d.ops == addr && !strncmp(d.name, dev, sizeof(d.name)))
			return 0;
		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "%s", dev);
		if (bpf_map_update_elem(fd, &i, &d, BPF_ANY))
			goto fail;
		d.ops = addr;
		if (bpf_map_update_elem(fd, &i, &d, BPF_ANY))
			goto fail;
		return 0;
	}
	errno = ENOSPC;
fail:
	st->err = errno;
	return -1;
}

static int name_drivers(int map_fd, bool quiet)
{
	struct name_store st = { .fd = map_fd };
	FILE *f = fopen("/proc/kallsyms", "r");
	int n;

	if (!f) {
		fail("/proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	n = gpu_names_scan(f, store_name, &st);
	fclose(f);
	if (n < 0 && st.err == ENOSPC) {
		fail("naming fence drivers: a driver's %d slots of %u are all taken by others (gpu_stats.h)",
		     CGS_DRIVER_PROBES, CGS_DRIVER_SLOTS);
		return -1;
	}
	if (n < 0 && st.err) {
		fail("naming fence drivers: the fence_drivers map refused a name: %s", strerror(st.err));
		return -1;
	}
	if (n < 0) {
		fail("/proc/kallsyms shows no addresses (kptr_restrict?): fence drivers cannot be named");
		return -1;
	}
	if (!quiet && opts.verbose)
		fprintf(stderr, "cgsharectl: gpu: %d fence drivers named\n", n);
	return n;
}

static bool is_sched_prog(const struct bpf_program *p)
{
	return !strncmp(bpf_program__section_name(p), "tp_btf/drm_", 11);
}

/*
 * The DRM scheduler's events are declared in the gpu_sched module's BTF
 * (btf_trace_EVENT), under the names of that kernel: keep the programs of
 * the events it has, drop the rest. Returns how many are kept; 0 when
 * the module is not loaded.
 */
static int pick_sched_progs(struct bpf_object *obj)
{
	struct btf *vmlinux = NULL, *mod = NULL;
	struct bpf_program *prog;
	char name[128];
	int kept = 0;

	if (!access("/sys/kernel/btf/gpu_sched", F_OK)) {
		vmlinux = btf__load_vmlinux_btf();
		mod = vmlinux ? btf__load_module_btf("gpu_sched", vmlinux) : NULL;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!is_sched_prog(prog))
			continue;
		snprintf(name, sizeof(name), "btf_trace_%s",
			 bpf_program__section_name(prog) + strlen("tp_btf/"));
		if (mod && btf__find_by_name_kind(mod, name, BTF_KIND_TYPEDEF) > 0)
			kept++;
		else
			bpf_program__set_autoload(prog, false);
	}
	btf__free(mod);
	btf__free(vmlinux);
	return kept;
}

static int pin_path(char *buf, size_t len, const char *name)
{
	return snprintf(buf, len, "%s/%s", PIN_DIR, name) >= (int)len ? -1 : 0;
}

static int enable(void)
{
	struct cgshare_gpu *skel = NULL;
	struct bpf_program *prog;
	bool sched, made_dir = false;
	int n_on = 0, ret = 1;
	char path[512];

	if (module_ready())
		return 1;
	if (!bpf_fs_ready("gpu"))
		return 1;
	if (pinned()) {
		/* Already on: only name drivers loaded since. */
		int fd = bpf_obj_get(PIN_DIR "/fence_drivers");

		if (fd < 0) {
			fail("%s exists but has no fence_drivers map; run cgsharectl gpu disable", PIN_DIR);
			return 1;
		}
		ret = name_drivers(fd, false) < 0;
		close(fd);
		if (!ret)
			printf("gpu collectors: already enabled; fence drivers renamed\n");
		return ret;
	}

	bpf_log_init();
	skel = cgshare_gpu__open();
	if (!skel) {
		fail("opening the BPF programs: %s", strerror(errno));
		return 1;
	}
	sched = pick_sched_progs(skel->obj) > 0;
	if (cgshare_gpu__load(skel)) {
		fail("loading the BPF programs failed: %s", strerror(errno));
		goto out;
	}
	if (name_drivers(bpf_map__fd(skel->maps.fence_drivers), false) < 0)
		goto out;
	if (mkdir(PIN_DIR, 0700) && errno != EEXIST) {
		fail("%s: %s", PIN_DIR, strerror(errno));
		goto out;
	}
	made_dir = true;
	if (pin_path(path, sizeof(path), "stats") || bpf_map__pin(skel->maps.stats, path) ||
	    pin_path(path, sizeof(path), "fence_drivers") ||
	    bpf_map__pin(skel->maps.fence_drivers, path)) {
		fail("pinning the maps under %s: %s", PIN_DIR, strerror(errno));
		goto out;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			fail("attaching %s: %s", bpf_program__section_name(prog), strerror(errno));
			goto out;
		}
		if (pin_path(path, sizeof(path), bpf_program__name(prog)) ||
		    bpf_link__pin(link, path)) {
			fail("pinning %s: %s", path, strerror(errno));
			bpf_link__destroy(link);
			goto out;
		}
		/* The pin holds the link; ours can go. */
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		n_on++;
	}
	printf("gpu collectors: enabled, %d programs attached, pinned in %s\n", n_on, PIN_DIR);
	printf("  dma_fence:     on (busy = emit or init to signal; queue = init to emit)\n");
	if (sched)
		printf("  gpu_scheduler: on (busy = run_job to done; queue = submit to run_job)\n");
	else
		printf("  gpu_scheduler: off: module gpu_sched is not loaded\n");
	ret = 0;
out:
	if (ret && made_dir)
		unpin_all();
	cgshare_gpu__destroy(skel);
	return ret;
}

static int disable(void)
{
	if (!pinned()) {
		printf("gpu collectors: not enabled\n");
		return 0;
	}
	if (unpin_all())
		return 1;
	printf("gpu collectors: disabled\n");
	return 0;
}

static void show_prog(const char *name)
{
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(li);
	char path[512];
	int fd, pfd;

	if (pin_path(path, sizeof(path), name))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &li, &len) == 0) {
		pfd = bpf_prog_get_fd_by_id(li.prog_id);
		len = sizeof(pi);
		if (pfd >= 0 && bpf_obj_get_info_by_fd(pfd, &pi, &len) == 0) {
			out_obj_begin(NULL);
			out_str("program", "  %-20s", name);
			out_u64("runs", " runs %s", pi.run_cnt);
			out_u64("run_time_ns", " run_time_ns %s", pi.run_time_ns);
			if (pi.run_cnt)
				out_u64("ns_per_run", " (%s ns/run)", pi.run_time_ns / pi.run_cnt);
			out_text("\n");
			out_obj_end();
		}
		if (pfd >= 0)
			close(pfd);
	}
	close(fd);
}

static int status(void)
{
	__u64 sums[CGS_GPU_ST_MAX] = {};
	struct dirent *de;
	int ncpu, fd;
	DIR *d;

	start_output(true);
	out_obj_begin(NULL);
	out_bool("enabled", "enabled: %s\n", pinned());
	if (!pinned()) {
		out_obj_end();
		return end_output(0);
	}
	out_text("programs (run_time_ns counts only while kernel.bpf_stats_enabled=1):\n");
	out_arr_begin("programs");
	d = opendir(PIN_DIR);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, "stats") &&
		    strcmp(de->d_name, "fence_drivers") && !bpf_is_iter_pin(de->d_name))
			show_prog(de->d_name);
	if (d)
		closedir(d);
	out_arr_end();

	ncpu = libbpf_num_possible_cpus();
	fd = bpf_obj_get(PIN_DIR "/stats");
	if (fd >= 0 && ncpu > 0) {
		__u64 *vals = calloc(ncpu, sizeof(*vals));

		for (__u32 k = 0; vals && k < CGS_GPU_ST_MAX; k++)
			if (bpf_map_lookup_elem(fd, &k, vals) == 0)
				for (int c = 0; c < ncpu; c++)
					sums[k] += vals[c];
		free(vals);
	}
	if (fd >= 0)
		close(fd);
	out_obj_begin("events");
	for (int k = 0; k < CGS_GPU_ST_MAX; k++) {
		char fmt[64];

		snprintf(fmt, sizeof(fmt), "%-16s %%s\n", stat_names[k]);
		out_u64(stat_names[k], fmt, sums[k]);
	}
	out_obj_end();
	out_obj_end();
	return end_output(0);
}

int gpu_bpf_main(int argc, char **argv)
{
	const char *sub = argv[0];
	int ret;

	ret = cmd_parse(&cmd_gpu, argc, argv, NULL, NULL, NULL, NULL, 0);
	if (ret >= 0)
		return ret;
	if (!bpf_lib_open("gpu"))
		return 1;
	if (!strcmp(sub, "enable"))
		return enable();
	if (!strcmp(sub, "disable"))
		return disable();
	return status();
}
