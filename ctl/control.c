// SPDX-License-Identifier: GPL-2.0
/*
 * The controller: plan, apply and run. A round samples the ledger, turns
 * two samples into demand, solves the shares (share.c) and, when it acts,
 * turns shares into cgroup v2 limits (cgfs.c) and writes what changed.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cgfs.h"
#include "control.h"
#include "export.h"
#include "main.h"
#include "notify.h"
#include "out.h"
#include "rate.h"

/* Limits are written per file; these are the ones the controller owns. */
enum lim {
	LIM_CPU_MAX,
	LIM_CPU_WEIGHT,
	LIM_MEM_HIGH,
	LIM_MEM_MAX,
	LIM_MEM_LOW,
	LIM_DMEM_MAX,
	NR_LIM
};

static const char *const lim_file[NR_LIM] = {
	"cpu.max", "cpu.weight", "memory.high", "memory.max", "memory.low",
	"dmem.max",
};

struct mcg {				/* one managed cgroup */
	char *path;
	uint64_t id;			/* 0 until seen in the ledger */
	int line;			/* config line, 0 for a parent's child */
	double weight;
	double min[CGS_NR_RES], max[CGS_NR_RES];
	uint64_t gpu_mem_max;
	bool present;			/* in the latest sample */
	bool fs_open;
	struct cgfs_cg fs;
	struct cgs_demand_hist hist;
	struct cgs_demand_raw raw;
	bool has_rate;			/* raw is from the latest interval */
	uint64_t throttled;		/* cpu.stat nr_throttled; -1 unknown */
	double cpu_limit, mem_limit;	/* as read at the latest sample */
	double applied[CGS_NR_RES];	/* last target acted on, NAN */
	int sparent;			/* share parent's index in ctl.cg */
	double level[CGS_NR_RES];	/* siblings' water level per weight */
	struct cgs_round_cg out;
	bool want[NR_LIM];
	char value[NR_LIM][96];		/* computed limit values */
};

struct ctl {
	struct cgs_conf conf;
	struct cgfs fs;
	struct cgs_nl *nl;
	struct mcg *cg;
	size_t n;
	struct cgs_list prev, cur;
	uint64_t t_prev, t_cur;
	double capacity[CGS_NR_RES];
	bool dry_run, quiet_log, restore;
	bool said_dmem;
	unsigned int changes, errors;
	struct cgs_round_cg *round_cg;
};

static struct {
	cgs_round_hook fn;
	void *arg;
	struct { int fd; cgs_fd_ready fn; void *arg; } fd[8];
	int nr_fd;
} ext;

void cgs_run_set_hook(cgs_round_hook fn, void *arg)
{
	ext.fn = fn;
	ext.arg = arg;
}

int cgs_run_watch_fd(int fd, cgs_fd_ready fn, void *arg)
{
	if (ext.nr_fd == 8)
		return -ENOSPC;
	ext.fd[ext.nr_fd].fd = fd;
	ext.fd[ext.nr_fd].fn = fn;
	ext.fd[ext.nr_fd].arg = arg;
	ext.nr_fd++;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("cgsharectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* -- the host -- */

static double host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

static double host_memory(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024.0;
}

/* GPU capacity by default: the devices the ledger has seen. */
static double ledger_gpus(const struct cgs_list *l)
{
	const char *seen[64];
	int n = 0;

	for (size_t i = 0; i < l->n; i++)
		for (unsigned int g = 0; g < l->v[i].nr_gpu; g++) {
			int k;

			for (k = 0; k < n; k++)
				if (!strcmp(seen[k], l->v[i].gpu[g].dev))
					break;
			if (k == n && n < 64)
				seen[n++] = l->v[i].gpu[g].dev;
		}
	return n;
}

/* -- the managed set -- */

static void mcg_free(struct mcg *m)
{
	if (m->fs_open)
		cgfs_cg_close(&m->fs);
	free(m->path);
}

static void mcg_init(struct mcg *m, char *path, int line, double weight)
{
	memset(m, 0, sizeof(*m));
	m->path = path;
	m->line = line;
	m->weight = weight;
	m->throttled = UINT64_MAX;
	for (int r = 0; r < CGS_NR_RES; r++) {
		m->max[r] = CGS_UNLIMITED;
		m->applied[r] = NAN;
	}
}

static const char *parent_of(const char *path, char *buf, size_t len)
{
	const char *s = strrchr(path, '/');

	if (!s || s == path)
		return "/";
	snprintf(buf, len, "%.*s", (int)(s - path), path);
	return buf;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct mcg *)a)->path,
		      ((const struct mcg *)b)->path);
}

static struct mcg *find_old(struct mcg *v, size_t n, const char *path)
{
	struct mcg key = { .path = (char *)path };

	return n ? bsearch(&key, v, n, sizeof(*v), by_path) : NULL;
}

static void restore_cb(const struct cgfs_cg *cg, const char *file,
		       const char *value, int err, void *arg)
{
	(void)arg;
	if (err)
		logmsg("%s: restoring %s to %s failed: %s", cg->path, file,
		       value, strerror(-err));
	else
		logmsg("%s: %s restored to %s", cg->path, file, value);
}

/*
 * The managed set from the config and the latest sample: every declared
 * cgroup, and every direct child of a "parent" line's path. State (demand
 * history, original limits) carries over by path.
 */
