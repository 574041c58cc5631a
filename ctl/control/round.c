// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's round: sample, demand, shares, plan, write. See
 * control.h; the rules that turn shares into values are in policy/plan.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs/cgfs.h"
#include "cgroupfs/sched.h"
#include "control/control.h"
#include "control/state.h"
#include "policy/rate.h"
#include "util/log.h"
#include "util/time.h"

/*
 * A sample is the ledger's dump and one read of the cgroup iterator: no
 * cgroupfs file is read for it, but the dmem files (which have no other
 * interface) of cgroups with GPU memory limits. A cgroup's directory is
 * opened only when something is to be written there, or restored.
 */
#define DMEM_ITEMS (CGFS_ITEM(CGFS_CONTROLLERS) | CGFS_ITEM(CGFS_DMEM))

struct mcg {				/* one managed cgroup */
	struct cgs_ctl_cg pub;		/* first: what cgs_ctl_round() shows */
	char *path;
	int line;			/* config line, 0 for a parent's child */
	bool fs_open;
	struct cgfs_cg fs;
	const struct cgs_cgroup *rec;	/* its record in this sample, or NULL */
	struct cgfs_snap snap;		/* this sample's dmem files */
	struct cgs_demand_hist hist;
	struct cgs_demand_raw raw;
	bool has_rate;			/* raw is from the latest interval */
	double vusage, vwait;		/* summed over the verify window */
	double vsome;			/* and the CPU pressure, where known */
	unsigned int vn, vsn;
	struct cgs_plan_cg plan;
};

struct cgs_ctl {
	struct cgs_conf conf;
	struct cgs_ctl_opts opts;
	struct cgfs fs;
	struct cgs_nl *nl;
	bool own_nl;
	struct cgs_iter *it;
	struct mcg *cg;
	size_t n;
	struct cgs_list prev, cur;
	const struct cgs_cgroup **by_path;	/* cur's records, by path */
	size_t nr_by_path;
	uint64_t t_prev, t_cur;
	double capacity[CGS_NR_RES];
	struct cgs_state state;
	struct cgfs_sched sched;
	char sched_name[80];
	bool said_dmem, said_state;
	struct cgs_ctl_round round;
	struct cgs_ctl_cg *view;
	struct cgs_plan_cg *plans;	/* scratch for cgs_plan() */
};

/* -- the host -- */

static double host_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

static double host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (double)pages * size : 0;
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

