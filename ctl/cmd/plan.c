// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl plan and apply: one pair of samples an interval apart, one
 * solve; plan prints it, apply writes what changed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "control/control.h"
#include "control/state.h"
#include "render/out.h"
#include "util/args.h"
#include "util/time.h"

static const char *unit_fmt(enum cgs_res r, double v, char *buf, size_t len)
{
	if (isinf(v))
		snprintf(buf, len, "-");
	else if (r == CGS_MEM)
		fmt_size(buf, len, v);
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

static const char *const unit_words[CGS_NR_RES] = { " CPUs", "", " GPUs" };

static void explain(const struct cgs_ctl_round *rd, const struct cgs_ctl_cg *m,
		    enum cgs_res r)
{
	const struct cgs_plan_cg *p = m->plan;
	const struct cgs_demand_raw *raw = m->raw;
	char a[32], b[32], d[32], s[32];

	out_text("  %-6s demand %s%s", cgs_res_name(r),
		 unit_fmt(r, p->demand[r], d, sizeof(d)), unit_words[r]);
	if (r == CGS_CPU && raw)
		out_text(" (usage %.2f + wait %.2f%s)", raw->cpu_usage,
			 raw->cpu_wait, raw->cpu_throttled ?
			 ", throttled: probing above its cpu.max" : "");
	if (r == CGS_MEM && raw && raw->mem_grow > 0)
		out_text(" (usage %s grown %.0f%% for %llu reclaim events, "
			 "PSI some %.1f%%)", unit_fmt(r, raw->mem_current, a,
						     sizeof(a)),
			 raw->mem_grow * 100,
			 (unsigned long long)raw->mem_reclaim, raw->mem_psi);
	out_text(", weight %g, guarantee %s, cap %s, policy %s\n",
		 m->weight, m->min[r] > 0 ? unit_fmt(r, m->min[r], a, sizeof(a))
		 : "none", isinf(m->max[r]) ? "none" :
		 unit_fmt(r, m->max[r], b, sizeof(b)),
		 cgs_policy_name(rd->conf->policy[r]));
	out_text("         share %s%s of %s: %s%s\n",
		 unit_fmt(r, p->share[r], s, sizeof(s)), unit_words[r],
		 unit_fmt(r, rd->capacity[r], a, sizeof(a)),
		 cgs_reason_explain(m->reason[r]),
		 r == CGS_GPU ? " (GPU time is reported, not enforced)" : "");
}

/* The limits of resource @r in a table row: "cpu.max 50000 100000, ...". */
static void limits_cell(const struct cgs_plan_cg *p, enum cgs_res r)
{
	bool any = false;

	for (int l = 0; l < CGS_NR_LIM; l++)
		if (p->want[l] && cgs_limit_res(l) == r) {
			out_text("%s%s %s", any ? ", " : "", cgs_limit_file[l],
				 p->value[l]);
			any = true;
		}
	out_text("%s\n", any ? "" : r == CGS_GPU ? "(reported only)" : "-");
}

static void show_resource(const struct cgs_ctl_round *rd,
			  const struct cgs_ctl_cg *m, enum cgs_res r, bool expl)
{
	const struct cgs_plan_cg *p = m->plan;
	char a[32], b[32];

	if (expl)
		explain(rd, m, r);
	else
		out_text("%-20s %-6s %8s %8s %8g  %-12s ", m->path,
			 cgs_res_name(r), unit_fmt(r, p->demand[r], a, sizeof(a)),
			 unit_fmt(r, p->share[r], b, sizeof(b)), m->weight,
			 cgs_reason_str(m->reason[r]));
	out_obj_begin(cgs_res_name(r));
	out_dbl("demand", NULL, 0, p->demand[r]);
	out_dbl("share", NULL, 0, p->share[r]);
	out_str("reason", NULL, cgs_reason_str(m->reason[r]));
	if (m->min[r] > 0)
		out_dbl("min", NULL, 0, m->min[r]);
	if (!isinf(m->max[r]))
		out_dbl("max", NULL, 0, m->max[r]);
	out_obj_end();
	if (!expl)
		limits_cell(p, r);
}

/* Why a planned limit is not written, for --explain; "" when it is. */
static const char *left_alone(const struct cgs_ctl_cg *m, int l)
{
	if (!(m->writable & (1u << l)))
		return " (observed only: the kubelet writes it)";
	if (m->backoff & (1u << l))
		return " (left alone: someone else wrote it since cgshare did)";
	return "";
}

static void show_cgroup(const struct cgs_ctl_round *rd,
			const struct cgs_ctl_cg *m, bool expl)
{
	out_obj_begin(NULL);
	out_str("path", expl ? "%s\n" : NULL, m->path);
	out_u64("id", NULL, m->id);
	out_dbl("weight", NULL, 0, m->weight);
	if (!m->measured) {
		if (!expl)
			out_text("%-20s", m->path);
		out_str("state", "  not measured yet (%s)\n",
			m->present ? "new" : "absent");
		out_obj_end();
		return;
	}
	out_obj_begin("resources");
	for (int r = 0; r < CGS_NR_RES; r++)
		if (m->plan->has[r])
			show_resource(rd, m, r, expl);
	out_obj_end();
	out_obj_begin("limits");
	for (int l = 0; l < CGS_NR_LIM; l++)
		if (m->plan->want[l]) {
			if (expl)
				out_text("  -> %s %s%s\n", cgs_limit_file[l],
					 m->plan->value[l], left_alone(m, l));
			out_str(cgs_limit_file[l], NULL, m->plan->value[l]);
		}
	out_obj_end();
	for (unsigned int g = 0; g < m->plan->nr_region; g++)
		if (m->plan->dmem_pending & (1u << g)) {
			char dev[64], a[32], b[32];

			out_text("     %s (device %s): pending, usage %s above the "
				 "cap %s\n", m->plan->region[g].name,
				 cgs_dmem_device(m->plan->region[g].name, dev,
						 sizeof(dev)),
				 unit_fmt(CGS_MEM, m->plan->region[g].current, a,
					  sizeof(a)),
				 unit_fmt(CGS_MEM, m->plan->gpu_mem_max, b,
					  sizeof(b)));
		}
	out_arr_begin("dmem_pending");
	for (unsigned int g = 0; g < m->plan->nr_region; g++)
		if (m->plan->dmem_pending & (1u << g))
			out_str(NULL, NULL, m->plan->region[g].name);
	out_arr_end();
	out_obj_begin("left_alone");
	for (int l = 0; l < CGS_NR_LIM; l++)
		if (m->plan->want[l] && *left_alone(m, l))
			out_str(cgs_limit_file[l], NULL,
				m->writable & (1u << l) ? "written by someone else" :
				"the kubelet's");
	out_obj_end();
	out_obj_end();
}

static void show_plan(const struct cgs_ctl_round *rd, bool expl)
{
	char a[32], b[32];

	out_obj_begin(NULL);
	out_u64("interval_ns", NULL, rd->interval_ns);
	out_str("scheduler", "scheduler: %s", rd->scheduler);
	out_text("%s\n", strcmp(rd->scheduler, "fair") ? " (it obeys cpu.weight "
		 "and cpu.max only if it implements them: see cgsharectl "
		 "verify)" : "");
	out_text("capacity: cpu %s CPUs, ",
		 unit_fmt(CGS_CPU, rd->capacity[CGS_CPU], a, sizeof(a)));
	out_text("memory %s, gpu %s\n",
		 unit_fmt(CGS_MEM, rd->capacity[CGS_MEM], a, sizeof(a)),
		 unit_fmt(CGS_GPU, rd->capacity[CGS_GPU], b, sizeof(b)));
	out_obj_begin("capacity");
	for (int r = 0; r < CGS_NR_RES; r++)
		out_dbl(cgs_res_name(r), NULL, 0, rd->capacity[r]);
	out_obj_end();
	out_obj_begin("policy");
	for (int r = 0; r < CGS_NR_RES; r++)
		out_str(cgs_res_name(r), NULL, cgs_policy_name(rd->conf->policy[r]));
	out_obj_end();
	if (!expl)
		out_text("%-20s %-6s %8s %8s %8s  %-12s %s\n", "CGROUP", "RES",
			 "DEMAND", "SHARE", "WEIGHT", "REASON", "LIMIT");
	out_arr_begin("cgroups");
	for (size_t i = 0; i < rd->n; i++)
		show_cgroup(rd, &rd->cg[i], expl);
	out_arr_end();
	out_obj_end();
}

/* apply prints every change, old -> new. */
static void print_change(const char *path, const char *file, const char *old,
			 const char *value, bool written,
			 const struct cgs_plan_cg *p, void *arg)
{
	unsigned int *changes = arg;

	(void)p;
	(*changes)++;
	out_obj_begin(NULL);
	out_str("path", "%s ", path);
	out_str("file", "%s: ", file);
	out_str("old", "%s -> ", old[0] ? old : "-");
	out_str("new", "%s", value);
	out_bool("written", NULL, written);
	out_text("%s\n", written ? "" : " (dry run)");
	out_obj_end();
}

struct once_args {
	const char *file;
	const char *state;
	bool explain, dry_run;
};

static int once_opt(const struct cmd *cmd, int key, const char *arg,
		    void *ctx)
{
	struct once_args *a = ctx;

	(void)cmd;
	switch (key) {
	case 'c':
		a->file = arg;
		return 0;
	case 'e':
		a->explain = true;
		return 0;
	case 's':
		a->state = arg;
		return 0;
	default:
		a->dry_run = true;
		return 0;
	}
}

static int parse(const struct cmd *cmd, int argc, char **argv,
		 struct once_args *a)
{
	static const struct cmd_opt plan_opts[] = {
		{ "config", 'c', true },
		{ "explain", 'e', false },
		{ NULL, 0, false },
	};
	static const struct cmd_opt apply_opts[] = {
		{ "config", 'c', true },
		{ "dry-run", 'n', false },
		{ "state", 's', true },
		{ NULL, 0, false },
	};
	int ret;

	ret = cmd_parse(cmd, argc, argv, cmd == &cmd_plan ? plan_opts :
			apply_opts, once_opt, a, NULL, 0);
	if (ret >= 0)
		return ret;
	if (!a->file)
		return usage_error(cmd, "no configuration file (-c FILE)");
	return -1;
}

/* Two samples an interval apart, then the plan. */
static int sample_twice(struct cgs_ctl *c)
{
	int ret = cgs_ctl_sample(c);

	if (!ret) {
		cgs_sleep_until(cgs_now_ns() +
				cgs_ctl_round(c)->conf->interval_ns);
		ret = cgs_ctl_sample(c);
	}
	return ret ? ret : cgs_ctl_plan(c);
}

static int once(const struct cmd *cmd, int argc, char **argv)
{
	struct once_args a = { 0 };
	struct cgs_ctl_opts o = { .quiet = true };
	unsigned int changes = 0, errors = 0;
	bool write = cmd == &cmd_apply;
	struct cgs_ctl *c;
	struct cgs_nl *nl;
	int ret;

	ret = parse(cmd, argc, argv, &a);
	if (ret >= 0)
		return ret;
	o.dry_run = !write || a.dry_run;
	/* apply records what it writes, as run does, for run --restore */
	o.state_file = a.state ? a.state : cgs_state_default();
	if (open_nl(&nl))
		return 1;
	if (cgs_ctl_open(&c, a.file, nl, &o)) {
		cgs_nl_close(nl);
		return 1;
	}
	start_output(true);
	ret = sample_twice(c);
	if (!ret && write) {
		out_obj_begin(NULL);
		out_arr_begin("changes");
		errors = cgs_ctl_write(c, print_change, &changes);
		out_arr_end();
		out_u64("errors", NULL, errors);
		out_obj_end();
		if (!changes && !errors)
			out_text("no changes\n");
	} else if (!ret) {
		show_plan(cgs_ctl_round(c), a.explain);
	}
	cgs_ctl_close(c);
	cgs_nl_close(nl);
	return end_output(ret || errors ? 1 : 0);
}

static int plan_run(int argc, char **argv)
{
	return once(&cmd_plan, argc, argv);
}

static int apply_run(int argc, char **argv)
{
	return once(&cmd_apply, argc, argv);
}

static void plan_help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl plan -c FILE [--explain] [-j]\n"
		"\n"
		"Samples the ledger twice, one interval apart, and prints each\n"
		"managed cgroup's demand, share and the limits apply would\n"
		"write. Nothing is written.\n"
		"\n"
		"  -c, --config FILE   the controller's configuration\n"
		"  -e, --explain       per cgroup and resource: demand, weight,\n"
		"                      guarantee, cap, policy, share and why\n"
		"  -j, --json          JSON (see cgsharectl(8))\n");
}

static void apply_help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl apply -c FILE [--dry-run] [--state FILE] [-j]\n"
		"\n"
		"One round of the controller: plan, then write the limits that\n"
		"changed, printing each as old -> new.\n"
		"\n"
		"  -c, --config FILE   the controller's configuration\n"
		"  -n, --dry-run       print the changes, write nothing\n"
		"  -s, --state FILE    where run keeps what was written (see run)\n"
		"  -j, --json          JSON (see cgsharectl(8))\n");
}

const struct cmd cmd_plan = {
	.name = "plan",
	.run = plan_run,
	.help = plan_help,
	.usage = "cgsharectl plan -c FILE [--explain] [-j]",
	.summary = "shares and limits the controller would set",
};

const struct cmd cmd_apply = {
	.name = "apply",
	.run = apply_run,
	.help = apply_help,
	.usage = "cgsharectl apply -c FILE [--dry-run] [--state FILE] [-j]",
	.summary = "one round of the controller: plan, then write",
};
