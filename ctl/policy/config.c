// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's configuration: one directive per line, '#' to the end
 * of a line is a comment. Everything is parsed into a fresh struct and
 * checked as a whole before the caller sees it.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/args.h"
#include "model/k8s.h"
#include "model/model.h"
#include "policy/config.h"

#define MAX_TOKENS 32
#define MAX_FILE (1 << 20)

struct parser {
	const char *name;
	int line;
	char *err;
	size_t errlen;
	struct cgs_conf *c;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

void cgs_conf_init(struct cgs_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ns = 1000000000ull;
	c->act_every = 3;
	c->window = 5;
	c->hysteresis = 0.05;
	for (int r = 0; r < CGS_NR_RES; r++)
		c->policy[r] = CGS_POLICY_MAXMIN;
	c->mem_floor = 64ull << 20;
	c->mem_headroom = 32ull << 20;
	c->mem_step = 0.10;
	c->cpu_period_us = 100000;
	c->enforce_cpu = CGS_ENF_CPU_MAX | CGS_ENF_CPU_WEIGHT;
	c->enforce_mem = CGS_ENF_MEM_HIGH;
}

void cgs_conf_free(struct cgs_conf *c)
{
	for (size_t i = 0; i < c->nr_cg; i++)
		free(c->cg[i].path);
	for (size_t i = 0; i < c->nr_parent; i++)
		free(c->parent[i].path);
	for (size_t i = 0; i < c->nr_kubelet_manage; i++)
		free(c->kubelet_manage[i]);
	free(c->kubelet_manage);
	free(c->cg);
	free(c->parent);
	free(c->file);
	free(c->cgroup_root);
	memset(c, 0, sizeof(*c));
}

static int res_parse(const char *s, enum cgs_res *r)
{
	static const char *const names[CGS_NR_RES] = {
		[CGS_CPU] = "cpu", [CGS_MEM] = "memory", [CGS_GPU] = "gpu",
	};

	for (int i = 0; i < CGS_NR_RES; i++)
		if (!strcmp(s, names[i])) {
			*r = i;
			return 0;
		}
	return -1;
}

static int num(struct parser *p, const char *what, const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*v) || *v < 0)
		return fail(p, "bad %s: %s (want a number >= 0, e.g. 1.5)",
			    what, s);
	return 0;
}

static int size(struct parser *p, const char *what, const char *s,
		uint64_t *v)
{
	if (parse_size(s, v))
		return fail(p, "bad %s: %s (want a size such as 512M or 2G)",
			    what, s);
	return 0;
}

static int percent(struct parser *p, const char *what, const char *s,
		   double *v)
{
	size_t n = strlen(s);
	char buf[32];
	char *end;

	if (n < 2 || n >= sizeof(buf) || s[n - 1] != '%')
		goto bad;
	memcpy(buf, s, n - 1);
	buf[n - 1] = '\0';
	*v = strtod(buf, &end);
	if (end == buf || *end || !(*v >= 0 && *v <= 100))
		goto bad;
	*v /= 100;
	return 0;
bad:
	return fail(p, "bad %s: %s (want a percentage from 0%% to 100%%, "
		    "e.g. 10%%)", what, s);
}

static int count(struct parser *p, const char *what, const char *s,
		 unsigned int lo, unsigned int hi, unsigned int *v)
{
	uint64_t x;

	if (parse_u64(s, &x) || x < lo || x > hi)
		return fail(p, "bad %s: %s (want a whole number from %u to %u)",
			    what, s, lo, hi);
	*v = x;
	return 0;
}

static int path(struct parser *p, const char *s, char **out)
{
	struct cgs_target t;
	char buf[4096];

	if (parse_target(s, &t, buf, sizeof(buf)) || t.by_id)
		return fail(p, "bad cgroup path: %s (want an absolute path "
			    "such as /jobs/a, without . or ..)", s);
	if (!strcmp(buf, "/"))
		return fail(p, "the root cgroup cannot be managed: its limits "
			    "are not writable");
	*out = strdup(buf);
	return *out ? 0 : fail(p, "out of memory");
}

static int want_args(struct parser *p, int argc, int lo, int hi,
		     const char *usage)
{
	if (argc - 1 < lo || argc - 1 > hi)
		return fail(p, "wrong number of arguments (want: %s)", usage);
	return 0;
}

