/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DRM fdinfo collector (Documentation/gpu/drm-usage-stats.rst): parse one
 * fdinfo text, scan a /proc-like tree for DRM clients, and turn two scans
 * into per-cgroup, per-device charges for the `charge` operation.
 *
 * Choices, where the document leaves room:
 *  - busy time is the SUM over engines of each engine's increase: engines
 *    run in parallel, and busy-ns is engine time, as CPU time is summed over
 *    CPUs. One engine with capacity N may add up to N x elapsed.
 *  - an engine reporting only drm-cycles-X with drm-total-cycles-X gets
 *    busy = elapsed * dcycles / dtotal-cycles (drm-engine-X ns wins when
 *    both are given).
 *  - a counter lower than the last one read is held at the larger previous
 *    value until it catches up, as the document asks (so no negative delta
 *    and no time counted twice); each such reading is counted.
 *  - an increase above elapsed * capacity is capped to that and counted.
 *  - a client seen for the first time in the first scan is a baseline
 *    (charges nothing); one that appears in a later scan was opened since,
 *    and is charged from zero, capped as above. A client that disappears
 *    is forgotten. Cycle-only engines of new clients are baselines.
 *  - memory of a client is the sum of drm-total-*, else of drm-resident-*,
 *    else of drm-memory-* (the older name of resident). Summed per cgroup
 *    and device. A (cgroup, device) pair charged before and absent now is
 *    charged once more with mem 0.
 *  - a client open in several processes counts once, for the process with
 *    the lowest pid. Clients are keyed by (drm-pdev, else drm-driver,
 *    drm-client-id), as the document prescribes.
 */
#ifndef CGSHARECTL_GPU_FDINFO_H
#define CGSHARECTL_GPU_FDINFO_H

#include <stddef.h>
#include <stdint.h>

#define GFD_MAX_ENGINES	16
#define GFD_NAME_LEN	32	/* engine, driver, pdev, dev; = CGSHARE_DEV_NAME_LEN */
#define GFD_MAX_FILE	(64 * 1024)

enum {
	GFD_ENG_NS	= 1u << 0,
	GFD_ENG_CYCLES	= 1u << 1,
	GFD_ENG_TOTAL	= 1u << 2,
	GFD_ENG_CAP	= 1u << 3,
};

struct gfd_engine {
	char name[GFD_NAME_LEN];
	unsigned int has;		/* GFD_ENG_* */
	uint64_t ns, cycles, total_cycles;
	uint64_t capacity;		/* 1 when not given */
};

enum {
	GFD_HAS_DRIVER	= 1u << 0,
	GFD_HAS_PDEV	= 1u << 1,
	GFD_HAS_ID	= 1u << 2,
	GFD_HAS_TOTAL	= 1u << 3,
	GFD_HAS_RESIDENT = 1u << 4,
	GFD_HAS_MEMORY	= 1u << 5,
};

struct gfd_client {
	unsigned int has;		/* GFD_HAS_* */
	char driver[GFD_NAME_LEN];
	char pdev[GFD_NAME_LEN];
	uint64_t client_id;
	struct gfd_engine eng[GFD_MAX_ENGINES];
	unsigned int nr_eng;
	/* sums over regions, in bytes */
	uint64_t total, resident, memory, shared, active, purgeable;
	unsigned int bad_lines;		/* lines rejected */
};

/* Parse len bytes of fdinfo text; returns the number of rejected lines. */
unsigned int gfd_parse(const char *text, size_t len, struct gfd_client *c);
/* A value with an optional unit: "12", "3 KiB"; 0 or -1 (EINVAL/ERANGE). */
int gfd_parse_size(const char *s, size_t len, uint64_t *out);
/* The client's memory in bytes by the rule above. */
uint64_t gfd_client_mem(const struct gfd_client *c);

struct gfd_seen {
	char key[GFD_NAME_LEN];		/* drm-pdev, else drm-driver */
	char dev[GFD_NAME_LEN];		/* name charged: pdev, else driver/minor */
	uint64_t client_id;
	int pid;
	char *cgroup;			/* cgroup v2 path, "/a/b" */
	struct gfd_client c;
};

struct gfd_sample {
	struct gfd_seen *v;
	size_t n, cap;
	unsigned int bad_lines;		/* rejected fdinfo lines */
	unsigned int vanished;		/* processes or fds gone mid-scan */
	unsigned int denied;		/* EACCES/EPERM */
	unsigned int shared;		/* duplicate fds of a client skipped */
	unsigned int no_cgroup;		/* processes without a "0::" line */
};

/* Scan root (e.g. "/proc"); 0, or -1 with errno when root is unreadable. */
int gfd_scan(const char *root, struct gfd_sample *s);
/* The client of driver key @key with id @id in @s, or NULL. */
const struct gfd_seen *gfd_find_seen(const struct gfd_sample *s,
				    const char *key, uint64_t id);
void gfd_sample_free(struct gfd_sample *s);

struct gfd_prev_eng {
	char name[GFD_NAME_LEN];
	unsigned int has;
	uint64_t ns, cycles, total_cycles;
};

struct gfd_prev {
	char key[GFD_NAME_LEN];
	uint64_t client_id;
	struct gfd_prev_eng eng[GFD_MAX_ENGINES];
	unsigned int nr_eng;
};

struct gfd_pair {
	char *cgroup;
	char dev[GFD_NAME_LEN];
};

struct gfd_state {
	int primed;
	uint64_t last_ns;
	struct gfd_prev *v;
	size_t n;
	struct gfd_pair *pairs;		/* charged last time */
	size_t nr_pairs;
	uint64_t backwards;		/* readings held at the previous value */
	uint64_t capped;		/* increases capped to elapsed x capacity */
};

struct gfd_charge {
	char *cgroup;
	char dev[GFD_NAME_LEN];
	uint64_t busy_ns;
	uint64_t mem_bytes;
};

struct gfd_charges {
	struct gfd_charge *v;
	size_t n;
};

/*
 * Fold sample s taken at now_ns (monotonic) into st; fill out (sorted by
 * cgroup, then dev) with one charge per (cgroup, device). 0 or -1 (ENOMEM).
 */
int gfd_delta(struct gfd_state *st, const struct gfd_sample *s,
	      uint64_t now_ns, struct gfd_charges *out);
void gfd_charges_free(struct gfd_charges *c);
void gfd_state_free(struct gfd_state *st);

#endif
