/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bpf/cgroups.bpf.c leaves for cgsharectl: per cgroup, a record of
 * netlink attributes of the spec's cgroup set (uapi/cgshare.yaml), the
 * same format as the module's replies, so one decoder reads both.
 */
#ifndef CGSHARE_CGROUP_ITER_H
#define CGSHARE_CGROUP_ITER_H

/* id, six cpu-* and three mem-* attributes of 12 bytes, and room. */
#define CGS_ITER_ATTRS_MAX	160

/*
 * The records map: an array, slot n the n-th cgroup of a walk (pre-order
 * from the root). Its size is set when it is pinned: room for at least
 * twice the cgroups there are then, and at least CGS_ITER_RECORDS_MIN.
 */
#define CGS_ITER_RECORDS_MIN	1024

/*
 * One record. The walk stamps @session before it writes the rest; a
 * reader of the mapped array checks the stamp is its walk's before and
 * after copying the record, and takes the copy only then (a later walk
 * may rewrite the slot meanwhile; sessions only grow).
 */
struct cgs_iter_rec {
	__u64 session;		/* the iterator session that wrote it */
	__u32 len;		/* bytes of attrs used */
	__u32 pad;
	__u8 attrs[CGS_ITER_ATTRS_MAX];
};

/* In cgs_iter_sum.flags. */
#define CGS_ITER_FLUSHED	(1u << 0)	/* memory statistics flushed */
#define CGS_ITER_MEMSTAT	(1u << 1)	/* mem-anon &c. could be read */

/* What one read of the pinned iterator returns, once the walk is done. */
struct cgs_iter_sum {
	__u64 session;		/* the session of this walk: its records carry it */
	__u32 records;		/* written by this walk, in slots 0 .. records-1 */
	__u32 failed;		/* cgroups past the array's last slot */
	__u32 flags;		/* CGS_ITER_* */
	__u32 pad;
};

#endif
