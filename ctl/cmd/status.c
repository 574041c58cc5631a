// SPDX-License-Identifier: GPL-2.0
/* cgsharectl status: is the module there, and what is it collecting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/cgfs.h"
#include "cgroupfs/sched.h"
#include "cmd/cmd.h"
#include "render/out.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl status [-j]\n"
		"\n"
		"Whether the cgshare module is loaded, its version, the collectors\n"
		"that are live (cpu, memory, gpu-charge, gpu-bpf; with the reason\n"
		"when gpu-bpf is off), the number of cgroup records and the\n"
		"generation counter. Exits 1 when the module is not loaded.\n");
}

static void show_features(const struct cgs_status *st)
{
	uint32_t known = 0;

	out_text("features:   ");
	out_arr_begin("features");
	for (int i = 0; cgs_features[i].name; i++) {
		known |= cgs_features[i].bit;
		if (st->features & cgs_features[i].bit)
			out_str(NULL, " %s", cgs_features[i].name);
	}
	out_arr_end();
	if (st->features & ~known)
		out_text(" (unknown: 0x%x)", st->features & ~known);
	out_text("\n");
	out_u64("features_mask", NULL, st->features);

	if (!(st->features & CGSHARE_FEATURE_GPU_BPF))
		out_str("gpu_bpf_reason", "gpu-bpf:     off (%s)\n",
			st->has & CGS_STATUS_GPU_BPF_REASON ?
			st->gpu_bpf_reason : "no reason given");
	if (!(st->features & CGSHARE_FEATURE_GPU_BPF))
		out_text("             gpu enable needs a module with BTF: headers "
			 "that ship vmlinux and\n             resolve_btfids "
			 "(Debian's 6.12, not 6.1), and pahole (dwarves) when it\n"
			 "             is built; gpu collect works without it\n");
}

/* The regions of device memory the dmem controller knows, if any. */
static void show_regions(void)
{
	struct cgfs_region r[CGFS_MAX_REGIONS];
	struct cgfs fs = { .fd = -1 };
	unsigned int n = 0;
	char dev[64];

	if (!cgfs_open(&fs, "/sys/fs/cgroup"))
		n = cgfs_dmem_regions(&fs, r, CGFS_MAX_REGIONS);
	cgfs_close(&fs);
	out_arr_begin("gpu_memory_regions");
	for (unsigned int i = 0; i < n; i++) {
		out_obj_begin(NULL);
		out_str("region", "gpu memory:  %s", r[i].name);
		out_str("device", " (device %s)",
			cgs_dmem_device(r[i].name, dev, sizeof(dev)));
		out_bytes("capacity_bytes", " %s\n", r[i].current);
		out_obj_end();
	}
	out_arr_end();
}

static void show(const struct cgs_status *st)
{
	struct cgfs_sched sched;
	char name[80];

	cgfs_sched("/sys", &sched);
	out_obj_begin(NULL);
	out_bool("loaded", "loaded:      %s\n", true);
	out_str("scheduler", "scheduler:   %s\n",
		cgfs_sched_name(&sched, name, sizeof(name)));
	show_regions();
	if (st->has & CGS_STATUS_VERSION)
		out_str("version", "version:     %s\n", st->version);
	if (st->has & CGS_STATUS_FEATURES)
		show_features(st);
	for (int c = 0; c < CGS_NR_STATUS_CTR; c++) {
		char fmt[64];

		if (!(st->present & CGS_BIT(c)))
			continue;
		snprintf(fmt, sizeof(fmt), "%-12s %%s\n", cgs_status_ctr_info[c].name);
		fmt[strcspn(fmt, " ")] = ':';
		out_u64(cgs_status_ctr_info[c].key, fmt, st->ctr[c]);
	}
	out_obj_end();
}

static int run(int argc, char **argv)
{
	struct cgs_status st;
	struct cgs_nl *nl;
	int ret;

	ret = cmd_parse(&cmd_status, argc, argv, NULL, NULL, NULL, NULL, 0);
	if (ret >= 0)
		return ret;
	start_output(true);
	ret = open_nl(&nl);
	if (ret == -ENOENT) {
		/* Scripts reading -j still get an answer. */
		out_obj_begin(NULL);
		out_bool("loaded", NULL, false);
		out_obj_end();
		return end_output(1);
	}
	if (ret)
		return 1;
	ret = cgs_nl_status(nl, &st);
	if (ret) {
		cgs_nl_perror(nl, "reading the module status");
		cgs_nl_close(nl);
		return 1;
	}
	show(&st);
	cgs_status_free(&st);
	cgs_nl_close(nl);
	return end_output(0);
}

const struct cmd cmd_status = {
	.name = "status",
	.run = run,
	.help = help,
	.usage = "cgsharectl status [-j]",
	.summary = "module version, live collectors, cgroup count",
};
