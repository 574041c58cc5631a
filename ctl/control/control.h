/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_CONTROL_CONTROL_H
#define CGS_CONTROL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"
#include "model/model.h"
#include "policy/config.h"
#include "policy/demand.h"
#include "policy/plan.h"
#include "policy/share.h"
#include "policy/verify.h"

/*
 * The controller: a round samples the ledger (its dump and one read of
 * the cgroup iterator, no cgroupfs file), turns two samples into demand,
 * solves the shares (policy/share.c), plans the limits (policy/plan.c)
 * and writes what changed through cgroupfs/, reading a file only where it
 * writes (to find someone else's write there, and what the kernel made of
 * its own). plan, apply, run and top -c drive it; it owns
 * no loop, no signal and no output of its own but its log lines.
 */

struct cgs_ctl;

struct cgs_ctl_opts {
	bool dry_run;		/* never write (plan, top -c) */
	bool restore;		/* put originals back when a cgroup leaves */
	bool quiet;		/* no log line when a cgroup vanishes */
	/*
	 * Where what was written is kept across restarts (control/state.h),
	 * or NULL to keep it in memory only.
	 */
	const char *state_file;
};

/* One managed cgroup as of the latest round. */
struct cgs_ctl_cg {
	const char *path;
	uint64_t id;			/* 0 until seen in the ledger */
	bool present;			/* in the latest sample */
	bool measured;			/* has demand, so it was solved */
	double weight;
	double min[CGS_NR_RES], max[CGS_NR_RES];
	enum cgs_reason reason[CGS_NR_RES];
	const struct cgs_demand_raw *raw;	/* latest interval, or NULL */
	const struct cgs_plan_cg *plan;	/* demand, share, limit values */
	const struct cgs_cgroup *rec;	/* its ledger record, or NULL */
	unsigned int writable;		/* limits we may write (enum cgs_limit) */
	unsigned int backoff;		/* ... but someone else wrote since */
	double cpu_limit;		/* cpu.max in force, CPUs; inf: max */
	double cpu_weight;		/* cpu.weight in force; 0: unknown */
};

struct cgs_ctl_round {
	uint64_t t_ns;			/* CLOCK_MONOTONIC of the sample */
	uint64_t interval_ns;		/* since the sample before, or 0 */
	const struct cgs_conf *conf;
	const double *capacity;		/* [CGS_NR_RES] */
	const struct cgs_list *sample;	/* the whole ledger, sorted by id */
	const struct cgs_ctl_cg *cg;	/* sorted by path */
	size_t n;
	const char *scheduler;		/* "fair", "sched_ext:NAME" */
};

/*
 * Loads @file (errors on stderr) and opens the cgroup root. With @nl the
 * caller's ledger connection is used and left open; with NULL the
 * controller opens its own. 0 or a negative errno.
 */
int cgs_ctl_open(struct cgs_ctl **cp, const char *file, struct cgs_nl *nl,
		 const struct cgs_ctl_opts *o);
/* With restore, puts back every original limit first. */
void cgs_ctl_close(struct cgs_ctl *c);
/*
 * Replaces the configuration by @file's; on error keeps the old one and
 * says why in @err ("file:line: problem").
 */
int cgs_ctl_reload(struct cgs_ctl *c, const char *file, char *err,
		   size_t errlen);
/* One sample: the ledger dump, the managed set, readings, demand. */
int cgs_ctl_sample(struct cgs_ctl *c);
/* Shares and limit values from the samples so far; nothing written. */
int cgs_ctl_plan(struct cgs_ctl *c);

/*
 * Told of each limit that changed (or, dry, would), with the plan it came
 * from (what usage it was planned for, say).
 */
typedef void (*cgs_ctl_change_fn)(const char *path, const char *file,
				  const char *old, const char *value,
				  bool written, const struct cgs_plan_cg *p,
				  void *arg);
/* Writes the planned values that differ; returns the failed writes. */
unsigned int cgs_ctl_write(struct cgs_ctl *c, cgs_ctl_change_fn fn,
			   void *arg);

/*
 * Judges whether the scheduler obeys cpu.weight and cpu.max, from the
 * usage and wait the managed cgroups had over the samples since the last
 * call, with the limits in force (policy/verify.h); starts a new window.
 * Returns how many cgroups the window had.
 */
size_t cgs_ctl_verify(struct cgs_ctl *c, struct cgs_verify_knob out[CGS_NR_KNOBS]);

/* The latest round; valid until the next call on @c. */
const struct cgs_ctl_round *cgs_ctl_round(struct cgs_ctl *c);
/* The managed cgroup at @path, or NULL. */
const struct cgs_ctl_cg *cgs_ctl_find(struct cgs_ctl *c, const char *path);

#endif
