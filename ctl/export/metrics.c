// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exporter's content: cgroupfs limits, the text exposition
 * renderer (format 0.0.4) and one scrape. The server is in export_http.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/export.h"
#include "util/utf8.h"
#include "ledger/ledger.h"
#include "cgroupfs/sched.h"
#include "model/k8s.h"
#include "model/limits.h"

/* -- rendering -- */

static void put_u64(FILE *f, uint64_t v)
{
	fprintf(f, "%" PRIu64, v);
}

/* Nanoseconds as exact decimal seconds: 1500000000 -> "1.5". */
static void put_secs(FILE *f, uint64_t ns)
{
	char frac[16];
	int n;

	put_u64(f, ns / 1000000000);
	if (!(ns % 1000000000))
		return;
	n = snprintf(frac, sizeof(frac), "%09" PRIu64, ns % 1000000000);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	fprintf(f, ".%s", frac);
}

/* Integers as integers, others in the fewest digits that read back exactly. */
static void put_num(FILE *f, double v)
{
	char buf[40];

	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	/* Below 2^53 every integer is exact: no exponent for byte counts. */
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    v == (double)(int64_t)v) {
		fprintf(f, "%.0f", v);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

void export_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;

	while (left) {
		switch (*p) {
		case '\\':
			fputs("\\\\", f);
			n = 1;
			break;
		case '"':
			fputs("\\\"", f);
			n = 1;
			break;
		case '\n':
			fputs("\\n", f);
			n = 1;
			break;
		default:
			n = cgs_utf8_seq(p, left);
			if (n) {
				fwrite(p, 1, n, f);
			} else {
				fputs("\xef\xbf\xbd", f);
				n = 1;
			}
		}
		p += n;
		left -= n;
	}
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Starts a sample: name{cgroup="..." and, if @key, ,key="val"}, then ' '. */
/*
 * A cgroup's labels, escaped once per scrape and printed with each of its
 * samples: cgroup="PATH", and for the kubelet's and the runtimes' cgroups
 * qos_class, pod_uid and container_id (see model/k8s.h).
 */
static char *label_set(const char *path)
{
	struct cgs_k8s k;
	const char *q;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fputs("cgroup=\"", f);
	export_escape(f, path);
	fputc('"', f);
	if (cgs_k8s_parse(path, &k)) {
		q = cgs_qos_name(k.qos);
		if (q)
			fprintf(f, ",qos_class=\"%s\"", q);
		if (k.pod_uid[0])
			fprintf(f, ",pod_uid=\"%s\"", k.pod_uid);
		if (k.container_id[0])
			fprintf(f, ",container_id=\"%s\"", k.container_id);
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Starts a sample: name{LABELS and, if @key, ,key="val"}, then ' '. */
static void labels(FILE *f, const char *name, const char *set,
		   const char *key, const char *val)
{
	fprintf(f, "%s{%s", name, set);
	if (key) {
		fprintf(f, ",%s=\"", key);
		export_escape(f, val);
		fputc('"', f);
	}
	fputs("} ", f);
}

struct view {
	const struct export_input *in;
	size_t *idx;		/* records to show, sorted by path */
	char **lbl;		/* their label sets */
	size_t n;
};

static const char *path_of(const struct cgs_cgroup *cg)
{
	return cg->path ? cg->path : "";
}

static int cmp_rec(const void *a, const void *b, void *arg)
{
	const struct export_input *in = arg;
	const struct cgs_cgroup *x = &in->cg[*(const size_t *)a];
	const struct cgs_cgroup *y = &in->cg[*(const size_t *)b];
	int d = cgs_path_cmp(path_of(x), path_of(y));

	if (d)
		return d;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_target(const void *a, const void *b, void *arg)
{
	const struct export_target *t = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int d = cgs_path_cmp(t[i].path, t[j].path);

	return d ? d : (i > j) - (i < j);
}

/* Sorted indices of @n items, of which the last of each path is kept. */
static size_t *sorted(size_t n,
		      int (*cmp)(const void *, const void *, void *),
		      const char *(*path)(size_t i, const void *arg),
		      const void *arg, size_t *kept)
{
	size_t *v = malloc((n ? n : 1) * sizeof(*v)), k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = i;
	if (n)
		qsort_r(v, n, sizeof(*v), cmp, (void *)arg);
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || strcmp(path(v[i], arg), path(v[i + 1], arg)))
			v[k++] = v[i];
	*kept = k;
	return v;
}

static const char *rec_path(size_t i, const void *arg)
{
	return path_of(&((const struct export_input *)arg)->cg[i]);
}

static const char *target_path(size_t i, const void *arg)
{
	return ((const struct export_target *)arg)[i].path;
}

/* Limits from cgroupfs: absent where the file says "max" or is missing. */
static const struct {
	const char *name;
	const char *help;
	enum cgfs_item item;
} limit_fams[] = {
	{ "cgshare_cpu_max_cpus",
	  "CPU bandwidth limit from cpu.max, in CPUs; absent when max.",
	  CGFS_CPU_MAX },
	{ "cgshare_cpu_weight", "CPU weight from cpu.weight.", CGFS_CPU_WEIGHT },
	{ "cgshare_memory_high_bytes",
	  "Memory throttling limit from memory.high; absent when max.",
	  CGFS_MEM_HIGH },
	{ "cgshare_memory_max_bytes",
	  "Hard memory limit from memory.max; absent when max.", CGFS_MEM_MAX },
	{ "cgshare_memory_low_bytes", "Memory protection from memory.low.",
	  CGFS_MEM_LOW },
};

/* The value of @item in @s, false when absent or "max". */
static bool limit_value(const struct cgfs_snap *s, enum cgfs_item item,
			double *v)
{
	uint64_t x;

	if (!(s->has & CGFS_ITEM(item)))
		return false;
	switch (item) {
	case CGFS_CPU_MAX:
		if (s->cpu_quota_us == CGFS_MAX || !s->cpu_period_us)
			return false;
		*v = (double)s->cpu_quota_us / s->cpu_period_us;
		return true;
	case CGFS_CPU_WEIGHT:
		x = s->cpu_weight;
		break;
	case CGFS_MEM_HIGH:
		x = s->mem_high;
		break;
	case CGFS_MEM_MAX:
		x = s->mem_max;
		break;
	case CGFS_MEM_LOW:
		x = s->mem_low;
		break;
	default:
		return false;
	}
	if (x == CGFS_MAX)
		return false;
	*v = x;
	return true;
}

/* Resources in label order. */
static const enum cgs_res res_order[] = { CGS_CPU, CGS_GPU, CGS_MEM };

/* A value in the family's unit: time in seconds, exactly. */
static void put_value(FILE *f, const struct cgs_metric *m, uint64_t v)
{
	switch (m->unit) {
	case CGS_UNIT_NS:
		put_secs(f, v);
		break;
	case CGS_UNIT_US:
		put_secs(f, v * 1000);
		break;
	default:
		put_u64(f, v);
	}
	fputc('\n', f);
}

static const char *kind_name(const struct cgs_metric *m)
{
	return m->kind == CGS_COUNTER ? "counter" : "gauge";
}

/*
 * The members of the family that starts at @tbl[@first] (a labelled
 * family's members follow each other in the spec), in label order.
 */
static size_t family_members(const struct cgs_metric *tbl, size_t n,
			     size_t first, size_t *idx)
{
	size_t k = 0;

	for (size_t i = first; i < n && !strcmp(tbl[i].family, tbl[first].family); i++) {
		size_t j = k++;

		/* insertion by label value: families are a handful long */
		while (j && strcmp(tbl[idx[j - 1]].label_value, tbl[i].label_value) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return k;
}

/* Every cgroup-level metric of the spec, family by family. */
static void render_cgroups(FILE *f, const struct view *w)
{
	size_t idx[CGS_NR_CTR], k;

	for (size_t first = 0; first < CGS_NR_CTR; first += k) {
		const struct cgs_metric *m0 = &cgs_ctr_info[first];

		k = family_members(cgs_ctr_info, CGS_NR_CTR, first, idx);
		family(f, m0->family, kind_name(m0), m0->help);
		for (size_t i = 0; i < w->n; i++) {
			const struct cgs_cgroup *cg = &w->in->cg[w->idx[i]];

			for (size_t j = 0; j < k; j++) {
				const struct cgs_metric *m = &cgs_ctr_info[idx[j]];

				if (!cgs_has_ctr(cg, idx[j]))
					continue;
				labels(f, m->family, w->lbl[i], m->label,
				       m->label_value);
				put_value(f, m, cg->ctr[idx[j]]);
			}
		}
	}
}

static int cmp_gpu(const void *a, const void *b, void *arg)
{
	const struct cgs_gpu *g = arg;

	return strncmp(g[*(const unsigned int *)a].dev,
		       g[*(const unsigned int *)b].dev, sizeof(g->dev));
}

/* Per device: the label is the device's name. */
static int render_gpu(FILE *f, const struct view *w)
{
	unsigned int *order = NULL, cap = 0;

	for (int c = 0; c < CGS_NR_GPU_CTR; c++) {
		const struct cgs_metric *m = &cgs_gpu_ctr_info[c];

		family(f, m->family, kind_name(m), m->help);
		for (size_t i = 0; i < w->n; i++) {
			const struct cgs_cgroup *cg = &w->in->cg[w->idx[i]];

			if (cg->nr_gpu > cap) {
				unsigned int *o = realloc(order, cg->nr_gpu *
							  sizeof(*o));

				if (!o) {
					free(order);
					return -ENOMEM;
				}
				order = o;
				cap = cg->nr_gpu;
			}
			for (unsigned int g = 0; g < cg->nr_gpu; g++)
				order[g] = g;
			if (cg->nr_gpu)
				qsort_r(order, cg->nr_gpu, sizeof(*order),
					cmp_gpu, cg->gpu);
			for (unsigned int g = 0; g < cg->nr_gpu; g++) {
				const struct cgs_gpu *d = &cg->gpu[order[g]];

				if (!(d->present & CGS_BIT(c)))
					continue;
				labels(f, m->family, w->lbl[i], "dev", d->dev);
				put_value(f, m, d->ctr[c]);
			}
		}
	}
	free(order);
	return 0;
}

static void render_limits(FILE *f, const struct view *w)
{
	double v;

	for (size_t k = 0; k < sizeof(limit_fams) / sizeof(limit_fams[0]); k++) {
		family(f, limit_fams[k].name, "gauge", limit_fams[k].help);
		if (!w->in->limits)
			continue;
		for (size_t i = 0; i < w->n; i++) {
			if (!limit_value(&w->in->limits[w->idx[i]],
					 limit_fams[k].item, &v))
				continue;
			labels(f, limit_fams[k].name, w->lbl[i], NULL, NULL);
			put_num(f, v);
			fputc('\n', f);
		}
	}
}

/*
 * The limits the controller plans: the value (cpu.max in CPUs; "max"
 * absent), and whether it writes it or only observes (a kubelet's
 * cgroup, or a file someone else wrote since it did).
 */
static void render_planned(FILE *f, const struct export_input *in,
			   const size_t *idx, size_t n, char **tset)
{
	family(f, "cgshare_planned_limit", "gauge",
	       "Limit the controller plans for the cgroup, by file: cpu.max in "
	       "CPUs, cpu.weight, bytes; absent when max.");
	for (size_t i = 0; i < n && tset[i]; i++) {
		const struct export_target *t = &in->targets[idx[i]];

		for (int l = 0; l < CGS_NR_LIM; l++)
			if ((t->planned & CGS_BIT(l)) && !isinf(t->limit[l])) {
				labels(f, "cgshare_planned_limit", tset[i],
				       "file", cgs_limit_file[l]);
				put_num(f, t->limit[l]);
				fputc('\n', f);
			}
	}
	family(f, "cgshare_planned_limit_written", "gauge",
	       "1 when the controller writes the planned limit, 0 when it only "
	       "observes it (a kubelet's cgroup, or someone else wrote it).");
	for (size_t i = 0; i < n && tset[i]; i++) {
		const struct export_target *t = &in->targets[idx[i]];

		for (int l = 0; l < CGS_NR_LIM; l++)
			if (t->planned & CGS_BIT(l)) {
				labels(f, "cgshare_planned_limit_written",
				       tset[i], "file", cgs_limit_file[l]);
				fputs(t->written & CGS_BIT(l) ? "1\n" : "0\n", f);
			}
	}
}

static int render_targets(FILE *f, const struct export_input *in)
{
	size_t *idx, n;
	char **tset;
	int ret = 0;

	family(f, "cgshare_share", "gauge",
	       "Share the controller set for the cgroup: cpu in CPUs, "
	       "memory in bytes, gpu in devices.");
	idx = sorted(in->nr_targets, cmp_target, target_path, in->targets, &n);
	tset = calloc(n ? n : 1, sizeof(*tset));
	if (!idx || !tset) {
		free(idx);
		free(tset);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct export_target *t = &in->targets[idx[i]];
		char *set = label_set(t->path);

		if (!set) {
			ret = -ENOMEM;
			break;
		}
		for (size_t r = 0; r < sizeof(res_order) / sizeof(res_order[0]); r++) {
			enum cgs_res res = res_order[r];

			if (!(t->present & CGS_BIT(res)))
				continue;
			labels(f, "cgshare_share", set, "resource",
			       cgs_res_name(res));
			put_num(f, t->share[res]);
			fputc('\n', f);
		}
		tset[i] = set;
	}
	if (!ret)
		render_planned(f, in, idx, n, tset);
	for (size_t i = 0; i < n; i++)
		free(tset[i]);
	free(tset);
	free(idx);
	return ret;
}

/* Which scheduler runs the tasks, and whether it obeys the CPU knobs. */
static void render_scheduler(FILE *f, const struct export_input *in)
{
	family(f, "cgshare_scheduler_info", "gauge",
	       "The CPU scheduler in charge: fair, or sched_ext:NAME.");
	if (in->scheduler) {
		fputs("cgshare_scheduler_info{scheduler=\"", f);
		export_escape(f, in->scheduler);
		fputs("\"} 1\n", f);
	}
	family(f, "cgshare_cpu_control_honoured", "gauge",
	       "1 when the scheduler was measured to obey the knob, 0 when it "
	       "ignores it; absent while not measured (run --listen only).");
	for (int l = 0; in->control && in->control->set && l < CGS_NR_LIM; l++)
		if (in->control->honoured[l] >= 0)
			fprintf(f, "cgshare_cpu_control_honoured{knob=\"%s\"} "
				"%d\n", cgs_limit_file[l], in->control->honoured[l]);
}

/*
 * Whether the controller is alive: alerts compare the two. Declared
 * always; samples only from run --listen.
 */
static void render_controller(FILE *f, const struct export_control *c)
{
	bool run = c && c->set;

	family(f, "cgshare_controller_interval_seconds", "gauge",
	       "The controller's configured interval between rounds "
	       "(run --listen only).");
	if (run) {
		fputs("cgshare_controller_interval_seconds ", f);
		put_num(f, c->interval_s);
		fputc('\n', f);
	}
	family(f, "cgshare_controller_last_round_timestamp_seconds", "gauge",
	       "Unix time the controller last finished a round (run --listen "
	       "only; absent before the first).");
	if (run && c->last_round_s > 0) {
		fputs("cgshare_controller_last_round_timestamp_seconds ", f);
		put_num(f, c->last_round_s);
		fputc('\n', f);
	}
}

int export_render(FILE *f, const struct export_input *in)
{
	struct view w = { .in = in };
	int ret;

	w.idx = sorted(in->n, cmp_rec, rec_path, in, &w.n);
	w.lbl = calloc(w.n ? w.n : 1, sizeof(*w.lbl));
	ret = w.idx && w.lbl ? 0 : -ENOMEM;
	for (size_t i = 0; !ret && i < w.n; i++) {
		w.lbl[i] = label_set(path_of(&in->cg[w.idx[i]]));
		if (!w.lbl[i])
			ret = -ENOMEM;
	}
	if (!ret) {
		family(f, "cgshare_cgroups", "gauge",
		       "Cgroups in the ledger, as seen by this exporter.");
		fprintf(f, "cgshare_cgroups %zu\n", w.n);
		render_cgroups(f, &w);
		ret = render_gpu(f, &w);
	}
	if (!ret) {
		render_limits(f, &w);
		ret = render_targets(f, in);
	}
	if (!ret) {
		render_scheduler(f, in);
		render_controller(f, in->control);
	}
	for (size_t i = 0; w.lbl && i < w.n; i++)
		free(w.lbl[i]);
	free(w.lbl);
	free(w.idx);
	if (!ret && (fflush(f) || ferror(f)))
		ret = -EIO;
	return ret;
}

/* -- one scrape -- */

int export_scrape(struct cgs_nl *nl, const struct cgfs *fs,
		  const struct export_target *targets, size_t nr_targets,
		  const struct export_control *control, char **text,
		  size_t *len)
{
	struct export_input in = { .targets = targets,
				   .nr_targets = nr_targets,
				   .control = control };
	struct cgfs_sched sched;
	char sched_name[80];
	struct cgs_list l = { 0 };
	struct cgfs_snap *lim;
	size_t j = 0;
	FILE *f;
	int ret;

	*text = NULL;
	*len = 0;
	ret = cgs_nl_cgroup_dump_list(nl, NULL, &l);
	if (ret) {
		cgs_list_free(&l);
		return ret;
	}
	lim = calloc(l.n ? l.n : 1, sizeof(*lim));
	if (!lim) {
		cgs_list_free(&l);
		return -ENOMEM;
	}
	/* A cgroup removed since the dump is left out, not an error. */
	for (size_t i = 0; i < l.n; i++) {
		if (fs && l.v[i].path &&
		    cgfs_snapshot_at(fs, l.v[i].path, EXPORT_LIMIT_ITEMS,
				     &lim[j]) == -ENOENT) {
			cgs_cgroup_free(&l.v[i]);
			continue;
		}
		l.v[j++] = l.v[i];
	}
	l.n = j;
	cgfs_sched("/sys", &sched);
	in.scheduler = cgfs_sched_name(&sched, sched_name, sizeof(sched_name));
	in.cg = l.v;
	in.limits = fs ? lim : NULL;
	in.n = l.n;
	f = open_memstream(text, len);
	if (!f) {
		ret = -ENOMEM;
	} else {
		ret = export_render(f, &in);
		if (fclose(f) && !ret)
			ret = -ENOMEM;
		if (ret) {
			free(*text);
			*text = NULL;
		}
	}
	free(lim);
	cgs_list_free(&l);
	return ret;
}
