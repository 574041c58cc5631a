/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_POLICY_VERIFY_H
#define CGS_POLICY_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/limits.h"

/*
 * Is the CPU scheduler obeying the limits? A sched_ext scheduler honours
 * cpu.weight and cpu.max only if it implements them, and the kernel does
 * not say whether it does: so it is measured. Pure: usage in, verdict out.
 *
 * cpu.max: a cgroup that wants more than its quota (it waits for CPU)
 * must use at most the quota. cpu.weight: siblings that all want more
 * than they get, and that no quota holds back, must split what they use
 * in proportion to their weights. Where no cgroup is in such a position
 * the knob is not judged.
 */

enum cgs_verdict {
	CGS_VERDICT_UNKNOWN,		/* nothing to judge by */
	CGS_VERDICT_HONOURED,
	CGS_VERDICT_IGNORED,
};

enum cgs_knob {
	CGS_KNOB_CPU_WEIGHT,
	CGS_KNOB_CPU_MAX,
	CGS_NR_KNOBS,
};

/* One managed cgroup over the measured interval. */
struct cgs_verify_cg {
	const char *path;
	int parent;		/* index of its managed parent, or -1 */
	double usage;		/* CPUs used */
	double wait;		/* CPUs' worth of run-queue wait (the
				   ledger's, or cpu.pressure "some" when
				   that is more: control/round.c) */
	double weight;		/* cpu.weight in force, 0: unknown */
	double quota;		/* cpu.max in CPUs, inf: max */
};

/* How far measured usage may stray from what the knob allows. */
#define CGS_VERIFY_TOLERANCE 0.20
/* Wait above this (CPUs) is wanting more. */
#define CGS_VERIFY_WANTING 0.05

struct cgs_verify_knob {
	enum cgs_verdict verdict;
	double gap;		/* worst relative deviation seen */
	int worst;		/* the cgroup it was seen on, or -1 */
	const char *worst_path;	/* ... its path */
	double want, got;	/* its planned and measured values */
	unsigned int judged;	/* cgroups the verdict rests on */
};

const char *cgs_knob_file(enum cgs_knob k);
/* The limit file a knob is: CGS_LIM_CPU_WEIGHT, CGS_LIM_CPU_MAX. */
enum cgs_limit cgs_knob_limit(enum cgs_knob k);
const char *cgs_verdict_name(enum cgs_verdict v);

void cgs_verify(const struct cgs_verify_cg *cg, size_t n,
		struct cgs_verify_knob out[CGS_NR_KNOBS]);

#endif