static int resolve(struct ctl *c)
{
	const struct cgs_conf *k = &c->conf;
	size_t cap = k->nr_cg + c->cur.n + 1, n = 0;
	struct mcg *v = calloc(cap, sizeof(*v));
	char buf[4096];

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < k->nr_cg; i++) {
		const struct cgs_conf_cgroup *d = &k->cg[i];
		char *p = strdup(d->path);

		if (!p)
			goto nomem;
		mcg_init(&v[n], p, d->line, d->weight);
		memcpy(v[n].min, d->min, sizeof(d->min));
		memcpy(v[n].max, d->max, sizeof(d->max));
		v[n++].gpu_mem_max = d->gpu_mem_max;
	}
	for (size_t i = 0; i < c->cur.n; i++) {
		const struct cgs_cgroup *r = &c->cur.v[i];

		if (!r->path || !strcmp(r->path, "/") ||
		    cgs_conf_find(k, r->path))
			continue;
		for (size_t j = 0; j < k->nr_parent; j++) {
			char *p;

			if (strcmp(parent_of(r->path, buf, sizeof(buf)),
				   k->parent[j].path))
				continue;
			p = strdup(r->path);
			if (!p)
				goto nomem;
			mcg_init(&v[n++], p, 0, k->parent[j].weight);
			break;
		}
	}
	qsort(v, n, sizeof(*v), by_path);
	/* Carry state over; restore what is no longer managed. */
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *o = &c->cg[i], *m = find_old(v, n, o->path);

		if (!m) {
			if (c->restore && o->fs_open && !c->dry_run)
				cgfs_restore(&o->fs, restore_cb, NULL);
			mcg_free(o);
			continue;
		}
		m->id = o->id;
		m->fs = o->fs;
		m->fs_open = o->fs_open;
		m->hist = o->hist;
		m->throttled = o->throttled;
		memcpy(m->applied, o->applied, sizeof(o->applied));
		free(o->path);
	}
	free(c->cg);
	c->cg = v;
	c->n = n;
	free(c->round_cg);
	c->round_cg = calloc(n + 1, sizeof(*c->round_cg));
	return c->round_cg ? 0 : -ENOMEM;
nomem:
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return -ENOMEM;
}

static const struct cgs_cgroup *find_rec(const struct cgs_list *l,
					 const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].path && !strcmp(l->v[i].path, path))
			return &l->v[i];
	return NULL;
}

static void forget(struct ctl *c, struct mcg *m, const char *why)
{
	if (m->id && !c->quiet_log)
		logmsg("%s: %s; no longer shared", m->path, why);
	if (m->fs_open)
		cgfs_cg_close(&m->fs);
	m->fs_open = false;
	m->id = 0;
	m->present = false;
	m->has_rate = false;
	memset(&m->hist, 0, sizeof(m->hist));
	for (int r = 0; r < CGS_NR_RES; r++)
		m->applied[r] = NAN;
}

/* cgroupfs readings demand needs, taken at every sample. */
static void read_extra(struct ctl *c, struct mcg *m, struct cgs_demand_extra *x)
{
	char buf[1024];
	uint64_t q, per, thr;

	(void)c;
	x->mem_psi_some10 = -1;
	x->cpu_throttled = -1;
	x->cpu_limit = x->mem_limit = INFINITY;
	if (cgfs_read(&m->fs, "cpu.stat", buf, sizeof(buf)) >= 0 &&
	    !cgfs_stat_get(buf, "nr_throttled", &thr)) {
		if (m->throttled != UINT64_MAX && thr >= m->throttled)
			x->cpu_throttled = thr - m->throttled;
		m->throttled = thr;
	}
	if (cgfs_read(&m->fs, "cpu.max", buf, sizeof(buf)) >= 0 &&
	    !cgfs_parse_cpu_max(buf, &q, &per) && q != CGFS_MAX)
		x->cpu_limit = (double)q / per;
	if (cgfs_read(&m->fs, "memory.high", buf, sizeof(buf)) >= 0 &&
	    !cgfs_parse_max(buf, &q) && q != CGFS_MAX)
		x->mem_limit = q;
	if (cgfs_read(&m->fs, "memory.pressure", buf, sizeof(buf)) >= 0)
		cgfs_psi_some_avg10(buf, &x->mem_psi_some10);
	m->cpu_limit = x->cpu_limit;
	m->mem_limit = x->mem_limit;
}

static const struct cgs_rate *find_rate(const struct cgs_rates *rs, uint64_t id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].now && rs->v[i].now->id == id)
			return &rs->v[i];
	return NULL;
}

/*
 * One sample: the ledger dump, the managed set, and for each managed
 * cgroup its demand over the interval since the previous sample.
 */