static void mcg_init(struct mcg *m, char *path, int line, double weight,
		     const struct cgs_conf_cgroup *d)
{
	memset(m, 0, sizeof(*m));
	m->path = path;
	m->line = line;
	m->plan.weight = weight;
	m->plan.gpu_mem_max = d ? d->gpu_mem_max : 0;
	m->plan.gpu_mem_low = d ? d->gpu_mem_low : 0;
	for (int r = 0; r < CGS_NR_RES; r++) {
		m->plan.min[r] = d ? d->min[r] : 0;
		m->pub.max[r] = d ? d->max[r] : CGS_UNLIMITED;
		m->plan.applied[r] = NAN;
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

static struct mcg *find_mcg(struct mcg *v, size_t n, const char *path)
{
	struct mcg key = { .path = (char *)path };

	return n ? bsearch(&key, v, n, sizeof(*v), by_path) : NULL;
}

static void restore_cb(const struct cgfs_cg *cg, const char *file,
		       const char *value, int err, void *arg)
{
	(void)arg;
	if (err)
		cgs_log("%s: restoring %s to %s failed: %s", cg->path, file,
			value, strerror(-err));
	else
		cgs_log("%s: %s restored to %s", cg->path, file, value);
}

static void save_state(struct cgs_ctl *c)
{
	int ret = cgs_state_save(&c->state);

	if (ret && !c->said_state)
		cgs_log("saving %s: %s; a restart will not know what this one "
			"wrote", c->state.file, strerror(-ret));
	c->said_state = ret != 0;
}

static bool open_mcg(struct cgs_ctl *c, struct mcg *m);

static void let_go(struct cgs_ctl *c, struct mcg *m)
{
	size_t n = 0;

	/* what an earlier run wrote is restored too: open for it */
	if (c->opts.restore && !c->opts.dry_run && !m->fs_open &&
	    cgs_state_of(&c->state, m->path, &n) && n)
		open_mcg(c, m);
	if (c->opts.restore && m->fs_open && !c->opts.dry_run &&
	    !cgfs_restore(&m->fs, restore_cb, NULL))
		cgs_state_forget(&c->state, m->path);
	mcg_free(m);
}

/* The "parent" line @r is a direct child of, or -1: not managed by one. */
static int parent_line(const struct cgs_conf *k, const struct cgs_cgroup *r)
{
	char buf[4096];

	if (!r->path || !strcmp(r->path, "/") || cgs_conf_find(k, r->path))
		return -1;
	for (size_t j = 0; j < k->nr_parent; j++)
		if (!strcmp(parent_of(r->path, buf, sizeof(buf)),
			    k->parent[j].path))
			return j;
	return -1;
}

/*
 * The managed set from the config and the latest sample: every declared
 * cgroup, and every direct child of a "parent" line's path. State (demand
 * history, original limits) carries over by path. A managed cgroup's
 * state is some 16 kB: the set is sized by the cgroups it holds, never by
 * the ledger's, which counts every cgroup of the host.
 */
static int resolve(struct cgs_ctl *c)
{
	const struct cgs_conf *k = &c->conf;
	size_t cap = k->nr_cg + 1, n = 0;
	struct mcg *v;

	if (k->nr_parent)
		for (size_t i = 0; i < c->cur.n; i++)
			cap += parent_line(k, &c->cur.v[i]) >= 0;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < k->nr_cg; i++) {
		const struct cgs_conf_cgroup *d = &k->cg[i];
		char *p = strdup(d->path);

		if (!p)
			goto nomem;
		mcg_init(&v[n++], p, d->line, d->weight, d);
	}
	for (size_t i = 0; i < c->cur.n && k->nr_parent; i++) {
		const struct cgs_cgroup *r = &c->cur.v[i];
		int j = parent_line(k, r);
		char *p;

		if (j < 0)
			continue;
		p = strdup(r->path);
		if (!p)
			goto nomem;
		mcg_init(&v[n++], p, 0, k->parent[j].weight, NULL);
	}
	qsort(v, n, sizeof(*v), by_path);
	for (size_t i = 0; i < n; i++)
		v[i].pub.writable = cgs_conf_writable(k, v[i].path);
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *o = &c->cg[i], *m = find_mcg(v, n, o->path);

		if (!m) {
			let_go(c, o);
			continue;
		}
		m->pub.id = o->pub.id;
		m->pub.backoff = o->pub.backoff;
		m->fs = o->fs;
		m->fs_open = o->fs_open;
		m->hist = o->hist;
		m->vusage = o->vusage;
		m->vwait = o->vwait;
		m->vsome = o->vsome;
		m->vn = o->vn;
		m->vsn = o->vsn;
		memcpy(m->plan.applied, o->plan.applied, sizeof(o->plan.applied));
		free(o->path);
	}
	free(c->cg);
	c->cg = v;
	c->n = n;
	save_state(c);
	free(c->view);
	free(c->plans);
	c->view = calloc(n + 1, sizeof(*c->view));
	c->plans = calloc(n + 1, sizeof(*c->plans));
	return c->view && c->plans ? 0 : -ENOMEM;
nomem:
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return -ENOMEM;
}

static int cmp_rec_path(const void *a, const void *b)
{
	return strcmp((*(const struct cgs_cgroup *const *)a)->path,
		      (*(const struct cgs_cgroup *const *)b)->path);
}

