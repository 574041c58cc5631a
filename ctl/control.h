/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_CONTROL_H
#define CGSHARECTL_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "demand.h"
#include "model.h"
#include "share.h"

/*
 * The controller (plan, apply, run) and what it offers other parts of
 * cgsharectl running inside "run": a hook called after every sample with
 * the latest state, and extra file descriptors the run loop polls.
 */

/* One managed cgroup as of the latest round. */
struct cgs_round_cg {
	const char *path;
	uint64_t id;
	double weight;
	bool has[CGS_NR_RES];		/* demand measured */
	double demand[CGS_NR_RES];	/* smoothed */
	double share[CGS_NR_RES];	/* the solver's, before hysteresis */
	enum cgs_reason reason[CGS_NR_RES];
	double min[CGS_NR_RES], max[CGS_NR_RES];
	uint64_t cpu_quota_us;		/* cpu.max applied; UINT64_MAX: max */
	uint64_t mem_high;		/* memory.high applied; UINT64_MAX: max */
	const struct cgs_cgroup *rec;	/* its ledger record, or NULL */
};

struct cgs_round {
	uint64_t t_ns;			/* CLOCK_MONOTONIC of the sample */
	uint64_t interval_ns;		/* since the sample before */
	bool acted;			/* limits were computed this round */
	const struct cgs_conf *conf;
	const double *capacity;		/* [CGS_NR_RES] */
	const struct cgs_list *sample;	/* every cgroup of the ledger */
	const struct cgs_round_cg *cg;
	size_t n;
};

typedef void (*cgs_round_hook)(const struct cgs_round *r, void *arg);
typedef void (*cgs_fd_ready)(int fd, void *arg);

/* "run" calls @fn after each sample; the data lives until the next call. */
void cgs_run_set_hook(cgs_round_hook fn, void *arg);
/* "run" calls @fn whenever @fd is readable; -ENOSPC past 8 descriptors. */
int cgs_run_watch_fd(int fd, cgs_fd_ready fn, void *arg);

/*
 * What "top -c FILE" shows: the demand and shares of the managed cgroups,
 * by the same sampling and solving as "plan", nothing written. The view
 * uses @nl (the caller's, left open) for its own ledger dumps; each update
 * is one sample, so the config's window counts the caller's intervals.
 */
struct cgs_nl;
struct cgs_view;

/* Loads @file (errors on stderr); 0 or a negative errno. */
int cgs_view_open(const char *file, struct cgs_nl *nl, struct cgs_view **v);
/* One sample and solve; demand needs two samples. 0 or a negative errno. */
int cgs_view_update(struct cgs_view *v);
/*
 * The managed cgroup at @path as of the latest update (has[] false while it
 * is not measured yet), or NULL when the config does not manage it.
 */
const struct cgs_round_cg *cgs_view_find(const struct cgs_view *v,
					 const char *path);
void cgs_view_close(struct cgs_view *v);

struct cmd;
extern const struct cmd cmd_plan, cmd_apply, cmd_run;

#endif
