// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl verify: does the CPU scheduler obey the limits? Two samples
 * of the managed cgroups an interval apart, judged by policy/verify.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "control/control.h"
#include "render/out.h"
#include "util/args.h"
#include "util/time.h"

#define DEFAULT_NS (10 * CGS_NSEC_PER_SEC)

struct verify_args {
	const char *file;
	uint64_t interval_ns;
};

static int verify_opt(const struct cmd *cmd, int key, const char *arg,
		      void *ctx)
{
	struct verify_args *a = ctx;

	if (key == 'c') {
		a->file = arg;
		return 0;
	}
	if (parse_duration(arg, &a->interval_ns) ||
	    a->interval_ns < CGS_NSEC_PER_SEC ||
	    a->interval_ns > 3600 * CGS_NSEC_PER_SEC)
		return usage_error(cmd, "bad interval: %s (want 1s to 1h)", arg);
	return 0;
}

static void show_knob(enum cgs_knob k, const struct cgs_verify_knob *v)
{
	const char *who = v->worst_path;

	out_obj_begin(cgs_knob_file(k));
	out_str("verdict", "%-9s ", cgs_verdict_name(v->verdict));
	out_u64("judged", NULL, v->judged);
	if (v->verdict == CGS_VERDICT_UNKNOWN) {
		out_text("%s\n", k == CGS_KNOB_CPU_MAX ?
			 "no managed cgroup pressed on its cpu.max" :
			 "no siblings contended for CPU outside their cpu.max");
		out_obj_end();
		return;
	}
	out_str("cgroup", NULL, who);
	out_dbl("gap", NULL, 0, v->gap);
	out_dbl("want", NULL, 0, v->want);
	out_dbl("got", NULL, 0, v->got);
	if (k == CGS_KNOB_CPU_MAX)
		out_text("%s used %.2f CPUs against a cpu.max of %.2f",
			 who, v->got, v->want);
	else
		out_text("%s used %.0f %% of what its siblings used; its "
			 "weight asks for %.0f %%", who, v->got * 100,
			 v->want * 100);
	out_text(" (%u cgroups judged, worst %+.0f %%)\n", v->judged,
		 v->gap * 100);
	out_obj_end();
}

static int verify_run(int argc, char **argv)
{
	static const struct cmd_opt o[] = {
		{ "config", 'c', true },
		{ "interval", 'i', true },
		{ NULL, 0, false },
	};
	struct verify_args a = { .interval_ns = DEFAULT_NS };
	struct cgs_ctl_opts co = { .dry_run = true, .quiet = true };
	struct cgs_verify_knob v[CGS_NR_KNOBS];
	const struct cgs_ctl_round *r;
	struct cgs_ctl *c;
	struct cgs_nl *nl;
	bool ignored = false;
	int ret;

	ret = cmd_parse(&cmd_verify, argc, argv, o, verify_opt, &a, NULL, 0);
	if (ret >= 0)
		return ret;
	if (!a.file)
		return usage_error(&cmd_verify, "no configuration file (-c FILE)");
	if (open_nl(&nl))
		return 1;
	if (cgs_ctl_open(&c, a.file, nl, &co)) {
		cgs_nl_close(nl);
		return 1;
	}
	start_output(true);
	ret = cgs_ctl_sample(c);
	if (!ret) {
		cgs_sleep_until(cgs_now_ns() + a.interval_ns);
		ret = cgs_ctl_sample(c);
	}
	if (!ret) {
		r = cgs_ctl_round(c);
		cgs_ctl_verify(c, v);
		out_obj_begin(NULL);
		out_str("scheduler", "scheduler: %s\n", r->scheduler);
		out_u64("interval_ns", NULL, r->interval_ns);
		out_obj_begin("knobs");
		for (int k = 0; k < CGS_NR_KNOBS; k++) {
			out_text("%-11s ", cgs_knob_file(k));
			show_knob(k, &v[k]);
			ignored |= v[k].verdict == CGS_VERDICT_IGNORED;
		}
		out_obj_end();
		out_obj_end();
	}
	cgs_ctl_close(c);
	cgs_nl_close(nl);
	return end_output(ret ? 1 : ignored ? 1 : 0);
}

static void verify_help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl verify -c FILE [-i DURATION] [-j]\n"
		"\n"
		"Measures, over DURATION (10s), whether the CPU scheduler in\n"
		"charge obeys cpu.weight and cpu.max for the cgroups FILE\n"
		"manages: cgroups that wait for CPU must not use more than their\n"
		"cpu.max, and siblings that all wait must split what they use by\n"
		"their cpu.weight, within 20 %%. A sched_ext scheduler obeys them\n"
		"only if it implements them. Prints the scheduler and, per knob,\n"
		"honoured, ignored or unknown (nothing to judge by), with the\n"
		"worst cgroup. Exit status 1 when a knob is ignored.\n"
		"\n"
		"  -c, --config FILE     the controller's configuration\n"
		"  -i, --interval DUR    how long to measure (1s to 1h)\n"
		"  -j, --json            JSON (see cgsharectl(8))\n");
}

const struct cmd cmd_verify = {
	.name = "verify",
	.run = verify_run,
	.help = verify_help,
	.usage = "cgsharectl verify -c FILE [-i DURATION] [-j]",
	.summary = "is the CPU scheduler obeying cpu.weight and cpu.max?",
};