/* "cgroup PATH [KEY VALUE]..." */
static int cgroup_line(struct parser *p, int argc, char **argv)
{
	struct cgs_conf *c = p->c;
	struct cgs_conf_cgroup *cg, *v;
	double x;

	if (argc < 2 || argc % 2)
		return fail(p, "cgroup: want: cgroup PATH [KEY VALUE]... "
			    "(keys: weight, min-cpu, max-cpu, min-memory, "
			    "max-memory, min-gpu, max-gpu, max-gpu-memory, "
			    "min-gpu-memory)");
	v = realloc(c->cg, (c->nr_cg + 1) * sizeof(*v));
	if (!v)
		return fail(p, "out of memory");
	c->cg = v;
	cg = &v[c->nr_cg];
	memset(cg, 0, sizeof(*cg));
	cg->line = p->line;
	cg->weight = 1;
	for (int r = 0; r < CGS_NR_RES; r++)
		cg->max[r] = CGS_UNLIMITED;
	if (path(p, argv[1], &cg->path))
		return -1;
	c->nr_cg++;
	for (int i = 2; i < argc; i += 2) {
		const char *k = argv[i], *val = argv[i + 1];
		bool is_min = !strncmp(k, "min-", 4);
		enum cgs_res r;
		uint64_t b;

		if (!strcmp(k, "weight")) {
			if (num(p, "weight", val, &x))
				return -1;
			if (x <= 0 || x > 10000)
				return fail(p, "bad weight: %s (want a number "
					    "above 0, at most 10000)", val);
			cg->weight = x;
		} else if (!strcmp(k, "max-gpu-memory")) {
			if (size(p, k, val, &cg->gpu_mem_max))
				return -1;
			/* 0 is "unset" here: a cap of 0 must not vanish */
			if (!cg->gpu_mem_max)
				return fail(p, "bad max-gpu-memory: %s (want a "
					    "size above 0; leave the key out "
					    "for no cap)", val);
		} else if (!strcmp(k, "min-gpu-memory")) {
			if (size(p, k, val, &cg->gpu_mem_low))
				return -1;
		} else if ((is_min || !strncmp(k, "max-", 4)) &&
			   !res_parse(k + 4, &r)) {
			if (r == CGS_MEM) {
				if (size(p, k, val, &b))
					return -1;
				x = b;
			} else if (num(p, k, val, &x)) {
				return -1;
			}
			if (is_min)
				cg->min[r] = x;
			else
				cg->max[r] = x;
		} else {
			return fail(p, "cgroup: unknown key '%s' (keys: weight, "
				    "min-cpu, max-cpu, min-memory, max-memory, "
				    "min-gpu, max-gpu, max-gpu-memory, "
				    "min-gpu-memory)", k);
		}
	}
	for (int r = 0; r < CGS_NR_RES; r++)
		if (cg->min[r] > cg->max[r])
			return fail(p, "cgroup %s: min-%s is above max-%s",
				    cg->path, cgs_res_name(r),
				    cgs_res_name(r));
	if (cg->gpu_mem_max && cg->gpu_mem_low > cg->gpu_mem_max)
		return fail(p, "cgroup %s: min-gpu-memory is above "
			    "max-gpu-memory", cg->path);
	return 0;
}

/* "parent PATH [weight W]" */
static int parent_line(struct parser *p, int argc, char **argv)
{
	struct cgs_conf *c = p->c;
	struct cgs_conf_parent *v, *pa;
	char *s;
	double w = 1;

	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "weight")))
		return fail(p, "parent: want: parent PATH [weight W]");
	if (argc == 4 && num(p, "weight", argv[3], &w))
		return -1;
	if (w <= 0 || w > 10000)
		return fail(p, "bad weight: %s (want a number above 0, at "
			    "most 10000)", argv[3]);
	if (!strcmp(argv[1], "/")) {
		/* The root's own limits are not writable; its children's are. */
		s = strdup("/");
		if (!s)
			return fail(p, "out of memory");
	} else if (path(p, argv[1], &s)) {
		return -1;
	}
	v = realloc(c->parent, (c->nr_parent + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return fail(p, "out of memory");
	}
	c->parent = v;
	pa = &v[c->nr_parent++];
	pa->path = s;
	pa->line = p->line;
	pa->weight = w;
	return 0;
}

