/* SPDX-License-Identifier: GPL-2.0 */
/* What the GPU collectors count, per CPU; read by `cgsharectl gpu status`. */
#ifndef CGSHARE_GPU_STATS_H
#define CGSHARE_GPU_STATS_H

enum {
	CGS_GPU_ST_CHARGED,	/* charged into the ledger */
	CGS_GPU_ST_GONE,	/* the cgroup was removed before the job ended */
	CGS_GPU_ST_REFUSED,	/* the ledger refused the charge otherwise */
	CGS_GPU_ST_KTHREAD,	/* fences created by kernel threads, not followed */
	CGS_GPU_ST_UNSIGNALLED,	/* fences freed without being signalled */
	CGS_GPU_ST_UNNAMED,	/* scheduler jobs whose ring had no name */
	CGS_GPU_ST_UNTRACKED,	/* jobs not followed: their slot was taken */
	CGS_GPU_ST_MAX,
};

#endif
