// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl stats: counters of one cgroup or a subtree, as totals or as
 * rates over an interval.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/args.h"
#include "cmd/cmd.h"
#include "render/out.h"
#include "policy/rate.h"
#include "render/record.h"
#include "util/time.h"

#define MAX_INTERVAL_NS (24 * 3600 * 1000000000ull)

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl stats [PATH|ID] [-r] [-i DURATION] [-j]\n"
		"\n"
		"Counters of one cgroup (default \"/\", the root of our cgroup\n"
		"namespace), each including its descendants.\n"
		"\n"
		"  PATH|ID              cgroup path (\"/a/b\") or cgroup id (digits)\n"
		"  -r, --recursive      the cgroup and every cgroup below it\n"
		"  -i, --interval DUR   sample twice, DUR apart (\"1\", \"500ms\"),\n"
		"                       and show rates: CPU time in CPUs, events\n"
		"                       as counts within the interval\n"
		"  -j, --json           JSON, keys in ns and bytes (see cgsharectl(8))\n");
}

struct stats_args {
	struct cgs_target target;
	char path[4096];
	bool recursive;
	uint64_t interval_ns;
};

static void target_error(struct cgs_nl *nl, const struct cgs_target *t)
{
	const struct cgs_nl_error *e = cgs_nl_last_error(nl);
	char what[4200];

	if (e->err != -ENOENT) {
		cgs_nl_perror(nl, "reading cgroup counters");
		return;
	}
	if (t->by_id)
		snprintf(what, sizeof(what), "id %llu",
			 (unsigned long long)t->id);
	else
		snprintf(what, sizeof(what), "%s", t->path);
	fprintf(stderr, "cgsharectl: no such cgroup: %s", what);
	if (e->msg[0])
		fprintf(stderr, " (kernel: %s)", e->msg);
	if (e->attr[0])
		fprintf(stderr, " [attribute %s]", e->attr);
	fputc('\n', stderr);
	if (!t->by_id && !strncmp(t->path, "/sys/fs/cgroup/", 15))
		fprintf(stderr, "cgsharectl: paths are relative to the cgroup "
			"root; try %s\n", t->path + 14);
}

/*
 * One sample, sorted by id, timed at the middle of its request. With
 * @gone_ok a target that vanished gives an empty sample.
 */
static int sample(struct cgs_nl *nl, struct cgs_iter *it,
		  const struct stats_args *a, struct cgs_list *l, uint64_t *t,
		  bool gone_ok)
{
	struct cgs_cgroup cg, *slot;
	uint64_t t0 = cgs_now_ns();
	int ret;

	if (a->recursive) {
		ret = cgs_sample(nl, it, &a->target, l);
	} else {
		ret = cgs_nl_cgroup_get(nl, &a->target, &cg);
		if (!ret) {
			slot = cgs_list_add(l);
			if (!slot) {
				cgs_cgroup_free(&cg);
				ret = -ENOMEM;
			} else {
				*slot = cg;
				cgs_sample_iter(it, l);
			}
		}
	}
	*t = t0 + (cgs_now_ns() - t0) / 2;
	if (ret == -ENOENT && gone_ok) {
		cgs_list_free(l);
		return 0;
	}
	if (ret == -ENOMEM)
		fprintf(stderr, "cgsharectl: out of memory\n");
	else if (ret)
		target_error(nl, &a->target);
	cgs_list_sort_by_id(l);
	return ret;
}

struct widths {
	int path;
	int events;
};

/*
 * The spec's metrics with a column heading are the table's columns (see
 * uapi/cgshare.yaml's [.., col NAME] tags): times in seconds, or in CPUs
 * as rates; sizes for humans. Memory events and GPU time follow.
 */
static const char *col_fmt(const struct cgs_metric *m)
{
	return m->unit == CGS_UNIT_BYTES ? "%7s " : "%8s ";
}

static uint32_t col_bits(bool gauges_only)
{
	uint32_t bits = 0;

	for (int c = 0; c < CGS_NR_CTR; c++)
		if (cgs_ctr_info[c].col &&
		    (!gauges_only || cgs_ctr_info[c].kind == CGS_GAUGE))
			bits |= CGS_BIT(c);
	return bits;
}