static int enforce_line(struct parser *p, int argc, char **argv)
{
	static const struct { const char *res, *word; unsigned int bits; } t[] = {
		{ "cpu", "max", CGS_ENF_CPU_MAX },
		{ "cpu", "weight", CGS_ENF_CPU_WEIGHT },
		{ "cpu", "both", CGS_ENF_CPU_MAX | CGS_ENF_CPU_WEIGHT },
		{ "cpu", "none", 0 },
		{ "memory", "high", CGS_ENF_MEM_HIGH },
		{ "memory", "max", CGS_ENF_MEM_MAX },
		{ "memory", "both", CGS_ENF_MEM_HIGH | CGS_ENF_MEM_MAX },
		{ "memory", "none", 0 },
	};

	if (want_args(p, argc, 2, 2, "enforce cpu max|weight|both|none, or "
		      "enforce memory high|max|both|none"))
		return -1;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(argv[1], t[i].res) || strcmp(argv[2], t[i].word))
			continue;
		if (t[i].res[0] == 'c')
			p->c->enforce_cpu = t[i].bits;
		else
			p->c->enforce_mem = t[i].bits;
		return 0;
	}
	if (!strcmp(argv[1], "gpu"))
		return fail(p, "enforce gpu: GPU time has no enforcement "
			    "mechanism; it is shared and reported only (GPU "
			    "memory: max-gpu-memory and min-gpu-memory)");
	return fail(p, "enforce %s %s: want enforce cpu max|weight|both|none "
		    "or enforce memory high|max|both|none", argv[1], argv[2]);
}

/* "floor memory 64M", "headroom memory 32M", "step memory 10%" */
static int memory_knob(struct parser *p, int argc, char **argv)
{
	if (want_args(p, argc, 2, 2, "floor|headroom|step memory VALUE"))
		return -1;
	if (strcmp(argv[1], "memory"))
		return fail(p, "%s: only memory has a %s (got '%s')", argv[0],
			    argv[0], argv[1]);
	if (!strcmp(argv[0], "floor"))
		return size(p, "floor", argv[2], &p->c->mem_floor);
	if (!strcmp(argv[0], "headroom"))
		return size(p, "headroom", argv[2], &p->c->mem_headroom);
	if (percent(p, "step", argv[2], &p->c->mem_step))
		return -1;
	if (p->c->mem_step <= 0)
		return fail(p, "step memory 0%% would never lower memory.high");
	return 0;
}

static int res_line(struct parser *p, int argc, char **argv)
{
	struct cgs_conf *c = p->c;
	enum cgs_res r;
	uint64_t b;
	double x;

	if (want_args(p, argc, 2, 2, !strcmp(argv[0], "policy") ?
		      "policy cpu|memory|gpu maxmin|proportional|drf" :
		      "capacity cpu|memory|gpu VALUE"))
		return -1;
	if (res_parse(argv[1], &r))
		return fail(p, "%s: unknown resource '%s' (want cpu, memory or "
			    "gpu)", argv[0], argv[1]);
	if (!strcmp(argv[0], "policy")) {
		if (cgs_policy_parse(argv[2], &c->policy[r]))
			return fail(p, "policy %s: unknown policy '%s' (want "
				    "maxmin, proportional or drf)", argv[1],
				    argv[2]);
		return 0;
	}
	if (r == CGS_MEM) {
		if (size(p, "capacity", argv[2], &b))
			return -1;
		x = b;
	} else if (num(p, "capacity", argv[2], &x)) {
		return -1;
	}
	c->capacity[r] = x;
	c->capacity_set[r] = true;
	return 0;
}

static int str_line(struct parser *p, int argc, char **argv, char **dst)
{
	if (want_args(p, argc, 1, 1, "cgroup-root PATH"))
		return -1;
	if (!strcmp(argv[0], "cgroup-root") && argv[1][0] != '/')
		return fail(p, "cgroup-root: want an absolute path, got %s",
			    argv[1]);
	free(*dst);
	*dst = strdup(argv[1]);
	return *dst ? 0 : fail(p, "out of memory");
}

/*
 * kubelet manage PATH: the kubelet's cgroups below PATH may be written
 * (only the knobs it leaves alone); elsewhere they are only observed.
 * kubelet memory-high on|off, kubelet memory-protection on|off: what its
 * MemoryQoS settings make it write besides (see cgs_conf_writable()).
 */
