/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_NL_H
#define CGSHARECTL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "model/model.h"

/*
 * The one translation layer between the cgshare generic netlink family and
 * the model. Decoding is separate from I/O so it can be tested on messages
 * built by hand.
 */

/* An error the kernel reported, with its extended ACK. */
struct cgs_nl_error {
	int err;			/* negative errno, 0 if none */
	char msg[256];			/* NLMSGERR_ATTR_MSG, "" if none */
	char attr[80];			/* offending or missing attribute */
};

/* -- decoding (nl_decode.c), no I/O -- */

/* Errors from decoding: a description of what was malformed. */
#define CGS_DECODE_ERRLEN 128

int cgs_decode_cgroup_attrs(const struct nlattr *head, int len,
			    struct cgs_cgroup *cg, char *err, size_t errlen);
/*
 * The id of the record whose attributes start at @head, when its first
 * attribute is the id (the module's records and the cgroup iterator's put
 * it there): a record can be matched before it is decoded whole.
 */
bool cgs_decode_cgroup_id(const struct nlattr *head, int len, uint64_t *id);
int cgs_decode_cgroup(const struct nlmsghdr *nlh, struct cgs_cgroup *cg,
		      char *err, size_t errlen);
int cgs_decode_status(const struct nlmsghdr *nlh, struct cgs_status *st,
		      char *err, size_t errlen);
/*
 * Fills @e from an NLMSG_ERROR or NLMSG_DONE message. @req is the request
 * we sent (used to name an offending attribute when the kernel did not echo
 * it); it may be NULL. Returns the error code carried, or 0.
 */
int cgs_decode_extack(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
		      struct cgs_nl_error *e);
const char *cgs_attr_name(int cmd, int type);
/* True for the controller's notice that family @family was removed. */
bool cgs_decode_family_gone(const struct nlmsghdr *nlh, int family);

/* -- I/O (nl.c) -- */

struct cgs_nl;

enum {
	CGS_NL_VERBOSE = 1u << 0,
	CGS_NL_QUIET = 1u << 1,		/* no message on stderr at open */
};

/*
 * Opens a socket and resolves the family. Prints why on failure; returns
 * -ENOENT when the module is not loaded.
 */
int cgs_nl_open(struct cgs_nl **nlp, unsigned int flags);
void cgs_nl_close(struct cgs_nl *nl);
const struct cgs_nl_error *cgs_nl_last_error(const struct cgs_nl *nl);
/* Prints "cgsharectl: @what: <error>" with the kernel's extack, if any. */
void cgs_nl_perror(const struct cgs_nl *nl, const char *what);

int cgs_nl_status(struct cgs_nl *nl, struct cgs_status *st);
int cgs_nl_cgroup_get(struct cgs_nl *nl, const struct cgs_target *t,
		      struct cgs_cgroup *cg);

/* Called per record; takes ownership of @cg's contents. Non-zero stops. */
typedef int (*cgs_cgroup_cb)(struct cgs_cgroup *cg, void *arg);

/*
 * Dumps every visible cgroup, or the subtree at @t when it is not NULL.
 * *@intr is set when the kernel flagged the dump as interrupted. -ENODEV
 * when the module is gone, -EAGAIN when it came back under a new family
 * id (the next request goes to it), as for cgs_nl_charge().
 */
int cgs_nl_cgroup_dump(struct cgs_nl *nl, const struct cgs_target *t,
		       cgs_cgroup_cb cb, void *arg, bool *intr);
/*
 * A dump into @l, retried a few times while it comes back interrupted,
 * and once at once when the module came back (-EAGAIN).
 */
int cgs_nl_cgroup_dump_list(struct cgs_nl *nl, const struct cgs_target *t,
			    struct cgs_list *l);

/*
 * The id of the cgroup at @path; -ENOENT when there is none, -ENODEV or
 * -EAGAIN when the family is gone or new, as for cgs_nl_charge().
 */
int cgs_nl_cgroup_id(struct cgs_nl *nl, const char *path, uint64_t *id);