static int sample(struct ctl *c)
{
	struct cgs_rates rs = { 0 };
	int ret;

	cgs_list_free(&c->prev);
	c->prev = c->cur;
	c->t_prev = c->t_cur;
	memset(&c->cur, 0, sizeof(c->cur));
	ret = cgs_nl_cgroup_dump_list(c->nl, NULL, &c->cur);
	c->t_cur = now_ns();
	if (ret) {
		cgs_nl_perror(c->nl, "reading the ledger");
		return ret;
	}
	cgs_list_sort_by_id(&c->cur);
	ret = resolve(c);
	if (ret)
		return ret;
	if (c->prev.n && c->t_cur > c->t_prev) {
		ret = cgs_rates_compute(&c->prev, c->t_prev, &c->cur, c->t_cur,
					&rs);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];
		const struct cgs_cgroup *rec = find_rec(&c->cur, m->path);
		struct cgs_demand_extra x;
		const struct cgs_rate *r;

		m->has_rate = false;
		if (!rec) {
			forget(c, m, "cgroup vanished");
			continue;
		}
		if (m->id && m->id != rec->id)
			forget(c, m, "cgroup was recreated");
		if (!m->fs_open) {
			/* In the ledger but not under our root: not ours. */
			ret = cgfs_cg_open(&c->fs, m->path, &m->fs);
			if (ret) {
				forget(c, m, "cgroup vanished");
				continue;
			}
			m->fs_open = true;
		}
		m->id = rec->id;
		m->present = true;
		read_extra(c, m, &x);
		if (m->fs.gone) {
			forget(c, m, "cgroup vanished");
			continue;
		}
		r = rs.n ? find_rate(&rs, rec->id) : NULL;
		if (!r || cgs_demand_from_rate(r, &x, &m->raw))
			continue;
		m->has_rate = true;
		cgs_demand_push(&m->hist, &m->raw, c->conf.window);
	}
	cgs_rates_free(&rs);
	c->capacity[CGS_CPU] = c->conf.capacity_set[CGS_CPU] ?
		c->conf.capacity[CGS_CPU] : host_cpus();
	c->capacity[CGS_MEM] = c->conf.capacity_set[CGS_MEM] ?
		c->conf.capacity[CGS_MEM] : host_memory();
	c->capacity[CGS_GPU] = c->conf.capacity_set[CGS_GPU] ?
		c->conf.capacity[CGS_GPU] : ledger_gpus(&c->cur);
	return 0;
}

/* -- shares and limits -- */

static bool measured(const struct mcg *m)
{
	return m->present && m->hist.n;
}

static int solve(struct ctl *c)
{
	struct cgs_node *nodes = calloc(c->n + 1, sizeof(*nodes));
	int *idx = calloc(c->n + 1, sizeof(*idx));
	struct cgs_problem p = { .nodes = nodes };
	char err[256];
	int ret = 0;

	if (!nodes || !idx) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];
		struct cgs_node *nd;

		idx[i] = -1;
		if (!measured(m))
			continue;
		nd = &nodes[p.n];
		/* Sorted by path: the nearest managed ancestor came before. */
		nd->parent = -1;
		m->sparent = -1;
		for (size_t j = i; j-- > 0; ) {
			size_t l = strlen(c->cg[j].path);

			if (idx[j] >= 0 && !strncmp(m->path, c->cg[j].path, l) &&
			    m->path[l] == '/') {
				nd->parent = idx[j];
				m->sparent = j;
				break;
			}
		}
		nd->weight = m->weight;
		for (int r = 0; r < CGS_NR_RES; r++) {
			nd->min[r] = m->min[r];
			nd->max[r] = m->max[r];
			if (!cgs_demand_mean(&m->hist, r, c->conf.window,
					     &nd->demand[r]))
				nd->demand[r] = 0;
		}
		idx[i] = p.n++;
	}
	memcpy(p.capacity, c->capacity, sizeof(p.capacity));
	memcpy(p.policy, c->conf.policy, sizeof(p.policy));
	if (p.n && cgs_solve(&p, err, sizeof(err))) {
		logmsg("computing shares: %s", err);
		ret = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];
		struct cgs_round_cg *o = &m->out;

		memset(o, 0, sizeof(*o));
		o->path = m->path;
		o->id = m->id;
		o->weight = m->weight;
		o->cpu_quota_us = o->mem_high = UINT64_MAX;
		memcpy(o->min, m->min, sizeof(o->min));
		memcpy(o->max, m->max, sizeof(o->max));
		if (idx[i] < 0)
			continue;
		for (int r = 0; r < CGS_NR_RES; r++) {
			o->has[r] = m->hist.has[r];
			o->demand[r] = nodes[idx[i]].demand[r];
			o->share[r] = nodes[idx[i]].share[r];
			o->reason[r] = nodes[idx[i]].reason[r];
		}
	}
out:
	free(nodes);
	free(idx);
	return ret;
}

/* Got all it asked for: not held back by the share, whatever the reason. */
static bool satisfied(const struct cgs_round_cg *o, enum cgs_res r)
{
	return o->share[r] >= o->demand[r] * (1 - 1e-9);
}

/*
 * What nobody claimed, per resource: capacity minus the top-level shares.
 * A cgroup that got all it asked for may grow into its weighted part of
 * it before the next action, so limits of the unbottlenecked are not a
 * straitjacket at exactly their demand (which would throttle them, and
 * make them flap between demand and probe).
 */
