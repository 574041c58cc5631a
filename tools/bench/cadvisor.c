// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <unistd.h>
#include "bench.h"
#include "cadvisor.h"
#include "tree.h"

#define PATH_MAX_LEN 512
#define NO_VALUE UINT64_MAX

enum { CPU, MEM, IO, NR_PSI };

struct psi {
	double avg10, avg60, avg300;
	uint64_t total_us;
	int has;
};

struct cg {
	char path[PATH_MAX_LEN];	/* relative to the mount, "/" for the root */
	uint64_t usage_usec, user_usec, system_usec;
	uint64_t nr_periods, nr_throttled, throttled_usec;
	uint64_t quota_us, period_us, weight;	/* NO_VALUE: absent; quota max */
	uint64_t mem_current, mem_high, mem_max;
	uint64_t anon, file, inactive_file, active_file, kernel, shmem;
	uint64_t pgfault, pgmajfault;
	struct psi some[NR_PSI], full[NR_PSI];
	int has_cpu_stat, has_max;
};

struct cadv {
	char mount[PATH_MAX_LEN];
	struct cg *v;
	int n, cap;
	char buf[16384];
};

struct cadv *cadv_new(const char *mount)
{
	struct cadv *c = calloc(1, sizeof(*c));

	if (!c)
		fail("out of memory");
	snprintf(c->mount, sizeof(c->mount), "%s", mount);
	return c;
}

void cadv_free(struct cadv *c)
{
	free(c->v);
	free(c);
}

/* One file into c->buf; its length or -1. */
static ssize_t read_file(struct cadv *c, const char *dir, const char *file)
{
	return bench_slurp(dir, file, c->buf, sizeof(c->buf));
}

static uint64_t parse_max(const char *s)
{
	return !strncmp(s, "max", 3) ? NO_VALUE - 1 : strtoull(s, NULL, 10);
}

/* "key value" lines: the value of each key in @keys into @out. */
static void parse_flat(const char *buf, const char *const *keys, uint64_t **out)
{
	for (const char *l = buf; *l; ) {
		const char *end = strchrnul(l, '\n'), *sp = memchr(l, ' ', end - l);

		for (int k = 0; sp && keys[k]; k++)
			if ((size_t)(sp - l) == strlen(keys[k]) && !memcmp(l, keys[k], sp - l)) {
				*out[k] = strtoull(sp + 1, NULL, 10);
				break;
			}
		l = *end ? end + 1 : end;
	}
}

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and "full ...". */
static void parse_psi(const char *buf, struct psi *some, struct psi *full)
{
	for (const char *l = buf; *l; ) {
		const char *end = strchrnul(l, '\n');
		struct psi *p = !strncmp(l, "some ", 5) ? some :
				!strncmp(l, "full ", 5) ? full : NULL;

		if (p && sscanf(l + 5, "avg10=%lf avg60=%lf avg300=%lf total=%" SCNu64,
				&p->avg10, &p->avg60, &p->avg300, &p->total_us) == 4)
			p->has = 1;
		l = *end ? end + 1 : end;
	}
}

static void read_cg(struct cadv *c, struct cg *g, const char *dir)
{
	static const char *const cpu_keys[] = {
		"usage_usec", "user_usec", "system_usec", "nr_periods",
		"nr_throttled", "throttled_usec", NULL,
	};
	static const char *const mem_keys[] = {
		"anon", "file", "inactive_file", "active_file", "kernel", "shmem",
		"pgfault", "pgmajfault", NULL,
	};
	static const char *const psi_files[NR_PSI] = {
		"cpu.pressure", "memory.pressure", "io.pressure",
	};
	uint64_t *cpu_out[] = {
		&g->usage_usec, &g->user_usec, &g->system_usec, &g->nr_periods,
		&g->nr_throttled, &g->throttled_usec,
	};
	uint64_t *mem_out[] = {
		&g->anon, &g->file, &g->inactive_file, &g->active_file,
		&g->kernel, &g->shmem, &g->pgfault, &g->pgmajfault,
	};
	char *sp;

	g->quota_us = g->period_us = g->weight = NO_VALUE;
	g->mem_current = g->mem_high = g->mem_max = NO_VALUE;
	if (read_file(c, dir, "cpu.stat") >= 0) {
		parse_flat(c->buf, cpu_keys, cpu_out);
		g->has_cpu_stat = 1;
	}
	if (read_file(c, dir, "cpu.max") >= 0 && (sp = strchr(c->buf, ' '))) {
		g->quota_us = parse_max(c->buf);
		g->period_us = strtoull(sp + 1, NULL, 10);
	}
	if (read_file(c, dir, "cpu.weight") >= 0)
		g->weight = strtoull(c->buf, NULL, 10);
	if (read_file(c, dir, "memory.current") >= 0)
		g->mem_current = strtoull(c->buf, NULL, 10);
	if (read_file(c, dir, "memory.stat") >= 0)
		parse_flat(c->buf, mem_keys, mem_out);
	if (read_file(c, dir, "memory.high") >= 0)
		g->mem_high = parse_max(c->buf);
	if (read_file(c, dir, "memory.max") >= 0)
		g->mem_max = parse_max(c->buf);
	for (int r = 0; r < NR_PSI; r++)
		if (read_file(c, dir, psi_files[r]) >= 0)
			parse_psi(c->buf, &g->some[r], &g->full[r]);
}