/* The sample's records by path, for find_rec(). */
static int index_paths(struct cgs_ctl *c)
{
	const struct cgs_cgroup **v = realloc(c->by_path, (c->cur.n + 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->cur.n; i++)
		if (c->cur.v[i].path)
			v[n++] = &c->cur.v[i];
	qsort(v, n, sizeof(*v), cmp_rec_path);
	c->by_path = v;
	c->nr_by_path = n;
	return 0;
}

static const struct cgs_cgroup *find_rec(const struct cgs_ctl *c,
					 const char *path)
{
	struct cgs_cgroup key = { .path = (char *)path };
	const struct cgs_cgroup *k = &key, *const *r;

	r = c->nr_by_path ? bsearch(&k, c->by_path, c->nr_by_path,
				    sizeof(*r), cmp_rec_path) : NULL;
	return r ? *r : NULL;
}

static void forget(struct cgs_ctl *c, struct mcg *m, const char *why)
{
	if (m->pub.id && !c->opts.quiet)
		cgs_log("%s: %s; no longer shared", m->path, why);
	/* What we wrote there is nobody's now: a new cgroup starts afresh. */
	cgs_state_forget(&c->state, m->path);
	if (m->fs_open)
		cgfs_cg_close(&m->fs);
	m->fs_open = false;
	m->pub.id = 0;
	m->pub.present = false;
	m->rec = NULL;
	m->has_rate = false;
	memset(&m->hist, 0, sizeof(m->hist));
	for (int r = 0; r < CGS_NR_RES; r++)
		m->plan.applied[r] = NAN;
}

/* What an earlier run found before it wrote: still the originals. */
static void remember(struct cgs_ctl *c, struct mcg *m)
{
	const struct cgs_state_ent *e;
	char file[32];
	size_t n;

	e = cgs_state_of(&c->state, m->path, &n);
	for (size_t i = 0; i < n; i++, e++) {
		/* "dmem.max REGION": the file is the first word */
		snprintf(file, sizeof(file), "%.*s", (int)strcspn(e->file, " "),
			 e->file);
		if (e->orig[0])
			cgfs_remember(&m->fs, file, e->orig);
	}
}

/*
 * Opens @m's directory (for a write, a restore, the dmem files) and takes
 * up what an earlier run found there; false when the cgroup is gone.
 */
static bool open_mcg(struct cgs_ctl *c, struct mcg *m)
{
	if (m->fs_open)
		return !m->fs.gone;
	/* In the ledger but not under our root: not ours. */
	if (cgfs_cg_open(&c->fs, m->path, &m->fs))
		return false;
	m->fs_open = true;
	remember(c, m);
	return true;
}

/* Takes @m's record of this sample; false when it is not there. */
static bool read_mcg(struct cgs_ctl *c, struct mcg *m,
		     const struct cgs_cgroup *rec)
{
	memset(&m->snap, 0, sizeof(m->snap));
	m->rec = NULL;
	if (!rec) {
		forget(c, m, "cgroup vanished");
		return false;
	}
	if (m->pub.id && m->pub.id != rec->id)
		forget(c, m, "cgroup was recreated");
	/* recreated while no controller ran: what was written is gone */
	if (!m->pub.id && cgs_state_stale(&c->state, m->path, rec->id))
		cgs_state_forget(&c->state, m->path);
	m->pub.id = rec->id;
	m->pub.present = true;
	m->rec = rec;
	if ((m->plan.gpu_mem_max || m->plan.gpu_mem_low) &&
	    (!open_mcg(c, m) || cgfs_snapshot(&m->fs, DMEM_ITEMS, &m->snap))) {
		forget(c, m, "cgroup vanished");
		return false;
	}
	return true;
}

/*
 * The latest interval's demand of @m, whose record is @rec: from its
 * record of the sample before, found by id. False when it had none.
 */
static bool measure(struct cgs_ctl *c, struct mcg *m,
		    const struct cgs_cgroup *rec)
{
	const struct cgs_cgroup *was = cgs_list_find_id(&c->prev, rec->id);
	struct cgs_rate r;
	int ret;

	if (!was || c->t_cur <= c->t_prev ||
	    cgs_rate_live(was, rec, c->t_cur - c->t_prev, &r))
		return false;
	ret = cgs_demand_from_rate(&r, &m->raw);
	cgs_rate_free(&r);
	return !ret;
}

int cgs_ctl_sample(struct cgs_ctl *c)
{
	int ret;

	cgs_list_free(&c->prev);
	c->prev = c->cur;
	c->t_prev = c->t_cur;
	memset(&c->cur, 0, sizeof(c->cur));
	ret = cgs_sample(c->nl, c->it, NULL, &c->cur);
	c->t_cur = cgs_now_ns();
	if (ret) {
		/* The module gone is the caller's to say, once. */
		if (ret != -ENODEV && !c->opts.quiet)
			cgs_nl_perror(c->nl, "reading the ledger");
		return ret;
	}
	ret = index_paths(c);
	if (!ret)
		ret = resolve(c);
	if (ret)
		return ret;
	/* Rates of the managed cgroups alone: not of the whole ledger. */
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];
		const struct cgs_cgroup *rec = find_rec(c, m->path);

		m->has_rate = false;
		if (!read_mcg(c, m, rec) || !measure(c, m, rec))
			continue;
		m->has_rate = true;
		cgs_demand_push(&m->hist, &m->raw, c->conf.window);
		m->vusage += m->raw.cpu_usage;
		m->vwait += m->raw.cpu_wait;
		if (m->raw.cpu_some >= 0) {
			m->vsome += m->raw.cpu_some;
			m->vsn++;
		}
		m->vn++;
	}
	cgfs_sched("/sys", &c->sched);
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
	return m->pub.present && m->hist.n;
}

