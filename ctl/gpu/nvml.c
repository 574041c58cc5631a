// SPDX-License-Identifier: GPL-2.0
/*
 * NVIDIA collector through NVML, loaded with dlopen. The few NVML types
 * used are declared here from the documented ABI (NVML API reference);
 * no NVIDIA header is included. The real libnvidia-ml.so.1 is used
 * unchanged on a real NVIDIA host; the tests use tests/nvml_standin.c.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/nvml.h"

/* NVML ABI, as documented. */
typedef int nvmlReturn_t;
typedef void *nvmlDevice_t;
#define NVML_SUCCESS			0
#define NVML_ERROR_UNINITIALIZED	1
#define NVML_ERROR_NOT_SUPPORTED	3
#define NVML_ERROR_NOT_FOUND		6
#define NVML_ERROR_INSUFFICIENT_SIZE	7
#define NVML_VALUE_NOT_AVAILABLE	(~0ull)

typedef struct {
	char busIdLegacy[16];
	unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
	char busId[32];
} nvmlPciInfo_t;

typedef struct {			/* nvmlProcessInfo_v3_t */
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

typedef struct {
	unsigned int pid;
	unsigned long long timeStamp;	/* CPU time, microseconds */
	unsigned int smUtil, memUtil, encUtil, decUtil;
} nvmlProcessUtilizationSample_t;

struct cgs_nvml_fns {
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	const char *(*error_string)(nvmlReturn_t);
	nvmlReturn_t (*count)(unsigned int *);
	nvmlReturn_t (*handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*pci)(nvmlDevice_t, nvmlPciInfo_t *);
	nvmlReturn_t (*procs)(nvmlDevice_t, unsigned int *,
			      nvmlProcessInfo_t *);
	nvmlReturn_t (*util)(nvmlDevice_t, nvmlProcessUtilizationSample_t *,
			     unsigned int *, unsigned long long);
};

/* A gap longer than this between samples is a restart, not busy time. */
#define MAX_GAP_US (600ull * 1000000)
#define MAX_ENTRIES 65536

static void off(struct cgs_nvml *n, const char *fmt, const char *a,
		const char *b)
{
	n->on = 0;
	snprintf(n->reason, sizeof(n->reason), fmt, a, b ? b : "");
}

static const char *estr(struct cgs_nvml *n, nvmlReturn_t r)
{
	const char *s = n->fn && n->fn->error_string ?
		n->fn->error_string(r) : NULL;

	return s ? s : "unknown NVML error";
}

int cgs_nvml_open(struct cgs_nvml *n, const char *lib, const char *proc_root)
{
	static const struct { const char *name; size_t off; } syms[] = {
#define S(f, s) { s, offsetof(struct cgs_nvml_fns, f) }
		S(init, "nvmlInit_v2"),
		S(shutdown, "nvmlShutdown"),
		S(error_string, "nvmlErrorString"),
		S(count, "nvmlDeviceGetCount_v2"),
		S(handle, "nvmlDeviceGetHandleByIndex_v2"),
		S(pci, "nvmlDeviceGetPciInfo_v3"),
		S(procs, "nvmlDeviceGetComputeRunningProcesses_v3"),
		S(util, "nvmlDeviceGetProcessUtilization"),
#undef S
	};
	unsigned int i, cnt = 0;
	nvmlReturn_t r;
	const char *e;

	memset(n, 0, sizeof(*n));
	n->proc_root = strdup(proc_root ? proc_root : "/proc");
	n->fn = calloc(1, sizeof(*n->fn));
	if (!n->proc_root || !n->fn) {
		off(n, "nvml: out of memory%s%s", "", NULL);
		return -1;
	}
	if (!lib)
		lib = CGS_NVML_LIB;
	dlerror();
	n->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!n->dl) {
		e = dlerror();
		off(n, "nvml: cannot load %s (no NVIDIA driver?): %s", lib,
		    e ? e : "unknown error");
		return -1;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *p;

		dlerror();
		p = dlsym(n->dl, syms[i].name);
		if (!p || dlerror()) {
			off(n, "nvml: %s lacks %s (driver too old?)", lib,
			    syms[i].name);
			return -1;
		}
		/* POSIX: a data pointer from dlsym converts to a function. */
		memcpy((char *)n->fn + syms[i].off, &p, sizeof(p));
	}
	r = n->fn->init();
	if (r != NVML_SUCCESS) {
		off(n, "nvml: nvmlInit failed: %s%s", estr(n, r), NULL);
		return -1;
	}
	n->inited = 1;		/* from here on close() shuts NVML down */
	r = n->fn->count(&cnt);
	if (r != NVML_SUCCESS) {
		off(n, "nvml: cannot count devices: %s%s", estr(n, r), NULL);
		return -1;
	}
	if (cnt > 1024)
		cnt = 1024;
	n->dev = calloc(cnt ? cnt : 1, sizeof(*n->dev));
	if (!n->dev) {
		off(n, "nvml: out of memory%s%s", "", NULL);
		return -1;
	}
	for (i = 0; i < cnt; i++) {
		struct cgs_nvml_dev *d = &n->dev[n->ndev];
		nvmlPciInfo_t pci;

		memset(&pci, 0, sizeof(pci));
		if (n->fn->handle(i, &d->handle) != NVML_SUCCESS ||
		    n->fn->pci(d->handle, &pci) != NVML_SUCCESS)
			continue;	/* a device we may not see: skip it */
		pci.busId[sizeof(pci.busId) - 1] = 0;
		if (!pci.busId[0])
			continue;
		snprintf(d->bus, sizeof(d->bus), "%s", pci.busId);
		n->ndev++;
	}
	if (!n->ndev) {
		off(n, "nvml: no usable NVIDIA device%s%s", "", NULL);
		return -1;
	}
	n->reason[0] = 0;
	n->on = 1;
	return 0;
}