static void unclaimed(struct ctl *c, double *left, double *wsum)
{
	for (int r = 0; r < CGS_NR_RES; r++) {
		left[r] = c->capacity[r];
		wsum[r] = 0;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];
		bool top = true;

		if (!measured(m))
			continue;
		for (size_t j = 0; j < i && top; j++) {
			size_t l = strlen(c->cg[j].path);

			if (measured(&c->cg[j]) &&
			    !strncmp(m->path, c->cg[j].path, l) &&
			    m->path[l] == '/')
				top = false;
		}
		if (!top)
			continue;
		for (int r = 0; r < CGS_NR_RES; r++) {
			left[r] -= m->out.share[r];
			if (satisfied(&m->out, r))
				wsum[r] += m->weight;
		}
	}
	for (int r = 0; r < CGS_NR_RES; r++)
		if (left[r] < 0)
			left[r] = 0;
	/*
	 * The water level among siblings: share per weight of the ones held
	 * back. A sibling that got all it asked for may grow up to the level
	 * (its fair share had it asked for more) before the next action;
	 * past it, it is throttled, its demand rises, and it is re-shared.
	 */
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];

		for (int r = 0; r < CGS_NR_RES; r++)
			m->level[r] = 0;
		if (!measured(m))
			continue;
		for (size_t j = 0; j < c->n; j++) {
			const struct mcg *s = &c->cg[j];

			if (!measured(s) || s->sparent != m->sparent)
				continue;
			for (int r = 0; r < CGS_NR_RES; r++)
				if (!satisfied(&s->out, r) && s->weight > 0 &&
				    s->out.share[r] / s->weight > m->level[r])
					m->level[r] = s->out.share[r] / s->weight;
		}
	}
}

static uint64_t usage_now(struct mcg *m)
{
	char buf[64];
	uint64_t v;

	if (cgfs_read(&m->fs, "memory.current", buf, sizeof(buf)) >= 0 &&
	    !cgfs_parse_max(buf, &v))
		return v;
	return m->raw.mem_current;
}

static void limits(struct ctl *c, struct mcg *m, const double *left,
		   const double *wsum)
{
	const struct cgs_conf *k = &c->conf;
	struct cgfs_mem_rules rules = {
		k->mem_floor, k->mem_headroom, k->mem_step, getpagesize(),
	};
	struct cgs_round_cg *o = &m->out;
	double t[CGS_NR_RES] = { 0 };
	bool sat[CGS_NR_RES] = { false };
	char num[32];

	memset(m->want, 0, sizeof(m->want));
	/*
	 * The target is the share plus, for a cgroup that got all it asked
	 * for, its part of what nobody claimed; hysteresis applies to that
	 * target, so a held value never turns a satisfied cgroup into a
	 * bottlenecked one.
	 */
	for (int r = 0; r < CGS_NR_RES; r++) {
		double abs_min = r == CGS_MEM ? (1 << 20) : 0.01;

		if (!o->has[r])
			continue;
		sat[r] = satisfied(o, r);
		t[r] = o->share[r];
		if (sat[r] && wsum[r] > 0)
			t[r] += left[r] * m->weight / wsum[r];
		if (sat[r] && t[r] < m->level[r] * m->weight)
			t[r] = m->level[r] * m->weight;
		t[r] = cgs_hysteresis(m->applied[r], t[r], k->hysteresis,
				      abs_min);
		m->applied[r] = t[r];
	}
	if (o->has[CGS_CPU] && (k->enforce_cpu & CGS_ENF_CPU_MAX)) {
		uint64_t q = cgfs_cpu_quota(t[CGS_CPU], k->cpu_period_us);

		cgfs_fmt_max(num, sizeof(num), q);
		snprintf(m->value[LIM_CPU_MAX], sizeof(m->value[0]), "%s %llu",
			 num, (unsigned long long)k->cpu_period_us);
		m->want[LIM_CPU_MAX] = true;
		o->cpu_quota_us = q;
	}
	if (k->enforce_cpu & CGS_ENF_CPU_WEIGHT) {
		snprintf(m->value[LIM_CPU_WEIGHT], sizeof(m->value[0]), "%llu",
			 (unsigned long long)cgfs_cpu_weight(m->weight));
		m->want[LIM_CPU_WEIGHT] = true;
	}
	if (o->has[CGS_MEM] && k->enforce_mem) {
		uint64_t usage = usage_now(m), old = CGFS_MAX, v;
		char buf[64];
		double high = t[CGS_MEM];

		if (sat[CGS_MEM])
			high += k->mem_headroom;
		if (cgfs_read(&m->fs, "memory.high", buf, sizeof(buf)) >= 0)
			cgfs_parse_max(buf, &old);
		if (k->enforce_mem & CGS_ENF_MEM_HIGH) {
			v = cgfs_mem_high(high, old, usage, &rules);
			cgfs_fmt_max(m->value[LIM_MEM_HIGH], sizeof(m->value[0]), v);
			m->want[LIM_MEM_HIGH] = true;
			o->mem_high = v;
		}
		if (k->enforce_mem & CGS_ENF_MEM_MAX) {
			v = cgfs_mem_max(high + k->mem_headroom, usage, &rules);
			cgfs_fmt_max(m->value[LIM_MEM_MAX], sizeof(m->value[0]), v);
			m->want[LIM_MEM_MAX] = true;
		}
		if (m->min[CGS_MEM] > 0) {
			v = ceil(m->min[CGS_MEM] / rules.page) * rules.page;
			cgfs_fmt_max(m->value[LIM_MEM_LOW], sizeof(m->value[0]), v);
			m->want[LIM_MEM_LOW] = true;
		}
	}
	if (m->gpu_mem_max && k->dmem_region) {
		if (cgfs_has_controller(&m->fs, "dmem")) {
			snprintf(m->value[LIM_DMEM_MAX], sizeof(m->value[0]),
				 "%s %llu", k->dmem_region,
				 (unsigned long long)m->gpu_mem_max);
			m->want[LIM_DMEM_MAX] = true;
		} else if (!c->said_dmem) {
			logmsg("GPU memory is not enforced: this kernel has no "
			       "dmem controller for %s (Linux 6.14 or later, "
			       "enabled in the parent's subtree_control)",
			       m->path);
			c->said_dmem = true;
		}
	}
}