/* The nearest measured ancestor: sorted by path, it came before @i. */
static int measured_parent(const struct cgs_ctl *c, size_t i)
{
	const char *path = c->cg[i].path;

	for (size_t j = i; j-- > 0; ) {
		size_t l = strlen(c->cg[j].path);

		if (measured(&c->cg[j]) && !strncmp(path, c->cg[j].path, l) &&
		    path[l] == '/')
			return j;
	}
	return -1;
}

static int solve(struct cgs_ctl *c)
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
		struct cgs_node *nd = &nodes[p.n];

		idx[i] = -1;
		m->plan.measured = measured(m);
		if (!m->plan.measured)
			continue;
		m->plan.parent = measured_parent(c, i);
		nd->parent = m->plan.parent >= 0 ? idx[m->plan.parent] : -1;
		nd->weight = m->plan.weight;
		for (int r = 0; r < CGS_NR_RES; r++) {
			nd->min[r] = m->plan.min[r];
			nd->max[r] = m->pub.max[r];
			if (!cgs_demand_mean(&m->hist, r, c->conf.window,
					     &nd->demand[r]))
				nd->demand[r] = 0;
		}
		idx[i] = p.n++;
	}
	memcpy(p.capacity, c->capacity, sizeof(p.capacity));
	memcpy(p.policy, c->conf.policy, sizeof(p.policy));
	if (p.n && cgs_solve(&p, err, sizeof(err))) {
		cgs_log("computing shares: %s", err);
		ret = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];

		for (int r = 0; r < CGS_NR_RES; r++) {
			bool on = idx[i] >= 0;

			m->plan.has[r] = on && m->hist.has[r];
			m->plan.demand[r] = on ? nodes[idx[i]].demand[r] : 0;
			m->plan.share[r] = on ? nodes[idx[i]].share[r] : 0;
			m->pub.reason[r] = on ? nodes[idx[i]].reason[r] :
				CGS_REASON_NONE;
		}
	}
out:
	free(nodes);
	free(idx);
	return ret;
}

/* The cgroup root offers the dmem controller: the kernel has it. */
static bool kernel_has_dmem(struct cgs_ctl *c)
{
	struct cgfs_cg root;
	bool has;

	if (cgfs_cg_open(&c->fs, "/", &root))
		return false;
	has = cgfs_has_controller(&root, "dmem");
	cgfs_cg_close(&root);
	return has;
}

int cgs_ctl_plan(struct cgs_ctl *c)
{
	uint64_t page = sysconf(_SC_PAGESIZE);
	int ret = solve(c);

	if (ret)
		return ret;
	/* Parents index the plan array: plan all of them at once. */
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];

		const struct cgs_cgroup *rec = m->rec;

		m->plan.mem_high = rec && cgs_has_ctr(rec, CGS_MEM_HIGH) ?
			rec->ctr[CGS_MEM_HIGH] : CGFS_MAX;
		m->plan.mem_current = rec && cgs_has_ctr(rec, CGS_MEM_CURRENT) ?
			rec->ctr[CGS_MEM_CURRENT] : m->raw.mem_current;
		m->plan.dmem = m->snap.dmem;
		m->plan.nr_region = 0;
		for (unsigned int g = 0; g < m->snap.nr_region &&
		     g < CGS_PLAN_REGIONS; g++) {
			struct cgs_plan_region *pr = &m->plan.region[g];

			snprintf(pr->name, sizeof(pr->name), "%s",
				 m->snap.region[g].name);
			pr->current = m->snap.region[g].current;
			pr->max = m->snap.region[g].max;
			m->plan.nr_region++;
		}
		c->plans[i] = m->plan;
	}
	cgs_plan(&c->conf, c->capacity, page, c->plans, c->n);
	for (size_t i = 0; i < c->n; i++) {
		c->cg[i].plan = c->plans[i];
		if (c->plans[i].dmem_missing && !c->said_dmem) {
			cgs_log("GPU memory is not enforced for %s: %s",
				c->cg[i].path, cgs_dmem_missing_why(
					kernel_has_dmem(c), &c->plans[i]));
			c->said_dmem = true;
		}
	}
	return 0;
}