static void head(const struct widths *w, bool rates)
{
	out_text("%-*s ", w->path, "PATH");
	for (int c = 0; c < CGS_NR_CTR; c++) {
		const struct cgs_metric *m = &cgs_ctr_info[c];
		char h[32];

		if (!m->col)
			continue;
		snprintf(h, sizeof(h), "%s%s", m->col,
			 !rates && m->unit == CGS_UNIT_NS ? "(s)" : "");
		out_text(col_fmt(m), h);
	}
	out_text("%-*s %6s%s\n", w->events, rates ? "EVENTS(+)" : "EVENTS",
		 rates ? "GPU" : "GPU(s)", rates ? "  NOTE" : "");
}

/* A column's cell: the value, or with @r its rate where it has one. */
static void col_cell(const struct cgs_metric *m, int c,
		     const struct cgs_cgroup *cg, const struct cgs_rate *r)
{
	char key[64];

	if (r && m->kind == CGS_COUNTER) {
		/* cpu_usage_ns per ns is cpu_usage_cpus */
		snprintf(key, sizeof(key), "%.*s_%s",
			 (int)(strlen(m->key) - (m->unit == CGS_UNIT_NS ? 3 : 0)),
			 m->key, m->unit == CGS_UNIT_NS ? "cpus" : "per_ns");
		if (r->valid & CGS_BIT(c))
			out_dbl(key, col_fmt(m), 2, r->per_ns[c]);
		else
			out_absent(col_fmt(m));
	} else if (!cgs_has_ctr(cg, c)) {
		out_absent(col_fmt(m));
	} else if (m->unit == CGS_UNIT_BYTES) {
		out_bytes(m->key, col_fmt(m), cg->ctr[c]);
	} else if (m->unit == CGS_UNIT_NS) {
		out_secs(m->key, col_fmt(m), cg->ctr[c]);
	} else {
		out_u64(m->key, col_fmt(m), cg->ctr[c]);
	}
}

static void cols(const struct cgs_cgroup *cg, const struct cgs_rate *r)
{
	for (int c = 0; c < CGS_NR_CTR; c++)
		if (cgs_ctr_info[c].col)
			col_cell(&cgs_ctr_info[c], c, cg, r);
}

static void widen(struct widths *w, const struct cgs_cgroup *cg,
		  const uint64_t *ev, uint32_t ev_present)
{
	char buf[128];
	int n;

	if (out_is_json())	/* no columns to line up */
		return;
	n = cg->path ? strlen(cg->path) : 1;
	if (n > w->path)
		w->path = n;
	events_summary(buf, sizeof(buf), ev, ev_present);
	n = strlen(buf);
	if (n > w->events)
		w->events = n;
}

static void id_path(const struct cgs_cgroup *cg, const struct widths *w)
{
	out_u64("id", NULL, cg->id);
	if (out_is_json()) {
		if (cg->path)
			out_str("path", NULL, cg->path);
	} else {
		out_text("%-*s ", w->path, cg->path ? cg->path : "-");
	}
}

static void total_row(const struct cgs_cgroup *cg, const struct widths *w,
		      uint32_t shown)
{
	char ev[128];

	out_obj_begin(NULL);
	id_path(cg, w);
	cols(cg, NULL);
	/* Text only: in JSON the counters and the GPU list carry them. */
	if (!out_is_json()) {
		events_summary(ev, sizeof(ev), cg->ctr, cg->present);
		out_text("%-*s ", w->events, ev);
		if (cg->nr_gpu)
			out_secs(NULL, "%6s", gpu_busy_total(cg));
		else
			out_absent("%6s");
		out_text("\n");
	}
	show_cgroup_json(cg, shown);
	out_obj_end();
}

