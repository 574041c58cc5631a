/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVIDIA collector: per-process GPU utilisation and used memory read from
 * libnvidia-ml.so.1, loaded with dlopen at run time (no build-time
 * dependency, no NVIDIA header), attributed by pid to cgroups.
 *
 * On a real NVIDIA host the driver's own libnvidia-ml.so.1 is used
 * unchanged; the unit tests load a stand-in built from
 * tests/nvml_standin.c instead (no GPU is available here, so the real
 * library has not been exercised by these tests).
 */
#ifndef CGSHARECTL_GPU_NVML_H
#define CGSHARECTL_GPU_NVML_H

#include <stddef.h>
#include <stdint.h>

#define CGS_NVML_LIB "libnvidia-ml.so.1"
#define CGS_NVML_BUSID_LEN 32		/* NVML's PCI bus id buffer */
#define CGS_NVML_CGPATH_LEN 4096

/*
 * One charge for the `charge` operation: the collector gives the cgroup
 * path (relative to the cgroup2 root, as in /proc/PID/cgroup); the caller
 * resolves it to the cgroup id.
 */
struct cgs_nvml_charge {
	char cgroup[CGS_NVML_CGPATH_LEN];
	char dev[CGS_NVML_BUSID_LEN];	/* PCI bus id, e.g. 00000000:01:00.0 */
	uint64_t busy_ns;		/* delta since the previous collect */
	uint64_t mem_bytes;		/* absolute, tasks of this cgroup */
};

struct cgs_nvml_dev {
	void *handle;			/* nvmlDevice_t */
	char bus[CGS_NVML_BUSID_LEN];
	uint64_t last_ts;		/* newest sample seen, microseconds */
	int primed;			/* last_ts is a real baseline */
};

struct cgs_nvml_fns;

struct cgs_nvml {
	int on;				/* 1: collecting; 0: off, see reason */
	char reason[256];		/* why off, or the last per-round problem */
	void *dl;
	int inited;			/* nvmlInit succeeded */
	struct cgs_nvml_fns *fn;
	struct cgs_nvml_dev *dev;
	unsigned int ndev;
	char *proc_root;		/* "/proc" or a fixture tree */
	/* counters of the last collect, for status and tests */
	unsigned int nr_vanished;	/* pid without a readable cgroup */
	unsigned int nr_rejected;	/* absurd or backwards samples */
};

/*
 * Load @lib (NULL: CGS_NVML_LIB, found by the dynamic loader), resolve
 * every symbol and initialise NVML. Never fails hard: on any problem
 * n->on is 0 and n->reason says why; returns 0 when on, -1 when off.
 * @proc_root NULL means "/proc".
 */
int cgs_nvml_open(struct cgs_nvml *n, const char *lib, const char *proc_root);

/*
 * One round: charges per (cgroup, device), in device then first-seen
 * order, into *out (malloc'ed, caller frees; *nout entries). busy_ns is
 * smUtil% of the wall time between a sample and the device's previous
 * newest sample; the first round only sets the baseline. Returns 0, or -1
 * when the collector is (or just went) off.
 */
int cgs_nvml_collect(struct cgs_nvml *n, struct cgs_nvml_charge **out,
		     size_t *nout);

void cgs_nvml_close(struct cgs_nvml *n);

#endif