/*
 * A file that does not hold what we wrote last was written by someone
 * else (the kubelet, an operator): we stop writing it, and say so once.
 */
static void back_off(struct mcg *m, enum cgs_limit l, const char *found,
		     const char *ours)
{
	m->pub.backoff |= 1u << l;
	cgs_log("%s %s: changed to %s by someone else since cgshare wrote %s; "
		"leaving it alone until the configuration is reloaded",
		m->path, cgs_limit_file[l], found[0] ? found : "-", ours);
}

/*
 * What limit @l of @rec holds, as its file shows it; false when the sample
 * does not say (no cpu controller, no cgroup iterator, a dmem file).
 */
static bool sampled(const struct cgs_cgroup *rec, enum cgs_limit l, char *buf,
		    size_t len)
{
	static const enum cgs_ctr attr[] = {
		[CGS_LIM_CPU_WEIGHT] = CGS_CPU_WEIGHT,
		[CGS_LIM_MEM_HIGH] = CGS_MEM_HIGH,
		[CGS_LIM_MEM_MAX] = CGS_MEM_MAX,
		[CGS_LIM_MEM_LOW] = CGS_MEM_LOW,
	};
	uint64_t q, p;

	if (!rec)
		return false;
	if (l == CGS_LIM_CPU_MAX) {
		/* "QUOTA PERIOD" in microseconds, QUOTA "max" for none */
		if (!cgs_has_ctr(rec, CGS_CPU_MAX_QUOTA_NS) ||
		    !cgs_has_ctr(rec, CGS_CPU_MAX_PERIOD_NS))
			return false;
		q = rec->ctr[CGS_CPU_MAX_QUOTA_NS];
		p = rec->ctr[CGS_CPU_MAX_PERIOD_NS] / 1000;
		if (q == CGS_LIMIT_MAX)
			snprintf(buf, len, "max %llu", (unsigned long long)p);
		else
			snprintf(buf, len, "%llu %llu", (unsigned long long)q / 1000,
				 (unsigned long long)p);
		return true;
	}
	if (l >= sizeof(attr) / sizeof(attr[0]) || !attr[l] ||
	    !cgs_has_ctr(rec, attr[l]))
		return false;
	cgfs_fmt_max(buf, len, rec->ctr[attr[l]]);
	return true;
}

struct intent {
	struct cgs_ctl *c;
	struct mcg *m;
	const char *key;
};

/*
 * Before a write: kept in the state file, with the original found, so
 * that a run killed before the round's save is not lost (state.h).
 */
static int intend(const struct cgfs_write *w, void *arg)
{
	const struct intent *in = arg;
	const char *orig = cgfs_original(&in->m->fs, w->file, w->value);
	int ret;

	ret = cgs_state_intend(&in->c->state, in->m->path, in->m->pub.id,
			       in->key, orig ? orig : w->old, w->value);
	if (!ret)
		return 0;
	cgs_log("%s: not writing %s \"%s\": recording it in %s failed: %s",
		in->m->path, w->file, w->value, in->c->state.file,
		strerror(-ret));
	return -ECANCELED;
}

/*
 * Writes (or, dry, compares) @value to limit @l of @m: one write, or for a
 * keyed file one line, kept in the state under "FILE KEY". When the sample
 * says what the file holds, a value already there, or someone else's, is
 * found without reading it. A value an earlier run was writing when it
 * was killed (pending in the state) is taken for ours when found. Returns
 * 0, or -ENOENT when the cgroup is gone, or 1 for a failed write.
 */