static int kubelet_line(struct parser *p, int argc, char **argv)
{
	struct cgs_conf *c = p->c;
	char **v, *s;

	if (argc == 3 && (!strcmp(argv[1], "memory-high") ||
			  !strcmp(argv[1], "memory-protection"))) {
		if (strcmp(argv[2], "on") && strcmp(argv[2], "off"))
			return fail(p, "kubelet %s: want on or off, got %s",
				    argv[1], argv[2]);
		*(argv[1][7] == 'h' ? &c->kubelet_memory_high :
		  &c->kubelet_memory_protection) = !strcmp(argv[2], "on");
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "manage"))
		return fail(p, "kubelet: want: kubelet manage PATH, kubelet "
			    "memory-high on|off or kubelet memory-protection "
			    "on|off");
	if (path(p, argv[2], &s))
		return -1;
	v = realloc(c->kubelet_manage, (c->nr_kubelet_manage + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return fail(p, "out of memory");
	}
	c->kubelet_manage = v;
	v[c->nr_kubelet_manage++] = s;
	return 0;
}

static int directive(struct parser *p, int argc, char **argv)
{
	struct cgs_conf *c = p->c;
	const char *k = argv[0];
	uint64_t ns;

	if (!strcmp(k, "cgroup"))
		return cgroup_line(p, argc, argv);
	if (!strcmp(k, "parent"))
		return parent_line(p, argc, argv);
	if (!strcmp(k, "kubelet"))
		return kubelet_line(p, argc, argv);
	if (!strcmp(k, "enforce"))
		return enforce_line(p, argc, argv);
	if (!strcmp(k, "policy") || !strcmp(k, "capacity"))
		return res_line(p, argc, argv);
	if (!strcmp(k, "floor") || !strcmp(k, "headroom") ||
	    !strcmp(k, "step"))
		return memory_knob(p, argc, argv);
	if (!strcmp(k, "cgroup-root"))
		return str_line(p, argc, argv, &c->cgroup_root);
	if (!strcmp(k, "dmem-region"))
		return fail(p, "dmem-region: regions are read from dmem.capacity "
			    "now; remove this line");
	if (!strcmp(k, "interval") || !strcmp(k, "cpu-period")) {
		bool iv = k[0] == 'i';

		if (want_args(p, argc, 1, 1, iv ? "interval DURATION" :
			      "cpu-period DURATION"))
			return -1;
		if (parse_duration(argv[1], &ns) ||
		    (iv && (ns < 10000000ull || ns > 3600000000000ull)) ||
		    (!iv && (ns < 1000000ull || ns > 1000000000ull)))
			return fail(p, iv ? "bad interval: %s (want 10ms to 1h, "
				    "e.g. 1s or 500ms)" : "bad cpu-period: %s "
				    "(want 1ms to 1s, e.g. 100ms)", argv[1]);
		if (iv)
			c->interval_ns = ns;
		else
			c->cpu_period_us = ns / 1000;
		return 0;
	}
	if (!strcmp(k, "act-every"))
		return want_args(p, argc, 1, 1, "act-every N") ? -1 :
			count(p, "act-every", argv[1], 1, 1000, &c->act_every);
	if (!strcmp(k, "window"))
		return want_args(p, argc, 1, 1, "window N") ? -1 :
			count(p, "window", argv[1], 1, CGS_CONF_MAX_WINDOW,
			      &c->window);
	if (!strcmp(k, "hysteresis"))
		return want_args(p, argc, 1, 1, "hysteresis PERCENT") ? -1 :
			percent(p, "hysteresis", argv[1], &c->hysteresis);
	return fail(p, "unknown directive '%s'", k);
}

static int tokenize(struct parser *p, char *s, char **argv)
{
	int argc = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			return argc;
		if (argc == MAX_TOKENS)
			return fail(p, "too many words on one line");
		argv[argc++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return argc;
		}
		if (*s)
			*s++ = '\0';
	}
}

