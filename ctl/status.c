// SPDX-License-Identifier: GPL-2.0
/* cgsharectl status: is the module there, and what is it collecting. */
#include <errno.h>
#include <stdlib.h>

#include "main.h"
#include "out.h"

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

static void show(const struct cgs_status *st)
{
	out_obj_begin(NULL);
	out_bool("loaded", "loaded:      %s\n", true);
	if (st->has & CGS_STATUS_VERSION)
		out_str("version", "version:     %s\n", st->version);
	if (st->has & CGS_STATUS_FEATURES)
		show_features(st);
	if (st->has & CGS_STATUS_NR_CGROUPS)
		out_u64("nr_cgroups", "cgroups:     %s\n", st->nr_cgroups);
	if (st->has & CGS_STATUS_GENERATION)
		out_u64("generation", "generation:  %s\n", st->generation);
	out_obj_end();
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cgs_status st;
	struct cgs_nl *nl;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (common_option(c))
			continue;
		if (c == 'h')
			return cmd_help(&cmd_status);
		return option_error(&cmd_status, c, argv);
	}
	if (optind < argc)
		return usage_error(&cmd_status, "unexpected argument: %s",
				   argv[optind]);

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