static int write_one(struct cgs_ctl *c, struct mcg *m, enum cgs_limit l,
		     const char *value, cgs_ctl_change_fn fn, void *arg)
{
	bool keyed = cgs_limit_keyed(l);
	const struct cgs_state_ent *e;
	char key[128], pending[512];
	struct intent in = { .c = c, .m = m, .key = key };
	struct cgfs_write w = {
		.file = cgs_limit_file[l],
		.value = value,
		.flags = (keyed ? CGFS_KEYED : 0) |
			 (c->opts.dry_run ? CGFS_DRY_RUN : 0),
		.intend = intend,
		.arg = &in,
	};
	int ret;

	snprintf(key, sizeof(key), "%s%s%.*s", w.file, keyed ? " " : "",
		 keyed ? (int)strcspn(value, " ") : 0, value);
	e = cgs_state_find(&c->state, m->path, key);
	w.expect = e && e->last[0] ? e->last : NULL;
	if (e && e->pending) {
		snprintf(pending, sizeof(pending), "%s", e->pending);
		w.pending = pending;
	}
	if (sampled(m->rec, l, w.old, sizeof(w.old))) {
		bool ours = w.pending && !strcmp(w.old, w.pending);

		if (w.expect && strcmp(w.old, w.expect) && !ours) {
			cgs_state_settle(&c->state, m->path, key);
			back_off(m, l, w.old, w.expect);
			return 0;
		}
		if (ours && !c->opts.dry_run) {
			cgs_state_wrote(&c->state, m->path, m->pub.id, key,
					"", w.old);
			w.expect = w.pending;
			w.pending = NULL;
		}
		if (!strcmp(w.old, value))
			return 0;
		if (c->opts.dry_run) {
			if (fn)
				fn(m->path, w.file, w.old, value, false,
				   &m->plan, arg);
			return 0;
		}
	}
	if (!open_mcg(c, m)) {
		forget(c, m, "cgroup vanished");
		return -ENOENT;
	}
	ret = cgfs_write(&m->fs, &w);
	if (ret == 0 && w.pending && !strcmp(w.old, w.pending) &&
	    !c->opts.dry_run)
		cgs_state_wrote(&c->state, m->path, m->pub.id, key, "", w.old);
	if (ret == 0)
		return 0;
	if (ret == -ENOENT) {
		forget(c, m, "cgroup vanished");
		return ret;
	}
	/* not written: nothing of this run is pending */
	if (ret < 0)
		cgs_state_settle(&c->state, m->path, key);
	if (ret == -ESTALE) {
		back_off(m, l, w.old, w.expect);
		return 0;
	}
	if (ret == -ECANCELED)
		return 1;
	if (ret < 0) {
		cgs_log("%s: writing %s \"%s\": %s%s", m->path, w.file, value,
			strerror(-ret), ret == -EOPNOTSUPP ? " (is its "
			"controller enabled in the parent's "
			"cgroup.subtree_control?)" : "");
		return 1;
	}
	if (!c->opts.dry_run) {
		const char *orig = cgfs_original(&m->fs, w.file, value);

		cgs_state_wrote(&c->state, m->path, m->pub.id, key,
				orig ? orig : w.old, w.now);
	}
	if (fn)
		fn(m->path, w.file, w.old, value, !c->opts.dry_run, &m->plan,
		   arg);
	return 0;
}

/* Writes each planned limit of @m, a keyed one line by line. */
static unsigned int write_mcg(struct cgs_ctl *c, struct mcg *m,
			      cgs_ctl_change_fn fn, void *arg)
{
	unsigned int failed = 0;
	char line[CGS_PLAN_VALUE_LEN];

	for (int l = 0; l < CGS_NR_LIM && m->pub.present &&
	     !(m->fs_open && m->fs.gone); l++) {
		const char *v = m->plan.value[l];
		int ret = 0;

		if (!m->plan.want[l] || !(m->pub.writable & (1u << l)) ||
		    (m->pub.backoff & (1u << l)))
			continue;
		if (!cgs_limit_keyed(l)) {
			ret = write_one(c, m, l, v, fn, arg);
		} else {
			for (; *v && ret >= 0; v += strcspn(v, "\n"),
			     v += *v == '\n') {
				snprintf(line, sizeof(line), "%.*s",
					 (int)strcspn(v, "\n"), v);
				ret = write_one(c, m, l, line, fn, arg);
				failed += ret > 0;
			}
			ret = ret > 0 ? 0 : ret;
		}
		if (ret == -ENOENT)
			break;
		failed += ret > 0;
	}
	return failed;
}