static int by_path(const void *a, const void *b)
{
	const struct cgs_conf_cgroup *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Checks that need the whole file: duplicates, guarantees that fit. */
static int check(struct parser *p)
{
	struct cgs_conf *c = p->c;

	/* A path is a prefix of its descendants': parents sort first. */
	qsort(c->cg, c->nr_cg, sizeof(*c->cg), by_path);
	for (size_t i = 1; i < c->nr_cg; i++)
		if (!strcmp(c->cg[i - 1].path, c->cg[i].path)) {
			int a = c->cg[i - 1].line, b = c->cg[i].line;

			p->line = a > b ? a : b;
			return fail(p, "cgroup %s is already declared on "
				    "line %d", c->cg[i].path, a < b ? a : b);
		}
	for (size_t i = 1; i < c->nr_parent; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->parent[i].path, c->parent[j].path)) {
				p->line = c->parent[i].line;
				return fail(p, "parent %s is already declared "
					    "on line %d", c->parent[i].path,
					    c->parent[j].line);
			}
	for (int r = 0; r < CGS_NR_RES; r++) {
		double sum = 0;

		if (!c->capacity_set[r])
			continue;
		/* Top-level guarantees must fit the capacity. */
		for (size_t i = 0; i < c->nr_cg; i++) {
			bool top = true;

			for (size_t j = 0; j < i; j++) {
				size_t n = strlen(c->cg[j].path);

				if (!strncmp(c->cg[i].path, c->cg[j].path, n) &&
				    c->cg[i].path[n] == '/')
					top = false;
			}
			if (top)
				sum += c->cg[i].min[r];
		}
		if (sum > c->capacity[r] * (1 + 1e-9)) {
			p->line = 0;
			for (size_t i = 0; i < c->nr_cg; i++)
				if (c->cg[i].min[r] > 0 &&
				    c->cg[i].line > p->line)
					p->line = c->cg[i].line;
			return fail(p, "the min-%s guarantees add up to more "
				    "than capacity %s", cgs_res_name(r),
				    cgs_res_name(r));
		}
	}
	if (!c->nr_cg && !c->nr_parent) {
		p->line = 0;
		snprintf(p->err, p->errlen, "%s: no cgroup or parent lines: "
			 "nothing to manage", p->name);
		return -1;
	}
	return 0;
}

int cgs_conf_parse(const char *name, const char *text, struct cgs_conf *c,
		   char *err, size_t errlen)
{
	struct parser p = { name, 0, err, errlen, c };
	char *buf, *line, *next;
	char *argv[MAX_TOKENS];
	int argc, ret = 0;

	cgs_conf_init(c);
	err[0] = '\0';
	buf = strdup(text);
	c->file = strdup(name);
	if (!buf || !c->file) {
		ret = fail(&p, "out of memory");
		goto out;
	}
	for (line = buf; line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		argc = tokenize(&p, line, argv);
		if (argc < 0)
			ret = -1;
		else if (argc)
			ret = directive(&p, argc, argv);
	}
	if (!ret)
		ret = check(&p);
	if (!ret && !c->cgroup_root) {
		c->cgroup_root = strdup("/sys/fs/cgroup");
		if (!c->cgroup_root)
			ret = fail(&p, "out of memory");
	}
out:
	free(buf);
	if (ret)
		cgs_conf_free(c);
	return ret;
}

int cgs_conf_load(const char *file, struct cgs_conf *c, char *err,
		  size_t errlen)
{
	FILE *f = fopen(file, "re");
	char *text;
	size_t n;
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	text = malloc(MAX_FILE + 1);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	n = fread(text, 1, MAX_FILE + 1, f);
	if (ferror(f) || n > MAX_FILE) {
		snprintf(err, errlen, "%s: %s", file, ferror(f) ?
			 "read error" : "larger than 1 MiB");
		ret = -1;
	} else if (memchr(text, '\0', n)) {
		snprintf(err, errlen, "%s: not a text file (NUL byte)", file);
		ret = -1;
	} else {
		text[n] = '\0';
		ret = cgs_conf_parse(file, text, c, err, errlen);
	}
	free(text);
	fclose(f);
	return ret;
}

const struct cgs_conf_cgroup *cgs_conf_find(const struct cgs_conf *c,
					    const char *path)
{
	struct cgs_conf_cgroup key = { .path = (char *)path };

	if (!c->nr_cg)
		return NULL;
	return bsearch(&key, c->cg, c->nr_cg, sizeof(*c->cg), by_path);
}

static bool below(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return true;
	return !strncmp(path, root, n) && (path[n] == '/' || !path[n]);
}

unsigned int cgs_conf_writable(const struct cgs_conf *c, const char *path)
{
	unsigned int mine = (1u << CGS_LIM_DMEM_MAX) | (1u << CGS_LIM_DMEM_LOW);
	struct cgs_k8s k;

	if (!cgs_k8s_parse(path, &k) || !k.kubelet)
		return (1u << CGS_NR_LIM) - 1;
	if (!c->kubelet_memory_high)
		mine |= 1u << CGS_LIM_MEM_HIGH;
	if (!c->kubelet_memory_protection)
		mine |= 1u << CGS_LIM_MEM_LOW;
	for (size_t i = 0; i < c->nr_kubelet_manage; i++)
		if (below(path, c->kubelet_manage[i]))
			return mine;
	return 0;
}