/* One `charge` request: GPU time and memory for one cgroup and device. */
struct cgs_charge {
	uint64_t id;
	const char *dev;		/* 1..CGSHARE_DEV_NAME_LEN - 1 bytes */
	uint64_t busy_ns;		/* added */
	uint64_t queue_ns;		/* added; not sent when 0 */
	uint64_t mem_bytes;		/* replaces, when set_mem */
	bool set_mem;
};

/*
 * Sends one charge. Returns 0 or the kernel's negative errno, with its
 * extended ACK in cgs_nl_last_error(): -EPERM without CAP_NET_ADMIN,
 * -ENOENT when the cgroup is gone, -EINVAL for a malformed request; the
 * module applies a charge wholly or not at all. When the family itself is
 * gone (module unloaded) it returns -ENODEV; when it came back under a new
 * id (module reloaded), -EAGAIN, and the next request goes to the new id.
 * -ECOMM: the request could not be sent (nothing charged); -EIO: it was
 * sent but the answer was lost (charged or not: unknown).
 */
int cgs_nl_charge(struct cgs_nl *nl, const struct cgs_charge *ch);
/*
 * Whether the kernel would take our charges, without charging: 0, -EPERM,
 * -ENODEV, or another negative errno.
 */
int cgs_nl_charge_allowed(struct cgs_nl *nl);

int cgs_nl_subscribe(struct cgs_nl *nl);
int cgs_nl_fd(const struct cgs_nl *nl);
/*
 * Reads the events waiting on the socket, calling @cb with each released
 * cgroup. Returns 0, -EAGAIN when nothing was waiting, -ENOBUFS when events
 * were lost to a full receive buffer, -ENODEV when the module was unloaded,
 * or another negative errno.
 */
int cgs_nl_read_events(struct cgs_nl *nl, cgs_cgroup_cb cb, void *arg);

/*
 * -- the BPF cgroup iterator (iter.c) --
 *
 * What a module cannot read (the cpu controller's settings and
 * throttling, memory.stat's breakdown) comes from bpf/cgroups.bpf.c,
 * which `cgsharectl bpf pin` leaves pinned here: the iterator, and the
 * map in which each read of it leaves one record per cgroup.
 */
#define CGS_BPF_DIR		"/sys/fs/bpf/cgshare"
#define CGS_ITER_PIN		CGS_BPF_DIR "/cgroups"
#define CGS_ITER_MAP_PIN	CGS_BPF_DIR "/cgroups_records"

struct cgs_iter;

/* 0 or -ENOMEM; the pins are looked for at each read, not here. */
int cgs_iter_open(struct cgs_iter **itp);
void cgs_iter_close(struct cgs_iter *it);
/*
 * One read of the iterator, its records merged by id into @l (sorted by
 * id); records of cgroups not in @l are left out. 0, or a negative errno
 * with the reason in cgs_iter_why(): -ENOENT when it is not pinned,
 * -EACCES without permission to read the pins, -ENOSPC when its records
 * map was full (the records there are merged, the others are not).
 */
int cgs_iter_merge(struct cgs_iter *it, struct cgs_list *l);
const char *cgs_iter_why(const struct cgs_iter *it);

/* The last read's walk: how many cgroups it recorded and how full the map is. */
struct cgs_iter_room {
	unsigned int records;	/* cgroups the walk recorded */
	unsigned int missed;	/* cgroups it found no room for */
	unsigned int capacity;	/* the records map's max_entries; 0: unknown */
};
void cgs_iter_room(const struct cgs_iter *it, struct cgs_iter_room *room);

/*
 * One sample of the cgroups at @t (NULL: all): the dump, and with @it one
 * read of the iterator merged in; @l ends sorted by id. Returns the
 * dump's result. Without the iterator its attributes are absent, which
 * is said once on stderr with the reason (again if it comes and goes).
 */
int cgs_sample(struct cgs_nl *nl, struct cgs_iter *it,
	       const struct cgs_target *t, struct cgs_list *l);
/* cgs_iter_merge(), saying once why when it fails. */
void cgs_sample_iter(struct cgs_iter *it, struct cgs_list *l);

#endif