unsigned int cgs_ctl_write(struct cgs_ctl *c, cgs_ctl_change_fn fn, void *arg)
{
	unsigned int failed = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->cg[i].plan.measured)
			failed += write_mcg(c, &c->cg[i], fn, arg);
	save_state(c);
	return failed;
}

/* -- what the round shows -- */

const struct cgs_ctl_round *cgs_ctl_round(struct cgs_ctl *c)
{
	struct cgs_ctl_round *r = &c->round;

	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];
		struct cgs_ctl_cg *v = &c->view[i];

		*v = m->pub;
		v->path = m->path;
		v->weight = m->plan.weight;
		memcpy(v->min, m->plan.min, sizeof(v->min));
		v->measured = m->plan.measured && m->pub.present;
		v->raw = m->has_rate ? &m->raw : NULL;
		v->plan = &m->plan;
		v->rec = m->pub.present ? m->rec : NULL;
		if (!v->rec || !cgs_cgroup_cpu_max(v->rec, &v->cpu_limit))
			v->cpu_limit = INFINITY;
		v->cpu_weight = v->rec && cgs_has_ctr(v->rec, CGS_CPU_WEIGHT) ?
				v->rec->ctr[CGS_CPU_WEIGHT] : 0;
	}
	r->t_ns = c->t_cur;
	r->interval_ns = c->t_prev ? c->t_cur - c->t_prev : 0;
	r->conf = &c->conf;
	r->capacity = c->capacity;
	r->sample = &c->cur;
	r->cg = c->view;
	r->n = c->n;
	r->scheduler = cgfs_sched_name(&c->sched, c->sched_name,
				       sizeof(c->sched_name));
	return r;
}

const struct cgs_ctl_cg *cgs_ctl_find(struct cgs_ctl *c, const char *path)
{
	const struct cgs_ctl_round *r = cgs_ctl_round(c);
	struct mcg *m = path ? find_mcg(c->cg, c->n, path) : NULL;

	return m ? &r->cg[m - c->cg] : NULL;
}

/* -- is the scheduler obeying? -- */

size_t cgs_ctl_verify(struct cgs_ctl *c, struct cgs_verify_knob out[CGS_NR_KNOBS])
{
	const struct cgs_ctl_round *r = cgs_ctl_round(c);
	struct cgs_verify_cg *v = calloc(c->n + 1, sizeof(*v));
	int *at = calloc(c->n + 1, sizeof(*at));
	size_t n = 0;

	if (!v || !at) {
		free(v);
		free(at);
		cgs_verify(NULL, 0, out);
		return 0;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];

		at[i] = -1;
		if (!m->vn || !m->pub.present)
			continue;
		v[n].path = m->path;
		v[n].parent = -1;
		/* sorted by path: the nearest ancestor in the window came before */
		for (size_t j = i; j-- > 0; ) {
			size_t l = strlen(c->cg[j].path);

			if (at[j] >= 0 && !strncmp(m->path, c->cg[j].path, l) &&
			    m->path[l] == '/') {
				v[n].parent = at[j];
				break;
			}
		}
		v[n].usage = m->vusage / m->vn;
		/*
		 * The ledger's wait can miss what a queued task waited
		 * before it was moved to another CPU: under the fair
		 * scheduler (90 to 101 % of the tasks' run_delay measured in
		 * guest-verify), or under sched_ext where two tasks share a
		 * slot of the module's table (kmod/cpu.c, moved_wait()),
		 * and a module older than that table missed most of it
		 * under sched_ext. The CPU pressure "some" is a floor under
		 * the sum of the waits. Each is averaged over the window
		 * first: the kernel adds to the pressure totals every 2 s, so
		 * one interval's pressure is 0 or several times its mean.
		 */
		v[n].wait = fmax(m->vwait / m->vn, m->vsn ? m->vsome / m->vsn : 0);
		v[n].weight = r->cg[i].cpu_weight;
		v[n].quota = r->cg[i].cpu_limit;
		at[i] = n++;
		m->vusage = m->vwait = m->vsome = 0;
		m->vn = m->vsn = 0;
	}
	cgs_verify(v, n, out);
	free(v);
	free(at);
	return n;
}