static struct cg *add(struct cadv *c)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (!c->v)
			fail("out of memory");
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

/* The container tree: every directory below the mount, parents first. */
static void walk(struct cadv *c, const char *dir, size_t skip)
{
	char sub[PATH_MAX_LEN];
	struct dirent *de;
	struct cg *g = add(c);
	DIR *d;

	snprintf(g->path, sizeof(g->path), "%s", dir[skip] ? dir + skip : "/");
	read_cg(c, g, dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		walk(c, sub, skip);
	}
	closedir(d);
}

int cadv_collect(struct cadv *c)
{
	c->n = 0;
	walk(c, c->mount, strlen(c->mount));
	return c->n;
}

/* -- rendering: one line per sample, through snprintf into a buffer -- */

struct out {
	int fd;
	size_t len, total;
	char b[1 << 16];
};

static void flush(struct out *o)
{
	if (o->len && write(o->fd, o->b, o->len) != (ssize_t)o->len)
		fail("write:");
	o->total += o->len;
	o->len = 0;
}

static void __attribute__((format(printf, 2, 3))) line(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sizeof(o->b) - o->len < 1024)
		flush(o);
	va_start(ap, fmt);
	n = vsnprintf(o->b + o->len, sizeof(o->b) - o->len, fmt, ap);
	va_end(ap);
	o->len += n;
}

/* A gauge or counter family of one value per cgroup, absent where NO_VALUE. */
static void family(struct out *o, struct cadv *c, const char *name, const char *type,
		   size_t off, double scale)
{
	line(o, "# HELP %s %s.\n# TYPE %s %s\n", name, name, name, type);
	for (int i = 0; i < c->n; i++) {
		uint64_t v = *(const uint64_t *)((const char *)&c->v[i] + off);

		if (v < NO_VALUE - 1)
			line(o, "%s{id=\"%s\"} %.9g\n", name, c->v[i].path, v * scale);
	}
}

#define FAM(name, type, field, scale) family(&o, c, name, type, offsetof(struct cg, field), scale)

size_t cadv_render(struct cadv *c, int fd)
{
	static struct out o;
	static const char *const res[NR_PSI] = { "cpu", "memory", "io" };

	o.fd = fd;
	o.len = o.total = 0;
	FAM("container_cpu_usage_seconds_total", "counter", usage_usec, 1e-6);
	FAM("container_cpu_user_seconds_total", "counter", user_usec, 1e-6);
	FAM("container_cpu_system_seconds_total", "counter", system_usec, 1e-6);
	FAM("container_cpu_cfs_periods_total", "counter", nr_periods, 1);
	FAM("container_cpu_cfs_throttled_periods_total", "counter", nr_throttled, 1);
	FAM("container_cpu_cfs_throttled_seconds_total", "counter", throttled_usec, 1e-6);
	FAM("container_spec_cpu_quota", "gauge", quota_us, 1);
	FAM("container_spec_cpu_period", "gauge", period_us, 1);
	FAM("container_spec_cpu_shares", "gauge", weight, 1);
	FAM("container_memory_usage_bytes", "gauge", mem_current, 1);
	FAM("container_memory_rss", "gauge", anon, 1);
	FAM("container_memory_cache", "gauge", file, 1);
	FAM("container_memory_inactive_file_bytes", "gauge", inactive_file, 1);
	FAM("container_spec_memory_reservation_limit_bytes", "gauge", mem_high, 1);
	FAM("container_spec_memory_limit_bytes", "gauge", mem_max, 1);
	line(&o, "# HELP container_memory_working_set_bytes working set.\n"
		 "# TYPE container_memory_working_set_bytes gauge\n");
	for (int i = 0; i < c->n; i++)
		if (c->v[i].mem_current != NO_VALUE)
			line(&o, "container_memory_working_set_bytes{id=\"%s\"} %" PRIu64 "\n",
			     c->v[i].path, c->v[i].mem_current > c->v[i].inactive_file ?
			     c->v[i].mem_current - c->v[i].inactive_file : 0);
	for (int r = 0; r < NR_PSI; r++) {
		line(&o, "# HELP container_pressure_%s_waiting_seconds_total stalls.\n"
			 "# TYPE container_pressure_%s_waiting_seconds_total counter\n",
		     res[r], res[r]);
		for (int i = 0; i < c->n; i++)
			if (c->v[i].some[r].has)
				line(&o, "container_pressure_%s_waiting_seconds_total{id=\"%s\"} %.6f\n",
				     res[r], c->v[i].path, c->v[i].some[r].total_us / 1e6);
		line(&o, "# HELP container_pressure_%s_stalled_seconds_total stalls.\n"
			 "# TYPE container_pressure_%s_stalled_seconds_total counter\n",
		     res[r], res[r]);
		for (int i = 0; i < c->n; i++)
			if (c->v[i].full[r].has)
				line(&o, "container_pressure_%s_stalled_seconds_total{id=\"%s\"} %.6f\n",
				     res[r], c->v[i].path, c->v[i].full[r].total_us / 1e6);
	}
	flush(&o);
	return o.total;
}