/* Writes (or, dry, prints) each limit that changed. */
static void enforce(struct ctl *c, struct mcg *m, bool to_stdout)
{
	for (int l = 0; l < NR_LIM && !m->fs.gone; l++) {
		char old[512];
		int ret;

		if (!m->want[l])
			continue;
		ret = cgfs_set(&m->fs, lim_file[l], m->value[l],
			       l == LIM_DMEM_MAX ? CGFS_KEYED : 0, c->dry_run,
			       old, sizeof(old));
		if (ret == 0)
			continue;
		if (ret == -ENOENT) {
			forget(c, m, "cgroup vanished");
			return;
		}
		if (ret < 0) {
			c->errors++;
			logmsg("%s: writing %s \"%s\": %s%s", m->path,
			       lim_file[l], m->value[l], strerror(-ret),
			       ret == -EOPNOTSUPP ? " (is its controller enabled "
			       "in the parent's cgroup.subtree_control?)" : "");
			continue;
		}
		c->changes++;
		if (to_stdout) {
			out_obj_begin(NULL);
			out_str("path", "%s ", m->path);
			out_str("file", "%s: ", lim_file[l]);
			out_str("old", "%s -> ", old[0] ? old : "-");
			out_str("new", "%s", m->value[l]);
			out_bool("written", NULL, !c->dry_run);
			out_text("%s\n", c->dry_run ? " (dry run)" : "");
			out_obj_end();
		} else {
			logmsg("%s %s: %s -> %s", m->path, lim_file[l],
			       old[0] ? old : "-", m->value[l]);
		}
	}
}

static int act(struct ctl *c, bool write, bool to_stdout)
{
	double left[CGS_NR_RES], wsum[CGS_NR_RES];
	int ret = solve(c);

	if (ret)
		return ret;
	unclaimed(c, left, wsum);
	for (size_t i = 0; i < c->n; i++)
		if (measured(&c->cg[i]))
			limits(c, &c->cg[i], left, wsum);
	if (!write)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (measured(&c->cg[i]))
			enforce(c, &c->cg[i], to_stdout);
	return 0;
}

/* -- setup -- */

static int ctl_start(struct ctl *c)
{
	int ret = cgfs_open(&c->fs, c->conf.cgroup_root);

	if (ret) {
		logmsg("opening the cgroup root %s: %s", c->conf.cgroup_root,
		       strerror(-ret));
		return ret;
	}
	ret = open_nl(&c->nl);
	if (ret)
		cgfs_close(&c->fs);
	return ret;
}

static void ctl_stop(struct ctl *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->restore && c->cg[i].fs_open && !c->dry_run)
			cgfs_restore(&c->cg[i].fs, restore_cb, NULL);
		mcg_free(&c->cg[i]);
	}
	free(c->cg);
	free(c->round_cg);
	cgs_list_free(&c->prev);
	cgs_list_free(&c->cur);
	if (c->nl)
		cgs_nl_close(c->nl);
	cgfs_close(&c->fs);
	cgs_conf_free(&c->conf);
}