/* The cgroup2 path of @pid into @buf; -1 when the pid vanished. */
static int pid_cgroup(const struct cgs_nvml *n, unsigned int pid, char *buf,
		      size_t len)
{
	char path[512], line[CGS_NVML_CGPATH_LEN + 8];
	FILE *f;
	int found = -1;

	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "%s/%u/cgroup", n->proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t l = strcspn(line, "\n");

		line[l] = 0;
		if (strncmp(line, "0::/", 4) || l - 3 >= len)
			continue;
		memcpy(buf, line + 3, l - 2);
		found = 0;
		break;
	}
	fclose(f);
	return found;
}

struct acc {
	struct cgs_nvml_charge *v;
	size_t n, cap;
	int oom;
};

static struct cgs_nvml_charge *slot(struct acc *a, const char *cg,
				    const char *dev)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].cgroup, cg) && !strcmp(a->v[i].dev, dev))
			return &a->v[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		void *p = realloc(a->v, cap * sizeof(*a->v));

		if (!p) {
			a->oom = 1;
			return NULL;
		}
		a->v = p;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	snprintf(a->v[a->n].cgroup, sizeof(a->v[0].cgroup), "%s", cg);
	snprintf(a->v[a->n].dev, sizeof(a->v[0].dev), "%s", dev);
	return &a->v[a->n++];
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/*
 * One NVML query into a caller-sized array: @buf NULL asks the size.
 * NOT_FOUND from the utilisation query means no sample since @last.
 */
typedef nvmlReturn_t (*query_fn)(struct cgs_nvml *n, nvmlDevice_t h,
				 unsigned long long last, void *buf,
				 unsigned int *cnt);

static nvmlReturn_t query_procs(struct cgs_nvml *n, nvmlDevice_t h,
				unsigned long long last, void *buf,
				unsigned int *cnt)
{
	(void)last;
	return n->fn->procs(h, cnt, buf);
}

static nvmlReturn_t query_util(struct cgs_nvml *n, nvmlDevice_t h,
			       unsigned long long last, void *buf,
			       unsigned int *cnt)
{
	nvmlReturn_t r = n->fn->util(h, buf, cnt, last);

	if (r != NVML_ERROR_NOT_FOUND)
		return r;
	*cnt = 0;
	return NVML_SUCCESS;
}

/* Fills a caller-sized NVML array: ask the size, allocate, retry. */
static nvmlReturn_t fill(struct cgs_nvml *n, nvmlDevice_t h,
			 unsigned long long last, query_fn query, size_t size,
			 void **out, unsigned int *cnt)
{
	nvmlReturn_t r = NVML_SUCCESS;

	*out = NULL;
	*cnt = 0;
	for (int tries = 0; tries < 3; tries++) {
		unsigned int c = 0;

		free(*out);
		*out = NULL;
		r = query(n, h, last, NULL, &c);
		if (r == NVML_SUCCESS && !c)
			return r;
		if (r != NVML_ERROR_INSUFFICIENT_SIZE && r != NVML_SUCCESS)
			return r;
		/* processes may start between the calls */
		c = (c > MAX_ENTRIES ? MAX_ENTRIES : c) + 8;
		*out = calloc(c, size);
		if (!*out)
			return NVML_ERROR_INSUFFICIENT_SIZE;
		r = query(n, h, last, *out, &c);
		if (r == NVML_SUCCESS) {
			*cnt = c;
			return r;
		}
		if (r != NVML_ERROR_INSUFFICIENT_SIZE)
			break;
	}
	free(*out);
	*out = NULL;
	return r;
}

static int round_dev(struct cgs_nvml *n, struct cgs_nvml_dev *d,
		     struct acc *a)
{
	nvmlProcessInfo_t *pi;
	nvmlProcessUtilizationSample_t *us;
	unsigned int np, nu, i;
	void *buf;
	uint64_t newest;
	char cg[CGS_NVML_CGPATH_LEN];
	nvmlReturn_t r;

	r = fill(n, d->handle, 0, query_procs, sizeof(*pi), &buf, &np);
	pi = buf;
	if (r != NVML_SUCCESS && r != NVML_ERROR_NOT_SUPPORTED)
		return r;
	for (i = 0; i < np; i++) {
		struct cgs_nvml_charge *c;

		if (pid_cgroup(n, pi[i].pid, cg, sizeof(cg))) {
			n->nr_vanished++;
			continue;
		}
		c = slot(a, cg, d->bus);
		if (!c)
			break;
		if (pi[i].usedGpuMemory != NVML_VALUE_NOT_AVAILABLE)
			c->mem_bytes = sat_add(c->mem_bytes,
					       pi[i].usedGpuMemory);
	}
	free(pi);

	r = fill(n, d->handle, d->last_ts, query_util, sizeof(*us), &buf, &nu);
	us = buf;
	if (r != NVML_SUCCESS && r != NVML_ERROR_NOT_SUPPORTED)
		return r;
	newest = d->last_ts;
	for (i = 0; i < nu; i++) {
		struct cgs_nvml_charge *c;
		uint64_t ts = us[i].timeStamp, gap_us;

		if (ts <= d->last_ts) {		/* backwards or stale */
			n->nr_rejected++;
			continue;
		}
		if (ts > newest)
			newest = ts;
		if (!d->primed)
			continue;		/* first round: baseline only */
		gap_us = ts - d->last_ts;
		if (us[i].smUtil > 100 || gap_us > MAX_GAP_US) {
			n->nr_rejected++;
			continue;
		}
		if (!us[i].smUtil)
			continue;
		if (pid_cgroup(n, us[i].pid, cg, sizeof(cg))) {
			n->nr_vanished++;
			continue;
		}
		c = slot(a, cg, d->bus);
		if (!c)
			break;
		/* smUtil % of gap_us microseconds, in nanoseconds */
		c->busy_ns = sat_add(c->busy_ns, gap_us * 10 * us[i].smUtil);
	}
	free(us);
	d->last_ts = newest;
	d->primed = 1;
	return NVML_SUCCESS;
}

int cgs_nvml_collect(struct cgs_nvml *n, struct cgs_nvml_charge **out,
		     size_t *nout)
{
	struct acc a = { 0 };
	unsigned int i;

	*out = NULL;
	*nout = 0;
	if (!n->on)
		return -1;
	n->nr_vanished = n->nr_rejected = 0;
	n->reason[0] = 0;
	for (i = 0; i < n->ndev && !a.oom; i++) {
		nvmlReturn_t r = round_dev(n, &n->dev[i], &a);

		if (r == NVML_ERROR_UNINITIALIZED) {
			free(a.v);
			off(n, "nvml: library no longer initialised: %s%s",
			    estr(n, r), NULL);
			return -1;
		}
		if (r != NVML_SUCCESS)	/* this device, this round only */
			snprintf(n->reason, sizeof(n->reason),
				 "nvml: %s: %s", n->dev[i].bus, estr(n, r));
	}
	if (a.oom) {
		free(a.v);
		snprintf(n->reason, sizeof(n->reason), "nvml: out of memory");
		return -1;
	}
	*out = a.v;
	*nout = a.n;
	return 0;
}

void cgs_nvml_close(struct cgs_nvml *n)
{
	if (n->dl) {
		if (n->inited)
			n->fn->shutdown();
		dlclose(n->dl);
	}
	free(n->fn);
	free(n->dev);
	free(n->proc_root);
	n->dl = NULL;
	n->fn = NULL;
	n->dev = NULL;
	n->proc_root = NULL;
	n->ndev = 0;
	n->on = 0;
	n->inited = 0;
}
