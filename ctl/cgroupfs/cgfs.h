/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_CGFS_H
#define CGSHARECTL_CGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/limits.h"

/*
 * cgroup v2 interface files, the way systemd writes them: each cgroup's
 * directory is opened once, files are opened relative to it, every value
 * is one write() of the whole string, "max" is mapped both ways, and a
 * value that is already there is not written again. A cgroup that vanished
 * (ENOENT, ENODEV) is an ordinary event: the cgroup is marked gone.
 */

#define CGFS_MAX CGS_LIMIT_MAX	/* "max" */

struct cgfs {
	int fd;			/* the cgroup2 mount (or a stand-in tree) */
	char *root;
};

struct cgfs_orig {
	char *file;
	char *value;		/* as read before our first write */
};

struct cgfs_cg {
	char *path;		/* "/a/b", relative to the root */
	int fd;			/* its directory; -1 once gone */
	bool gone;
	struct cgfs_orig *orig;
	unsigned int nr_orig;
};

int cgfs_open(struct cgfs *fs, const char *root);
void cgfs_close(struct cgfs *fs);

/* 0, -ENOENT when the cgroup does not exist, or another -errno. */
int cgfs_cg_open(const struct cgfs *fs, const char *path, struct cgfs_cg *cg);
void cgfs_cg_close(struct cgfs_cg *cg);

/*
 * Reads @file whole into @buf, trailing newline removed. Returns the
 * length, -ENOENT/-ENODEV when the cgroup is gone (and marks it),
 * -EOPNOTSUPP when the cgroup is there but the file is not (its controller
 * is not enabled), or another -errno.
 */
int cgfs_read(struct cgfs_cg *cg, const char *file, char *buf, size_t len);

/*
 * Keyed files (the dmem.* files: "REGION VALUE" lines) compare, record
 * and restore by their first word.
 */
#define CGFS_KEYED	1u

/* With CGFS_DRY_RUN nothing is written (1 then means "would be"). */
#define CGFS_DRY_RUN	2u

struct cgfs_write {
	const char *file;
	const char *value;
	unsigned int flags;	/* CGFS_KEYED, CGFS_DRY_RUN */
	/*
	 * The value we wrote last, or NULL: another value there now was
	 * written by someone else, and is left alone (-ESTALE).
	 */
	const char *expect;
	/* A value we may have written but did not read back: as good. */
	const char *pending;
	/*
	 * Called once the value found is known and before it is replaced:
	 * a nonzero return is returned and nothing written.
	 */
	int (*intend)(const struct cgfs_write *w, void *arg);
	void *arg;
	char old[512];		/* out: the value found */
	char now[512];		/* out: read back after writing */
};

/*
 * Sets w->file to w->value unless it holds it already. The value found is
 * recorded as the original on the cgroup's first write to the file.
 * Returns 1 when written, 0 when unchanged, -ESTALE when the file holds
 * neither w->expect nor w->pending, or the errors of cgfs_read().
 */
int cgfs_write(struct cgfs_cg *cg, struct cgfs_write *w);
/* cgfs_write() without expect, reading back or @dry_run's flag. */
int cgfs_set(struct cgfs_cg *cg, const char *file, const char *value,
	     unsigned int flags, bool dry_run, char *old, size_t oldlen);
/*
 * The original recorded for @file (for a keyed file, for the key of
 * @value, its first word), or NULL.
 */
const char *cgfs_original(const struct cgfs_cg *cg, const char *file,
			  const char *value);
/* Records @value as @file's original (one found by an earlier run). */
int cgfs_remember(struct cgfs_cg *cg, const char *file, const char *value);

/*
 * Writes back every original value. @cb, when set, is told of each file
 * (err is 0 or a -errno; a gone cgroup is not reported). Returns the
 * number of failures other than a gone cgroup.
 */
typedef void (*cgfs_restore_cb)(const struct cgfs_cg *cg, const char *file,
				const char *value, int err, void *arg);
int cgfs_restore(struct cgfs_cg *cg, cgfs_restore_cb cb, void *arg);

/* True when @controller is listed in the cgroup's cgroup.controllers. */
bool cgfs_has_controller(struct cgfs_cg *cg, const char *controller);

/*
 * What a round reads of a cgroup, each file at most once: only what has no
 * other interface than its files. Everything else comes from the sample
 * (the ledger's dump and the cgroup iterator): no file per cgroup.
 */
enum cgfs_item {
	CGFS_CONTROLLERS,		/* dmem */
	CGFS_DMEM,			/* dmem.current, .max, .low: region[] */
	CGFS_NR_ITEMS
};

#define CGFS_MAX_REGIONS 16
#define CGFS_REGION_LEN 64

/* One region of device memory (dmem.capacity of the root names them). */
struct cgfs_region {
	char name[CGFS_REGION_LEN];
	uint64_t current;		/* dmem.current; capacity at the root */
	uint64_t max, low;		/* CGFS_MAX for "max" */
};

#define CGFS_ITEM(i)	(1u << (i))

struct cgfs_snap {
	uint32_t has;		/* CGFS_ITEM(): read and parsed */
	bool dmem;		/* cgroup.controllers lists dmem */
	struct cgfs_region region[CGFS_MAX_REGIONS];
	unsigned int nr_region;
};

/*
 * The regions of device memory the dmem controller has (the root's
 * dmem.capacity), their capacity in ->current: how many, or 0 where the
 * kernel has no dmem controller.
 */
unsigned int cgfs_dmem_regions(const struct cgfs *fs, struct cgfs_region *r,
			       unsigned int max);

/*
 * Reads the items in @want (CGFS_ITEM bits). 0, or -ENOENT when the cgroup
 * is gone (and marks it). Files of controllers that are not enabled, and
 * files that do not parse, are left out of @s->has.
 */
int cgfs_snapshot(struct cgfs_cg *cg, uint32_t want, struct cgfs_snap *s);

/* -- value formats, pure -- */

/* "max" or a decimal number; -EINVAL otherwise. */
int cgfs_parse_max(const char *s, uint64_t *v);
void cgfs_fmt_max(char *buf, size_t len, uint64_t v);

#endif
