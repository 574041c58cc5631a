/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From the GPU collectors' charges to `charge` requests: device names the
 * module accepts, cgroup paths resolved to ids, and what happens to a
 * charge that fails. No I/O: the lookups and the requests are callbacks,
 * so the rules are tested without a kernel.
 *
 * Busy time is a delta the collector libraries have already moved their
 * baselines past, so a charge that does not reach the ledger is time lost
 * unless we keep it. The module applies a charge entirely or not at all
 * (a refused request changes nothing), so:
 *  - refused for a reason that may pass (no memory, the family re-registered,
 *    the request could not be sent): the busy time is kept with the newest
 *    memory figure and added to the next round's charge for the same
 *    source, cgroup and device; a charge tried in GC_MAX_TRIES rounds
 *    without success is dropped, with the time it carries, and counted;
 *  - the request went out but its answer was lost: the module may or may
 *    not have applied it, and we cannot ask, so it is not sent again (time
 *    counted at most once) and counted as unacknowledged;
 *  - the cgroup vanished between the scan and the charge: nothing can hold
 *    its time any more; counted, not an error;
 *  - refused as malformed or over a limit: sending it again cannot help;
 *    dropped and counted;
 *  - no permission, or the module went away: fatal, the round stops.
 */
#ifndef CGSHARECTL_GPU_CHARGE_H
#define CGSHARECTL_GPU_CHARGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/cgshare.h>

#include "gpu/fdinfo.h"
#include "gpu/nvml.h"

enum gc_source {
	GC_FDINFO,
	GC_NVML,
	GC_NR_SOURCES
};

#define GC_SRC_BIT(s)	(1u << (s))
#define GC_ALL_SOURCES	(GC_SRC_BIT(GC_FDINFO) | GC_SRC_BIT(GC_NVML))
/* Rounds in which a charge is tried before it is dropped. */
#define GC_MAX_TRIES	5

extern const char *const gc_source_name[GC_NR_SOURCES];

/*
 * "fdinfo", "nvml", "fdinfo,nvml": a non-empty comma list of source names,
 * each at most once. 0, or -EINVAL with the offending word in @bad.
 */
int gc_parse_sources(const char *s, unsigned int *mask, char *bad,
		     size_t badlen);

/*
 * The name the module will take for device @in: every byte outside
 * [A-Za-z0-9:._-] becomes ':' when it is '/' ("i915/renderD128" is
 * "i915:renderD128") and '_' otherwise. -EINVAL when @in is empty or
 * does not fit CGSHARE_DEV_NAME_LEN.
 */
int gc_dev_name(char *out, size_t len, const char *in);

struct gc_item {
	enum gc_source src;
	char *cgroup;			/* path from the collector */
	char dev[CGSHARE_DEV_NAME_LEN];
	uint64_t busy_ns;		/* to add */
	uint64_t mem_bytes;		/* to set: the cgroup's own, absolute */
	unsigned int tries;		/* rounds this busy time already waited */
};

struct gc_batch {
	struct gc_item *v;
	size_t n, cap;
};

/*
 * Adds one charge; an item with the same source, cgroup and device takes
 * the busy time (saturating) and, when @newer, the memory figure. 0,
 * -EINVAL for a device name that cannot be made valid, -ENOMEM.
 */
int gc_batch_add(struct gc_batch *b, enum gc_source src, const char *cgroup,
		 const char *dev, uint64_t busy_ns, uint64_t mem_bytes,
		 bool newer, unsigned int tries);
/* The libraries' charges; *@bad_dev counts names that cannot be valid. */
int gc_batch_add_fdinfo(struct gc_batch *b, const struct gfd_charges *c,
			unsigned int *bad_dev);
int gc_batch_add_nvml(struct gc_batch *b, const struct cgs_nvml_charge *c,
		      size_t n, unsigned int *bad_dev);
void gc_batch_free(struct gc_batch *b);

struct gc_state {
	struct gc_batch pending;	/* busy time waiting for a retry */
	struct gc_batch held;		/* pairs we left holding memory */
};

void gc_state_free(struct gc_state *st);

enum gc_outcome {
	GC_CHARGED,
	GC_VANISHED,
	GC_DEFERRED,
	GC_DROPPED,			/* deferred too many rounds */
	GC_UNACKED,
	GC_REFUSED,
	GC_FATAL,
};

/* What a negative errno from a lookup or a charge means for the item. */
enum gc_outcome gc_classify(int err);

struct gc_ops {
	/* 0 and *id, or a negative errno. */
	int (*lookup)(void *ctx, const char *cgroup, uint64_t *id);
	int (*charge)(void *ctx, uint64_t id, const struct gc_item *it);
	/* Optional: told each outcome but GC_CHARGED; @err is the errno. */
	void (*report)(void *ctx, const struct gc_item *it, enum gc_outcome o,
		       int err);
};

struct gc_totals {
	unsigned int charged, vanished, deferred, dropped, unacked, refused;
	uint64_t busy_ns;		/* charged */
	uint64_t mem_bytes;		/* set, summed */
	uint64_t vanished_ns, deferred_ns, dropped_ns, unacked_ns, refused_ns;
};

/*
 * One round: folds the deferred charges of earlier rounds into @b, gives
 * a charge of memory 0 to each pair of a source in @collected that held
 * memory and is absent now (so memory of a process that ended goes away),
 * resolves each cgroup once and sends the charges. @b is emptied. Adds to
 * @t. Returns 0, or the negative errno of a fatal error (-EPERM, -ENODEV,
 * -ENOMEM...), on which the round stops.
 */
int gc_run(struct gc_state *st, struct gc_batch *b, unsigned int collected,
	   const struct gc_ops *ops, void *ctx, struct gc_totals *t);

#endif
