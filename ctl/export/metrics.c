// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exporter's content: the text exposition renderer
 * (format 0.0.4) and one scrape. The server is in http.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/export.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "ledger/ledger.h"
#include "cgroupfs/sched.h"
#include "model/k8s.h"
#include "model/limits.h"

/* -- rendering -- */

/* Integers as integers, others in the fewest digits that read back exactly. */
static void put_num(struct cgs_buf *f, double v)
{
	char buf[40];

	if (isnan(v)) {
		cgs_buf_str(f, "NaN");
		return;
	}
	if (isinf(v)) {
		cgs_buf_str(f, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* Below 2^53 every integer is exact: no exponent for byte counts. */
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    v == (double)(int64_t)v) {
		if (v < 0) {
			cgs_buf_ch(f, '-');
			v = -v;
		}
		cgs_buf_u64(f, v);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	cgs_buf_str(f, buf);
}

/* Bytes a label value holds as they are: ASCII but \\, " and newline. */
static const bool plain[256] = {
	[0x00 ... '\n' - 1] = true,
	['\n' + 1 ... '"' - 1] = true,
	['"' + 1 ... '\\' - 1] = true,
	['\\' + 1 ... 0x7f] = true,
};

/* A label value: \\, \" and \n escaped, bad UTF-8 as U+FFFD. */
static void escape(struct cgs_buf *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;

	while (left) {
		/* plain ASCII, the common case, a run at a time */
		for (n = 0; n < left && plain[p[n]]; n++)
			;
		if (n) {
			cgs_buf_put(f, p, n);
		} else if (*p == '\\') {
			cgs_buf_lit(f, "\\\\");
			n = 1;
		} else if (*p == '"') {
			cgs_buf_lit(f, "\\\"");
			n = 1;
		} else if (*p == '\n') {
			cgs_buf_lit(f, "\\n");
			n = 1;
		} else {
			n = cgs_utf8_seq(p, left);
			if (n) {
				cgs_buf_put(f, p, n);
			} else {
				cgs_buf_lit(f, "\xef\xbf\xbd");
				n = 1;
			}
		}
		p += n;
		left -= n;
	}
}

void export_escape(FILE *f, const char *s)
{
	static struct cgs_buf b;

	cgs_buf_init(&b, f);
	escape(&b, s);
	cgs_buf_flush(&b);
}

static void family(struct cgs_buf *f, const char *name, const char *type,
		   const char *help)
{
	cgs_buf_lit(f, "# HELP ");
	cgs_buf_str(f, name);
	cgs_buf_ch(f, ' ');
	cgs_buf_str(f, help);
	cgs_buf_lit(f, "\n# TYPE ");
	cgs_buf_str(f, name);
	cgs_buf_ch(f, ' ');
	cgs_buf_str(f, type);
	cgs_buf_ch(f, '\n');
}

/*
 * The label sets of a scrape, escaped once and printed with each of a
 * cgroup's samples: cgroup="PATH", and for the kubelet's and the
 * runtimes' cgroups qos_class, pod_uid and container_id (model/k8s.h).
 * All of them in one buffer.
 */
struct labels {
	char *text;
	size_t len;
	size_t *at;		/* n + 1 offsets: set i is [at[i], at[i + 1]) */
};

static void label_set(struct cgs_buf *b, const char *path)
{
	struct cgs_k8s k;
	const char *q;

	cgs_buf_lit(b, "cgroup=\"");
	escape(b, path);
	cgs_buf_ch(b, '"');
	if (!cgs_k8s_parse(path, &k))
		return;
	q = cgs_qos_name(k.qos);
	if (q) {
		cgs_buf_lit(b, ",qos_class=\"");
		cgs_buf_str(b, q);
		cgs_buf_ch(b, '"');
	}
	if (k.pod_uid[0]) {
		cgs_buf_lit(b, ",pod_uid=\"");
		cgs_buf_str(b, k.pod_uid);
		cgs_buf_ch(b, '"');
	}
	if (k.container_id[0]) {
		cgs_buf_lit(b, ",container_id=\"");
		cgs_buf_str(b, k.container_id);
		cgs_buf_ch(b, '"');
	}
}

#define LABEL_SLACK	64

/* The label sets of the @n paths @path(i, @arg). 0 or -ENOMEM. */
static int make_labels(struct labels *l, size_t n,
		       const char *(*path)(size_t i, const void *arg),
		       const void *arg)
{
	struct cgs_buf *b = malloc(sizeof(*b));
	int ret = -ENOMEM;
	char *p;

	memset(l, 0, sizeof(*l));
	l->at = malloc((n + 1) * sizeof(*l->at));
	if (b && l->at) {
		cgs_buf_init_mem(b);
		for (size_t i = 0; i < n; i++) {
			l->at[i] = cgs_buf_pos(b);
			label_set(b, path(i, arg));
		}
		l->at[n] = cgs_buf_pos(b);
		/* readable past the last set: put_prefix() copies in blocks */
		p = cgs_buf_room(b, LABEL_SLACK);
		if (p) {
			memset(p, 0, LABEL_SLACK);
			b->len += LABEL_SLACK;
		}
		ret = cgs_buf_take(b, &l->text, &l->len);
	}
	free(b);
	return ret;
}

static void free_labels(struct labels *l)
{
	free(l->text);
	free(l->at);
}

/* A family's name and its length, for labels(). */
#define NAME(s)		s, sizeof(s) - 1

/*
 * name{LABELS of sample @i at @p, which has room for LABEL_SLACK bytes
 * more than it writes; where it ends. A label set up to LABEL_SLACK bytes
 * long (a cgroup's, unless it is a pod's container) is copied in one
 * block of that size, which the compiler inlines, past its end: the
 * slack after the last set is there for that (make_labels()). Some 25
 * times per cgroup: 1.4 % of the rendering of 10,000 cgroups (callgrind).
 */
static char *put_prefix(char *p, const char *name, size_t namelen,
			const struct labels *l, size_t i)
{
	size_t n = l->at[i + 1] - l->at[i];

	memcpy(p, name, namelen);
	p += namelen;
	*p++ = '{';
	if (n <= LABEL_SLACK)
		memcpy(p, l->text + l->at[i], LABEL_SLACK);
	else
		memcpy(p, l->text + l->at[i], n);
	return p + n;
}

/* Starts sample @i of family @name: name{LABELS[,key="val"]} then ' '. */
static void labels(struct cgs_buf *f, const char *name, size_t namelen,
		   const struct labels *l, size_t i, const char *key,
		   const char *val)
{
	size_t n = l->at[i + 1] - l->at[i];
	char *p = cgs_buf_room(f, namelen + n + 1 + LABEL_SLACK);

	if (!p)
		return;
	f->len += put_prefix(p, name, namelen, l, i) - p;
	if (key) {
		cgs_buf_ch(f, ',');
		cgs_buf_str(f, key);
		cgs_buf_lit(f, "=\"");
		escape(f, val);
		cgs_buf_ch(f, '"');
	}
	cgs_buf_lit(f, "} ");
}

struct view {
	const struct export_input *in;
	size_t *idx;		/* records to show, sorted by path */
	struct labels lbl;	/* their label sets, in that order */
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

/* Resources in label order. */
static const enum cgs_res res_order[] = { CGS_CPU, CGS_GPU, CGS_MEM };

/* A value in the family's unit: time in seconds, exactly. */
/* @v in @m's unit at @p, which has room for CGS_FMT_SECS; where it ends. */
static char *fmt_value(char *p, const struct cgs_metric *m, uint64_t v)
{
	switch (m->unit) {
	case CGS_UNIT_NS:
		return p + cgs_fmt_secs(p, v);
	case CGS_UNIT_US:
		return p + cgs_fmt_secs(p, v * 1000);
	default:
		return p + cgs_fmt_u64(p, v);
	}
}

static void put_value(struct cgs_buf *f, const struct cgs_metric *m, uint64_t v)
{
	char *p = cgs_buf_room(f, CGS_FMT_SECS + 1);

	if (!p)
		return;
	p = fmt_value(p, m, v);
	*p++ = '\n';
	f->len = p - f->p;
}

/*
 * Sample @i of a cgroup-level family, whole: name{LABELS[,label="value"]}
 * then the value and a newline, in one reservation, as it is written some
 * thirty times per cgroup. The spec's label names and values need no
 * escaping (model/tests/attrs_test checks them).
 */
static void sample(struct cgs_buf *f, const char *name, size_t namelen,
		   const struct labels *l, size_t i, const struct cgs_metric *m,
		   uint64_t v)
{
	size_t n = l->at[i + 1] - l->at[i], kl = 0, vl = 0;
	char *p, *start;

	if (m->label) {
		kl = strlen(m->label);
		vl = strlen(m->label_value);
	}
	p = cgs_buf_room(f, namelen + n + kl + vl + 6 + CGS_FMT_SECS + 1 +
			 LABEL_SLACK);
	if (!p)
		return;
	start = p;
	p = put_prefix(p, name, namelen, l, i);
	if (kl) {
		*p++ = ',';
		memcpy(p, m->label, kl);
		p += kl;
		*p++ = '=';
		*p++ = '"';
		memcpy(p, m->label_value, vl);
		p += vl;
		*p++ = '"';
	}
	*p++ = '}';
	*p++ = ' ';
	p = fmt_value(p, m, v);
	*p++ = '\n';
	f->len += p - start;
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
static void render_cgroups(struct cgs_buf *f, const struct view *w)
{
	size_t idx[CGS_NR_CTR], k;

	for (size_t first = 0; first < CGS_NR_CTR; first += k) {
		const struct cgs_metric *m0 = &cgs_ctr_info[first];
		size_t namelen = strlen(m0->family);

		k = family_members(cgs_ctr_info, CGS_NR_CTR, first, idx);
		family(f, m0->family, kind_name(m0), m0->help);
		for (size_t i = 0; i < w->n; i++) {
			const struct cgs_cgroup *cg = &w->in->cg[w->idx[i]];

			for (size_t j = 0; j < k; j++) {
				const struct cgs_metric *m = &cgs_ctr_info[idx[j]];

				if (!cgs_has_ctr(cg, idx[j]) ||
				    (m->max_is_unlimited &&
				     cg->ctr[idx[j]] == CGS_LIMIT_MAX))
					continue;
				sample(f, m->family, namelen, &w->lbl, i, m,
				       cg->ctr[idx[j]]);
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
static int render_gpu(struct cgs_buf *f, const struct view *w)
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
				labels(f, m->family, strlen(m->family), &w->lbl,
				       i, "dev", d->dev);
				put_value(f, m, d->ctr[c]);
			}
		}
	}
	free(order);
	return 0;
}

/* cpu.max in CPUs, derived from its quota and period; absent for max. */
static void render_cpu_max(struct cgs_buf *f, const struct view *w)
{
	family(f, "cgshare_cpu_max_cpus", "gauge",
	       "CPU bandwidth limit of cpu.max in CPUs, its quota over its "
	       "period; absent when max.");
	for (size_t i = 0; i < w->n; i++) {
		double cpus;

		if (!cgs_cgroup_cpu_max(&w->in->cg[w->idx[i]], &cpus) ||
		    isinf(cpus))
			continue;
		labels(f, NAME("cgshare_cpu_max_cpus"), &w->lbl, i, NULL, NULL);
		put_num(f, cpus);
		cgs_buf_ch(f, '\n');
	}
}

/*
 * The limits the controller plans: the value (cpu.max in CPUs; "max"
 * absent), and whether it writes it or only observes (a kubelet's
 * cgroup, or a file someone else wrote since it did).
 */
static void render_planned(struct cgs_buf *f, const struct export_input *in,
			   const size_t *idx, size_t n, const struct labels *tset)
{
	family(f, "cgshare_planned_limit", "gauge",
	       "Limit the controller plans for the cgroup, by file: cpu.max in "
	       "CPUs, cpu.weight, bytes; absent when max.");
	for (size_t i = 0; i < n; i++) {
		const struct export_target *t = &in->targets[idx[i]];

		for (int l = 0; l < CGS_NR_LIM; l++)
			if ((t->planned & CGS_BIT(l)) && !isinf(t->limit[l])) {
				labels(f, NAME("cgshare_planned_limit"), tset, i,
				       "file", cgs_limit_file[l]);
				put_num(f, t->limit[l]);
				cgs_buf_ch(f, '\n');
			}
	}
	family(f, "cgshare_planned_limit_written", "gauge",
	       "1 when the controller writes the planned limit, 0 when it only "
	       "observes it (a kubelet's cgroup, or someone else wrote it).");
	for (size_t i = 0; i < n; i++) {
		const struct export_target *t = &in->targets[idx[i]];

		for (int l = 0; l < CGS_NR_LIM; l++)
			if (t->planned & CGS_BIT(l)) {
				labels(f, NAME("cgshare_planned_limit_written"),
				       tset, i, "file", cgs_limit_file[l]);
				cgs_buf_put(f, t->written & CGS_BIT(l) ?
					    "1\n" : "0\n", 2);
			}
	}
}

struct sorted_targets {
	const struct export_target *t;
	const size_t *idx;
};

static const char *sorted_target_path(size_t i, const void *arg)
{
	const struct sorted_targets *s = arg;

	return s->t[s->idx[i]].path;
}

static int render_targets(struct cgs_buf *f, const struct export_input *in)
{
	struct sorted_targets st = { .t = in->targets };
	struct labels tset;
	size_t *idx, n;
	int ret;

	family(f, "cgshare_share", "gauge",
	       "Share the controller set for the cgroup: cpu in CPUs, "
	       "memory in bytes, gpu in devices.");
	idx = sorted(in->nr_targets, cmp_target, target_path, in->targets, &n);
	if (!idx)
		return -ENOMEM;
	st.idx = idx;
	ret = make_labels(&tset, n, sorted_target_path, &st);
	for (size_t i = 0; !ret && i < n; i++) {
		const struct export_target *t = &in->targets[idx[i]];

		for (size_t r = 0; r < sizeof(res_order) / sizeof(res_order[0]); r++) {
			enum cgs_res res = res_order[r];

			if (!(t->present & CGS_BIT(res)))
				continue;
			labels(f, NAME("cgshare_share"), &tset, i, "resource",
			       cgs_res_name(res));
			put_num(f, t->share[res]);
			cgs_buf_ch(f, '\n');
		}
	}
	if (!ret)
		render_planned(f, in, idx, n, &tset);
	free_labels(&tset);
	free(idx);
	return ret;
}

/* Which scheduler runs the tasks, and whether it obeys the CPU knobs. */
static void render_scheduler(struct cgs_buf *f, const struct export_input *in)
{
	family(f, "cgshare_scheduler_info", "gauge",
	       "The CPU scheduler in charge: fair, or sched_ext:NAME.");
	if (in->scheduler) {
		cgs_buf_str(f, "cgshare_scheduler_info{scheduler=\"");
		escape(f, in->scheduler);
		cgs_buf_str(f, "\"} 1\n");
	}
	family(f, "cgshare_cpu_control_honoured", "gauge",
	       "1 when the scheduler was measured to obey the knob, 0 when it "
	       "ignores it; absent while not measured (run --listen only).");
	for (int l = 0; in->control && in->control->set && l < CGS_NR_LIM; l++)
		if (in->control->honoured[l] >= 0) {
			cgs_buf_str(f, "cgshare_cpu_control_honoured{knob=\"");
			cgs_buf_str(f, cgs_limit_file[l]);
			cgs_buf_lit(f, "\"} ");
			put_num(f, in->control->honoured[l]);
			cgs_buf_ch(f, '\n');
		}
}

/*
 * Whether the controller is alive: alerts compare the two. Declared
 * always; samples only from run --listen.
 */
static void render_controller(struct cgs_buf *f, const struct export_control *c)
{
	bool run = c && c->set;

	family(f, "cgshare_controller_interval_seconds", "gauge",
	       "The controller's configured interval between rounds "
	       "(run --listen only).");
	if (run) {
		cgs_buf_str(f, "cgshare_controller_interval_seconds ");
		put_num(f, c->interval_s);
		cgs_buf_ch(f, '\n');
	}
	family(f, "cgshare_controller_last_round_timestamp_seconds", "gauge",
	       "Unix time the controller last finished a round (run --listen "
	       "only; absent before the first).");
	if (run && c->last_round_s > 0) {
		cgs_buf_str(f, "cgshare_controller_last_round_timestamp_seconds ");
		put_num(f, c->last_round_s);
		cgs_buf_ch(f, '\n');
	}
}

static const char *shown_path(size_t i, const void *arg)
{
	const struct view *w = arg;

	return path_of(&w->in->cg[w->idx[i]]);
}

/* The whole text into @f; false when it could not be had. */
static bool render(struct cgs_buf *f, const struct export_input *in)
{
	struct view w = { .in = in };
	int ret;

	w.idx = sorted(in->n, cmp_rec, rec_path, in, &w.n);
	ret = w.idx ? make_labels(&w.lbl, w.n, shown_path, &w) : -ENOMEM;
	if (!ret) {
		family(f, "cgshare_cgroups", "gauge",
		       "Cgroups in the ledger, as seen by this exporter.");
		cgs_buf_str(f, "cgshare_cgroups ");
		cgs_buf_u64(f, w.n);
		cgs_buf_ch(f, '\n');
		render_cgroups(f, &w);
		ret = render_gpu(f, &w);
	}
	if (!ret) {
		render_cpu_max(f, &w);
		ret = render_targets(f, in);
	}
	if (!ret) {
		render_scheduler(f, in);
		render_controller(f, in->control);
	}
	if (w.idx)
		free_labels(&w.lbl);
	free(w.idx);
	return !ret;
}

int export_render(FILE *out, const struct export_input *in)
{
	struct cgs_buf *f = malloc(sizeof(*f));
	int ret = -ENOMEM;

	if (f) {
		cgs_buf_init(f, out);
		if (render(f, in))
			ret = cgs_buf_flush(f) ? 0 : -EIO;
		free(f);
	}
	if (!ret && (fflush(out) || ferror(out)))
		ret = -EIO;
	return ret;
}

/* -- one scrape -- */

int export_scrape_stream(struct cgs_nl *nl, struct cgs_iter *it,
			 const struct export_target *targets, size_t nr_targets,
			 const struct export_control *control,
			 bool (*begin)(void *arg), cgs_buf_sink *sink, void *arg,
			 size_t *bytes)
{
	struct export_input in = { .targets = targets,
				   .nr_targets = nr_targets,
				   .control = control };
	struct cgfs_sched sched;
	char sched_name[80];
	struct cgs_list l = { 0 };
	struct cgs_buf *f = NULL;
	int ret;

	*bytes = 0;
	ret = cgs_sample(nl, it, NULL, &l);
	if (!ret) {
		f = malloc(sizeof(*f));
		if (!f)
			ret = -ENOMEM;
	}
	if (ret || (begin && !begin(arg)))
		goto out;
	cgfs_sched("/sys", &sched);
	in.scheduler = cgfs_sched_name(&sched, sched_name, sizeof(sched_name));
	in.cg = l.v;
	in.n = l.n;
	cgs_buf_init_sink(f, sink, arg);
	if (!render(f, &in))
		ret = -ENOMEM;
	else if (!cgs_buf_flush(f))
		ret = -EPIPE;
	*bytes = cgs_buf_pos(f);
out:
	free(f);
	cgs_list_free(&l);
	return ret;
}

/* export_scrape's sink: the text grows in a buffer in memory. */
static bool to_memory(void *arg, const char *p, size_t n)
{
	struct cgs_buf *m = arg;

	cgs_buf_put(m, p, n);
	return !m->error;	/* out of memory: no use making the rest */
}

int export_scrape(struct cgs_nl *nl, struct cgs_iter *it,
		  const struct export_target *targets, size_t nr_targets,
		  const struct export_control *control, char **text,
		  size_t *len)
{
	struct cgs_buf *m = malloc(sizeof(*m));
	size_t bytes;
	int ret;

	*text = NULL;
	*len = 0;
	if (!m)
		return -ENOMEM;
	cgs_buf_init_mem(m);
	ret = export_scrape_stream(nl, it, targets, nr_targets, control, NULL,
				   to_memory, m, &bytes);
	if (cgs_buf_take(m, text, len))
		ret = -ENOMEM;	/* the memory buffer's, also behind -EPIPE */
	if (ret) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	free(m);
	return ret;
}