static int show_totals(struct cgs_list *l)
{
	struct widths w = { 4, 6 };

	cgs_list_sort_by_path(l);
	for (size_t i = 0; i < l->n; i++)
		widen(&w, &l->v[i], l->v[i].ctr, l->v[i].present);
	out_obj_begin(NULL);
	head(&w, false);
	out_arr_begin("cgroups");
	for (size_t i = 0, shown = col_bits(false); i < l->n; i++)
		total_row(&l->v[i], &w, shown);
	out_arr_end();
	out_obj_end();
	return 0;
}

static const char *const state_names[] = {
	[CGS_RATE_LIVE] = "live",
	[CGS_RATE_NEW] = "new",
	[CGS_RATE_GONE] = "gone",
};

static void rate_deltas(const struct cgs_rate *r)
{
	out_obj_begin("delta");
	for (int c = 0; c < CGS_NR_CTR; c++)
		if (r->valid & CGS_BIT(c))
			out_ctr(cgs_ctr_info[c].key, r->delta[c]);
	out_obj_end();
	if (!r->clamped)
		return;
	out_arr_begin("clamped");
	for (int c = 0; c < CGS_NR_CTR; c++)
		if (r->clamped & CGS_BIT(c))
			out_str(NULL, NULL, cgs_ctr_info[c].key);
	if (r->clamped & CGS_CLAMPED_GPU)
		out_str(NULL, NULL, "gpu");
	out_arr_end();
}

static void rate_gpus(const struct cgs_rate *r, const struct cgs_cgroup *cg)
{
	double busy = 0;
	bool any = false;

	out_arr_begin("gpu");
	for (unsigned int i = 0; i < r->nr_gpu; i++) {
		const struct cgs_gpu_rate *g = &r->gpu[i];

		out_obj_begin(NULL);
		show_gpu_json(g->now);
		if (g->valid & CGS_BIT(CGS_GPU_BUSY_NS)) {
			out_dbl("busy_ratio", NULL, 0, g->per_ns[CGS_GPU_BUSY_NS]);
			busy += g->per_ns[CGS_GPU_BUSY_NS];
			any = true;
		}
		if (g->valid & CGS_BIT(CGS_GPU_QUEUE_NS))
			out_dbl("queue_ratio", NULL, 0,
				g->per_ns[CGS_GPU_QUEUE_NS]);
		out_obj_begin("delta");
		for (int c = 0; c < CGS_NR_GPU_CTR; c++)
			if (g->valid & CGS_BIT(c))
				out_ctr(cgs_gpu_ctr_info[c].key, g->delta[c]);
		out_obj_end();
		out_obj_end();
	}
	/* A gone or new cgroup has no GPU rates, but may have devices. */
	if (r->state != CGS_RATE_LIVE)
		for (unsigned int i = 0; i < cg->nr_gpu; i++) {
			out_obj_begin(NULL);
			show_gpu_json(&cg->gpu[i]);
			out_obj_end();
		}
	out_arr_end();
	if (out_is_json())
		;	/* busy_ratio per device is above */
	else if (any)
		out_dbl(NULL, "%6s", 2, busy);
	else
		out_absent("%6s");
}

static void rate_row(const struct cgs_rate *r, const struct widths *w)
{
	const struct cgs_cgroup *cg = r->now ? r->now : r->prev;
	char ev[128];

	out_obj_begin(NULL);
	id_path(cg, w);
	out_str("state", NULL, state_names[r->state]);
	cols(cg, r);
	if (r->state == CGS_RATE_LIVE)
		events_summary(ev, sizeof(ev), r->delta, r->valid);
	else
		strcpy(ev, "-");
	out_text("%-*s ", w->events, ev);
	rate_gpus(r, cg);
	if (r->state != CGS_RATE_LIVE)
		out_text("  %s", state_names[r->state]);
	else if (r->clamped)
		out_text("  clamped!");
	out_text("\n");
	show_cgroup_json(cg, col_bits(true) | SHOW_SKIP_GPU);
	if (r->state == CGS_RATE_LIVE)
		rate_deltas(r);
	out_obj_end();
}