/* -- life -- */

static int load(const char *file, struct cgs_conf *conf)
{
	char err[512];

	if (cgs_conf_load(file, conf, err, sizeof(err))) {
		cgs_log("%s", err);
		return -EINVAL;
	}
	return 0;
}

int cgs_ctl_open(struct cgs_ctl **cp, const char *file, struct cgs_nl *nl,
		 const struct cgs_ctl_opts *o)
{
	struct cgs_ctl *c = calloc(1, sizeof(*c));
	char err[512];
	int ret;

	*cp = NULL;
	if (!c)
		return -ENOMEM;
	c->fs.fd = -1;
	if (o)
		c->opts = *o;
	ret = load(file, &c->conf);
	if (ret)
		goto err;
	ret = cgfs_open(&c->fs, c->conf.cgroup_root);
	if (ret) {
		cgs_log("opening the cgroup root %s: %s", c->conf.cgroup_root,
			strerror(-ret));
		goto err;
	}
	ret = cgs_state_load(&c->state, c->opts.dry_run ? NULL :
			     c->opts.state_file, err, sizeof(err));
	if (ret) {
		cgs_log("%s", err);
		goto err;
	}
	ret = cgs_iter_open(&c->it);
	if (ret)
		goto err;
	c->nl = nl;
	if (!nl) {
		ret = cgs_nl_open(&c->nl, 0);
		if (ret)
			goto err;
		c->own_nl = true;
	}
	*cp = c;
	return 0;
err:
	cgs_iter_close(c->it);
	cgs_state_free(&c->state);
	cgfs_close(&c->fs);
	cgs_conf_free(&c->conf);
	free(c);
	return ret;
}

void cgs_ctl_close(struct cgs_ctl *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		let_go(c, &c->cg[i]);
	save_state(c);
	cgs_state_free(&c->state);
	free(c->cg);
	free(c->view);
	free(c->plans);
	cgs_list_free(&c->prev);
	cgs_list_free(&c->cur);
	free(c->by_path);
	cgs_iter_close(c->it);
	if (c->own_nl)
		cgs_nl_close(c->nl);
	cgfs_close(&c->fs);
	cgs_conf_free(&c->conf);
	free(c);
}

int cgs_ctl_reload(struct cgs_ctl *c, const char *file, char *err,
		   size_t errlen)
{
	struct cgs_conf fresh;
	int ret;

	if (cgs_conf_load(file, &fresh, err, errlen))
		return -EINVAL;
	if (strcmp(fresh.cgroup_root, c->conf.cgroup_root)) {
		struct cgfs fs;

		ret = cgfs_open(&fs, fresh.cgroup_root);
		if (ret) {
			snprintf(err, errlen, "opening the cgroup root %s: %s",
				 fresh.cgroup_root, strerror(-ret));
			cgs_conf_free(&fresh);
			return ret;
		}
		/* Cgroups under the old root are no longer ours to hold. */
		for (size_t i = 0; i < c->n; i++)
			forget(c, &c->cg[i], "cgroup root changed");
		cgfs_close(&c->fs);
		c->fs = fs;
	}
	cgs_conf_free(&c->conf);
	c->conf = fresh;
	/*
	 * A new configuration: try again what others had written over, taking
	 * what is there now as the starting point.
	 */
	for (size_t i = 0; i < c->n; i++) {
		struct mcg *m = &c->cg[i];

		for (int l = 0; l < CGS_NR_LIM; l++) {
			const struct cgs_state_ent *e;

			if (!(m->pub.backoff & (1u << l)))
				continue;
			e = cgs_state_find(&c->state, m->path, cgs_limit_file[l]);
			if (e)
				cgs_state_wrote(&c->state, m->path, e->id,
						e->file, e->orig, "");
		}
		m->pub.backoff = 0;
	}
	save_state(c);
	return 0;
}