static int load(const char *file, struct cgs_conf *conf)
{
	char err[512];

	if (cgs_conf_load(file, conf, err, sizeof(err))) {
		logmsg("%s", err);
		return -1;
	}
	return 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { ns / 1000000000ull, ns % 1000000000ull };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* -- plan and apply -- */

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

static void explain(const struct ctl *c, const struct mcg *m, enum cgs_res r)
{
	const struct cgs_round_cg *o = &m->out;
	char a[32], b[32], d[32], s[32];

	out_text("  %-6s demand %s%s", cgs_res_name(r),
		 unit_fmt(r, o->demand[r], d, sizeof(d)), unit_words[r]);
	if (r == CGS_CPU && m->has_rate)
		out_text(" (usage %.2f + wait %.2f%s)", m->raw.cpu_usage,
			 m->raw.cpu_wait, m->raw.cpu_throttled ?
			 ", throttled: probing above its cpu.max" : "");
	if (r == CGS_MEM && m->has_rate && m->raw.mem_grow > 0)
		out_text(" (usage %s grown %.0f%% for %llu reclaim events, "
			 "PSI some %.1f%%)", unit_fmt(r, m->raw.mem_current, a,
						     sizeof(a)),
			 m->raw.mem_grow * 100,
			 (unsigned long long)m->raw.mem_reclaim, m->raw.mem_psi);
	out_text(", weight %g, guarantee %s, cap %s, policy %s\n",
		 m->weight, m->min[r] > 0 ? unit_fmt(r, m->min[r], a, sizeof(a))
		 : "none", isinf(m->max[r]) ? "none" :
		 unit_fmt(r, m->max[r], b, sizeof(b)),
		 cgs_policy_name(c->conf.policy[r]));
	out_text("         share %s%s of %s: %s%s\n",
		 unit_fmt(r, o->share[r], s, sizeof(s)), unit_words[r],
		 unit_fmt(r, c->capacity[r], a, sizeof(a)),
		 cgs_reason_explain(o->reason[r]),
		 r == CGS_GPU ? " (GPU time is reported, not enforced)" : "");
}

static void show_plan(const struct ctl *c, bool expl)
{
	char a[32], b[32];

	out_obj_begin(NULL);
	out_u64("interval_ns", NULL, c->t_cur - c->t_prev);
	out_text("capacity: cpu %s CPUs, ",
		 unit_fmt(CGS_CPU, c->capacity[CGS_CPU], a, sizeof(a)));
	out_text("memory %s, gpu %s\n",
		 unit_fmt(CGS_MEM, c->capacity[CGS_MEM], a, sizeof(a)),
		 unit_fmt(CGS_GPU, c->capacity[CGS_GPU], b, sizeof(b)));
	out_obj_begin("capacity");
	for (int r = 0; r < CGS_NR_RES; r++)
		out_dbl(cgs_res_name(r), NULL, 0, c->capacity[r]);
	out_obj_end();
	out_obj_begin("policy");
	for (int r = 0; r < CGS_NR_RES; r++)
		out_str(cgs_res_name(r), NULL, cgs_policy_name(c->conf.policy[r]));
	out_obj_end();
	if (!expl)
		out_text("%-20s %-6s %8s %8s %8s  %-12s %s\n", "CGROUP", "RES",
			 "DEMAND", "SHARE", "WEIGHT", "REASON", "LIMIT");
	out_arr_begin("cgroups");
	for (size_t i = 0; i < c->n; i++) {
		const struct mcg *m = &c->cg[i];
		const struct cgs_round_cg *o = &m->out;

		out_obj_begin(NULL);
		out_str("path", expl ? "%s\n" : NULL, m->path);
		out_u64("id", NULL, m->id);
		out_dbl("weight", NULL, 0, m->weight);
		if (!measured(m)) {
			const char *st = m->present ? "new" : "absent";

			if (!expl)
				out_text("%-20s", m->path);
			out_str("state", "  not measured yet (%s)\n", st);
			out_obj_end();
			continue;
		}
		out_obj_begin("resources");
		for (int r = 0; r < CGS_NR_RES; r++) {
			if (!o->has[r])
				continue;
			if (expl)
				explain(c, m, r);
			else
				out_text("%-20s %-6s %8s %8s %8g  %-12s ",
					 m->path, cgs_res_name(r),
					 unit_fmt(r, o->demand[r], a, sizeof(a)),
					 unit_fmt(r, o->share[r], b, sizeof(b)),
					 m->weight, cgs_reason_str(o->reason[r]));
			out_obj_begin(cgs_res_name(r));
			out_dbl("demand", NULL, 0, o->demand[r]);
			out_dbl("share", NULL, 0, o->share[r]);
			out_str("reason", NULL, cgs_reason_str(o->reason[r]));
			if (m->min[r] > 0)
				out_dbl("min", NULL, 0, m->min[r]);
			if (!isinf(m->max[r]))
				out_dbl("max", NULL, 0, m->max[r]);
			out_obj_end();
			if (!expl) {
				bool any = false;

				for (int l = 0; l < NR_LIM; l++) {
					bool mine = r == CGS_CPU ?
						l <= LIM_CPU_WEIGHT : r == CGS_MEM ?
						(l >= LIM_MEM_HIGH && l <= LIM_MEM_LOW) :
						l == LIM_DMEM_MAX;

					if (m->want[l] && mine) {
						out_text("%s%s %s", any ? ", " : "",
							 lim_file[l], m->value[l]);
						any = true;
					}
				}
				out_text("%s\n", any ? "" : r == CGS_GPU ?
					 "(reported only)" : "-");
			}
		}
		out_obj_end();
		out_obj_begin("limits");
		for (int l = 0; l < NR_LIM; l++)
			if (m->want[l]) {
				if (expl)
					out_text("  -> %s %s\n", lim_file[l],
						 m->value[l]);
				out_str(lim_file[l], NULL, m->value[l]);
			}
		out_obj_end();
		out_obj_end();
	}
	out_arr_end();
	out_obj_end();
}

struct once_args {
	const char *file;
	const char *listen;		/* run --listen ADDR:PORT */
	bool explain, dry_run, restore;
};

static int parse(const struct cmd *cmd, int argc, char **argv,
		 struct once_args *a)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "config", required_argument, NULL, 'c' },
		{ "explain", no_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "restore", no_argument, NULL, 'r' },
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, ":" COMMON_SHORTOPTS "c:enrl:",
				longopts, NULL)) != -1) {
		if (common_option(c))
			continue;
		switch (c) {
		case 'h':
			return -1;
		case 'c':
			a->file = optarg;
			break;
		case 'e':
			if (cmd != &cmd_plan)
				return option_error(cmd, '?', argv);
			a->explain = true;
			break;
		case 'n':
			if (cmd != &cmd_apply)
				return option_error(cmd, '?', argv);
			a->dry_run = true;
			break;
		case 'r':
			if (cmd != &cmd_run)
				return option_error(cmd, '?', argv);
			a->restore = true;
			break;
		case 'l': {
			struct sockaddr_storage sa;
			unsigned int len = sizeof(sa);

			if (cmd != &cmd_run)
				return option_error(cmd, '?', argv);
			if (export_parse_listen(optarg, &sa, &len))
				return usage_error(cmd, "bad listen address: %s "
						   "(want ADDR:PORT, e.g. "
						   "127.0.0.1:9858)", optarg);
			a->listen = optarg;
			break;
		}
		default:
			return option_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument: %s", argv[optind]);
	if (!a->file)
		return usage_error(cmd, "no configuration file (-c FILE)");
	return 0;
}

/* plan and apply: one pair of samples an interval apart, one action. */
static int once(const struct cmd *cmd, int argc, char **argv)
{
	struct once_args a = { 0 };
	struct ctl c = { 0 };
	bool write = cmd == &cmd_apply;
	int ret;

	ret = parse(cmd, argc, argv, &a);
	if (ret)
		return ret < 0 ? cmd_help(cmd) : ret;
	if (load(a.file, &c.conf))
		return 1;
	c.dry_run = a.dry_run;
	c.fs.fd = -1;
	start_output(true);
	if (ctl_start(&c)) {
		cgs_conf_free(&c.conf);
		return 1;
	}
	c.quiet_log = true;
	ret = sample(&c);
	if (!ret) {
		sleep_ns(c.conf.interval_ns);
		ret = sample(&c);
	}
	if (!ret) {
		if (write) {
			out_obj_begin(NULL);
			out_arr_begin("changes");
		}
		ret = act(&c, write, true);
		if (write) {
			out_arr_end();
			out_u64("errors", NULL, c.errors);
			out_obj_end();
			if (!c.changes && !ret)
				out_text("no changes\n");
		} else if (!ret) {
			show_plan(&c, a.explain);
		}
	}
	if (!ret && c.errors)
		ret = -EIO;
	ctl_stop(&c);
	return end_output(ret ? 1 : 0);
}

static int plan_run(int argc, char **argv)
{
	return once(&cmd_plan, argc, argv);
}

static int apply_run(int argc, char **argv)
{
	return once(&cmd_apply, argc, argv);
}

/* -- run -- */

static void reload(struct ctl *c, const char *file)
{
	struct cgs_conf fresh;
	char err[512];

	cgs_notify("RELOADING=1");
	if (cgs_conf_load(file, &fresh, err, sizeof(err))) {
		logmsg("reload: keeping the old configuration: %s", err);
		cgs_notify("READY=1\nSTATUS=reload failed; old configuration kept");
		return;
	}
	if (strcmp(fresh.cgroup_root, c->conf.cgroup_root)) {
		struct cgfs fs;
		int ret = cgfs_open(&fs, fresh.cgroup_root);

		if (ret) {
			logmsg("reload: keeping the old configuration: opening "
			       "the cgroup root %s: %s", fresh.cgroup_root,
			       strerror(-ret));
			cgs_conf_free(&fresh);
			cgs_notify("READY=1");
			return;
		}
		/* Cgroups under the old root are no longer ours to hold. */
		for (size_t i = 0; i < c->n; i++)
			forget(c, &c->cg[i], "cgroup root changed");
		cgfs_close(&c->fs);
		c->fs = fs;
	}
	cgs_conf_free(&c->conf);
	c->conf = fresh;
	logmsg("reloaded %s: %zu cgroups, %zu parents", file, c->conf.nr_cg,
	       c->conf.nr_parent);
	cgs_notify("READY=1\nSTATUS=configuration reloaded");
}

static void call_hook(struct ctl *c, bool acted)
{
	struct cgs_round r = {
		.t_ns = c->t_cur,
		.interval_ns = c->t_prev ? c->t_cur - c->t_prev : 0,
		.acted = acted,
		.conf = &c->conf,
		.capacity = c->capacity,
		.sample = &c->cur,
		.cg = c->round_cg,
	};

	if (!ext.fn)
		return;
	for (size_t i = 0; i < c->n; i++) {
		c->round_cg[i] = c->cg[i].out;
		c->round_cg[i].path = c->cg[i].path;
		c->round_cg[i].rec = c->cg[i].present ?
			find_rec(&c->cur, c->cg[i].path) : NULL;
	}
	r.n = c->n;
	ext.fn(&r, ext.arg);
}

static int signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	if (sigprocmask(SIG_BLOCK, set, NULL))
		return -errno;
	return signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int loop(struct ctl *c, const char *file, int sfd)
{
	uint64_t next = now_ns(), rounds = 0;
	bool failing = false;

	for (;;) {
		struct pollfd pfd[9] = { { .fd = sfd, .events = POLLIN } };
		uint64_t t = now_ns();
		int timeout = t >= next ? 0 : (next - t + 999999) / 1000000;
		struct signalfd_siginfo si;

		cgs_watchdog_kick();
		timeout = cgs_watchdog_timeout(timeout);

		for (int i = 0; i < ext.nr_fd; i++) {
			pfd[i + 1].fd = ext.fd[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		if (poll(pfd, 1 + ext.nr_fd, timeout) < 0 && errno != EINTR)
			return -errno;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGHUP) {
				logmsg("%s: exiting", strsignal(si.ssi_signo));
				return 0;
			}
			reload(c, file);
		}
		for (int i = 0; i < ext.nr_fd; i++)
			if (pfd[i + 1].revents)
				ext.fd[i].fn(ext.fd[i].fd, ext.fd[i].arg);
		t = now_ns();
		if (t < next)
			continue;
		next += c->conf.interval_ns;
		if (next <= t)		/* we fell behind: skip, do not burst */
			next = t + c->conf.interval_ns;
		if (sample(c)) {
			if (!failing)
				logmsg("sampling failed; retrying every interval");
			failing = true;
			continue;
		}
		if (failing)
			logmsg("sampling works again");
		failing = false;
		rounds++;
		bool acting = rounds > 1 && (rounds - 1) % c->conf.act_every == 0;

		if (acting && act(c, !c->dry_run, false))
			logmsg("this round's action failed; limits unchanged");
		call_hook(c, acting);
	}
}

static int run_run(int argc, char **argv)
{
	struct once_args a = { 0 };
	struct ctl c = { 0 };
	sigset_t set;
	int ret, sfd;

	ret = parse(&cmd_run, argc, argv, &a);
	if (ret)
		return ret < 0 ? cmd_help(&cmd_run) : ret;
	if (load(a.file, &c.conf))
		return 1;
	c.restore = a.restore;
	c.fs.fd = -1;
	sfd = signals(&set);
	if (sfd < 0) {
		logmsg("signalfd: %s", strerror(-sfd));
		cgs_conf_free(&c.conf);
		return 1;
	}
	if (ctl_start(&c)) {
		cgs_conf_free(&c.conf);
		close(sfd);
		return 1;
	}
	if (a.listen) {
		struct export_config ec = {
			.listen = a.listen,
			.cgroup_root = c.conf.cgroup_root,
			.timeout_ms = 5000,
			.verbose = opts.verbose,
		};

		if (export_run_attach(&ec)) {
			ctl_stop(&c);
			close(sfd);
			return 1;
		}
	}
	logmsg("running: %s, %zu cgroups, %zu parents, sampling every %.3gs, "
	       "acting every %u samples", a.file, c.conf.nr_cg,
	       c.conf.nr_parent, c.conf.interval_ns / 1e9, c.conf.act_every);
	cgs_notify("READY=1\nSTATUS=sharing");
	ret = loop(&c, a.file, sfd);
	cgs_notify("STOPPING=1");
	if (ret)
		logmsg("run: %s", strerror(-ret));
	ctl_stop(&c);
	close(sfd);
	return ret ? 1 : 0;
}

/* -- the view top -c shows: plan's demand and shares, nothing written -- */

struct cgs_view {
	struct ctl c;
};

int cgs_view_open(const char *file, struct cgs_nl *nl, struct cgs_view **out)
{
	struct cgs_view *v = calloc(1, sizeof(*v));
	int ret;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	if (load(file, &v->c.conf)) {
		free(v);
		return -EINVAL;
	}
	v->c.fs.fd = -1;
	v->c.dry_run = true;
	v->c.quiet_log = true;
	ret = cgfs_open(&v->c.fs, v->c.conf.cgroup_root);
	if (ret) {
		logmsg("opening the cgroup root %s: %s", v->c.conf.cgroup_root,
		       strerror(-ret));
		cgs_conf_free(&v->c.conf);
		free(v);
		return ret;
	}
	v->c.nl = nl;
	*out = v;
	return 0;
}

int cgs_view_update(struct cgs_view *v)
{
	int ret = sample(&v->c);

	return ret ? ret : solve(&v->c);
}

const struct cgs_round_cg *cgs_view_find(const struct cgs_view *v,
					 const char *path)
{
	struct mcg *m;

	if (!path)
		return NULL;
	m = find_old(v->c.cg, v->c.n, path);
	return m ? &m->out : NULL;
}

void cgs_view_close(struct cgs_view *v)
{
	if (!v)
		return;
	v->c.nl = NULL;		/* the caller's */
	ctl_stop(&v->c);
	free(v);
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
		"Usage: cgsharectl apply -c FILE [--dry-run] [-j]\n"
		"\n"
		"One round of the controller: plan, then write the limits that\n"
		"changed, printing each as old -> new.\n"
		"\n"
		"  -c, --config FILE   the controller's configuration\n"
		"  -n, --dry-run       print the changes, write nothing\n"
		"  -j, --json          JSON (see cgsharectl(8))\n");
}

static void run_help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl run -c FILE [--restore] [--listen ADDR:PORT]\n"
		"\n"
		"The controller daemon: samples every interval, acts every\n"
		"act-every samples, logs each change (old -> new) on stderr.\n"
		"SIGHUP reloads FILE (an invalid file keeps the old one);\n"
		"SIGTERM and SIGINT exit. Tells systemd READY=1 when\n"
		"NOTIFY_SOCKET is set.\n"
		"\n"
		"  -c, --config FILE   the controller's configuration\n"
		"  -r, --restore       put back the limits found at start on exit\n"
		"                      (and when a cgroup leaves the config)\n"
		"  -l, --listen ADDR:PORT  also serve Prometheus metrics there,\n"
		"                      with the controller's shares (see export)\n");
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
	.usage = "cgsharectl apply -c FILE [--dry-run] [-j]",
	.summary = "one round of the controller: plan, then write",
};

const struct cmd cmd_run = {
	.name = "run",
	.run = run_run,
	.help = run_help,
	.usage = "cgsharectl run -c FILE [--restore] [--listen ADDR:PORT]",
	.summary = "the controller daemon",
};