static int by_path(const void *a, const void *b)
{
	const struct cgs_rate *x = a, *y = b;
	const struct cgs_cgroup *p = x->now ? x->now : x->prev;
	const struct cgs_cgroup *q = y->now ? y->now : y->prev;

	int d = cgs_path_cmp(p->path ? p->path : "", q->path ? q->path : "");

	return d ? d : (p->id > q->id) - (p->id < q->id);
}

static int show_rates(struct cgs_rates *rs)
{
	struct widths w = { 4, 9 };

	qsort(rs->v, rs->n, sizeof(rs->v[0]), by_path);
	for (size_t i = 0; i < rs->n; i++) {
		const struct cgs_rate *r = &rs->v[i];

		widen(&w, r->now ? r->now : r->prev, r->delta, r->valid);
	}
	out_obj_begin(NULL);
	out_u64("interval_ns", NULL, rs->interval_ns);
	head(&w, true);
	out_arr_begin("cgroups");
	for (size_t i = 0; i < rs->n; i++)
		rate_row(&rs->v[i], &w);
	out_arr_end();
	out_obj_end();
	if (rs->nr_clamped)
		out_text("clamped!: %u cgroup(s) had counters go backwards "
			 "between the samples; those rates are shown as 0\n",
			 rs->nr_clamped);
	return 0;
}

static int stats_opt(const struct cmd *cmd, int key, const char *arg,
		     void *ctx)
{
	struct stats_args *a = ctx;

	if (key == 'r') {
		a->recursive = true;
		return 0;
	}
	if (parse_duration(arg, &a->interval_ns) || !a->interval_ns ||
	    a->interval_ns > MAX_INTERVAL_NS)
		return usage_error(cmd, "bad interval: %s (want a duration "
				   "from 1ns to 24h, e.g. 1, 0.5, 200ms)", arg);
	return 0;
}

static int parse(int argc, char **argv, struct stats_args *a)
{
	static const struct cmd_opt o[] = {
		{ "recursive", 'r', false },
		{ "interval", 'i', true },
		{ NULL, 0, false },
	};
	const char *arg = "/";
	int ret;

	ret = cmd_parse(&cmd_stats, argc, argv, o, stats_opt, a, &arg, 1);
	if (ret >= 0)
		return ret;
	if (parse_target(arg, &a->target, a->path, sizeof(a->path)))
		return usage_error(&cmd_stats, "bad cgroup: %s (want a path "
				   "such as /a/b, or a numeric id)", arg);
	return -1;
}

static int run(int argc, char **argv)
{
	struct stats_args a = { 0 };
	struct cgs_list l0 = { 0 }, l1 = { 0 };
	struct cgs_rates rs;
	struct cgs_iter *it;
	struct cgs_nl *nl;
	uint64_t t0, t1;
	int ret;

	ret = parse(argc, argv, &a);
	if (ret >= 0)
		return ret;
	start_output(true);
	if (open_nl(&nl))
		return 1;
	if (cgs_iter_open(&it)) {
		cgs_nl_close(nl);
		return 1;
	}
	ret = sample(nl, it, &a, &l0, &t0, false);
	if (ret)
		goto out;
	if (!a.interval_ns) {
		show_totals(&l0);
		goto out;
	}
	cgs_sleep_until(cgs_now_ns() + a.interval_ns);
	ret = sample(nl, it, &a, &l1, &t1, true);
	if (ret)
		goto out;
	ret = cgs_rates_compute(&l0, t0, &l1, t1, &rs);
	if (ret) {
		fprintf(stderr, "cgsharectl: computing rates: %s\n",
			strerror(-ret));
		goto out;
	}
	show_rates(&rs);
	cgs_rates_free(&rs);
out:
	cgs_list_free(&l0);
	cgs_list_free(&l1);
	cgs_iter_close(it);
	cgs_nl_close(nl);
	return end_output(ret ? 1 : 0);
}

const struct cmd cmd_stats = {
	.name = "stats",
	.run = run,
	.help = help,
	.usage = "cgsharectl stats [PATH|ID] [-r] [-i DURATION] [-j]",
	.summary = "counters of a cgroup or subtree, totals or rates",
};
