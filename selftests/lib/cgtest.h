/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the cgshare selftests: a tiny case runner on top of
 * kselftest.h, raw generic-netlink requests to the cgshare family, and
 * cgroup v2 tree setup (directories, controllers, CPU hogs, allocators).
 */
#ifndef CGTEST_H
#define CGTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/cgshare.h>

#include "model/model.h"

#include "kselftest.h"

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;

#define CG_MNT		"/sys/fs/cgroup"
#define MSEC		1000000ULL	/* ns */
#define SEC		1000000000ULL	/* ns */
#define MIB		(1024ULL * 1024)

/* ---------------------------------------------------------------- runner */

struct cgt_case {
	const char *name;
	int (*fn)(void);
	int timeout_s;		/* 0: 120 s */
};

/*
 * Runs each case in its own forked process group, under a fresh top cgroup
 * /cgst-<prog> that is killed and removed afterwards, and reports one TAP
 * line per case. argv[1..] may name cases to run; --list prints the names.
 */
int cgt_main(int argc, char **argv, const struct cgt_case *cases, int n);

/* Top cgroup of the running binary, relative to the cgroupfs root. */
const char *cgt_top(void);
/* cgt_top() + "/" + printf(fmt, ...), malloc'ed (tests may leak it). */
char *cgt_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reason shown after "# SKIP" (or after a failure). */
void cgt_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define SKIP(...)	do { cgt_reason(__VA_ARGS__); return KSFT_SKIP; } while (0)
#define CHECK(x)	do { if (!(x)) goto cleanup; } while (0)
/* Open the family or fail the case: in the guest the module is loaded. */
#define NL_OPEN(nl) do {						\
	int __e = nl_open(nl);						\
	if (__e) {							\
		cgt_reason("family " CGSHARE_FAMILY_NAME		\
			   " not usable: %s", strerror(-__e));		\
		return KSFT_FAIL;					\
	}								\
} while (0)

/* Assertions: print what was expected and what came back, return false. */
bool expect_true(bool cond, const char *what);
bool expect_eq(const char *what, u64 got, u64 want);
bool expect_ne(const char *what, u64 got, u64 unwanted);
bool expect_ge(const char *what, u64 got, u64 min);
bool expect_range(const char *what, u64 got, u64 lo, u64 hi);
/* |got - want| <= max(abs_tol, want * pct / 100) */
bool expect_near(const char *what, u64 got, u64 want, double pct, u64 abs_tol);
bool expect_err(const char *what, int got, int want);	/* errno values */
bool expect_ok(const char *what, int ret);		/* ret >= 0 */

/* --------------------------------------------------------------- netlink */

#define MSG_MAX		16384
#define GPU_MAX		1024	/* gpu nests parsed per record */

/*
 * Two sockets: the project's ledger client (ctl/ledger, the library
 * cgsharectl uses) for the happy paths, and a raw one for requests built
 * by hand, malformed ones above all, and for tests of the transport
 * itself (dump buffers, interrupted dumps, multicast).
 */
struct cgs_nl;
struct nl {
	int fd;
	u16 family;
	u32 notify_grp;
	u32 seq;
	size_t rcvlen;		/* recv buffer; 0: 64 KiB */
	struct cgs_nl *lc;	/* the ledger client */
};

struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[MSG_MAX];
	};
};

struct ack {
	int error;		/* 0 or -errno */
	bool has_msg, has_offs, has_miss, has_miss_nest, has_policy;
	u32 offs, miss_type, miss_nest;
	char msg[256];
};

struct gpu_rec {
	char dev[CGSHARE_DEV_NAME_LEN + 1];
	bool has_busy, has_queue, has_mem;
	u64 busy, queue, mem;
};

/* A record as the ledger library decoded it, held by value. */
struct cg_rec {
	u8 cmd;
	u16 nlflags;
	u64 id, parent_id;
	bool has_id, has_parent;
	u32 present;			/* CGS_BIT(enum cgs_ctr) */
	u64 ctr[CGS_NR_CTR];
	char path[PATH_MAX + 1];
	int ngpu;
	struct gpu_rec gpu[GPU_MAX];
	int unknown;		/* attributes the spec does not name (raw) */
};

/* Attribute @type of the cgroup set: its value, and whether it came. */
u64 rec_attr(const struct cg_rec *r, int type);
bool rec_has(const struct cg_rec *r, int type);
#define REC_ID(r)	((r)->id)
#define REC(r, a)	rec_attr(r, CGSHARE_A_CGROUP_##a)
#define REC_HAS(r, a)	rec_has(r, CGSHARE_A_CGROUP_##a)

struct status_rec {
	char version[128];
	char bpf_reason[256];
	bool has_version, has_features, has_nr, has_gen;
	u32 features, nr_cgroups, generation;
};

/* Open a socket and resolve the family; -ENOENT when it is not registered. */
int nl_open(struct nl *nl);
/*
 * Same, receiving with rcvlen-byte buffers from the first recv on: the
 * kernel sizes dump messages by the largest buffer a socket ever used.
 */
int nl_open_rcv(struct nl *nl, size_t rcvlen);
void nl_close(struct nl *nl);
int nl_subscribe(struct nl *nl);
/* Resolve a generic netlink family by name on nl's socket. */
int nl_family(struct nl *nl, const char *name, u16 *id, u32 *notify_grp);

void msg_init(struct msg *m, u16 family, u8 cmd, u16 flags);
/* All put helpers return the attribute's offset from the message start. */
size_t msg_put(struct msg *m, u16 type, const void *data, size_t len);
size_t msg_put_u64(struct msg *m, u16 type, u64 v);
size_t msg_put_u32(struct msg *m, u16 type, u32 v);
size_t msg_put_str(struct msg *m, u16 type, const char *s);	/* with NUL */

typedef int (*nl_cb)(const struct nlmsghdr *nlh, void *arg);

/* Send m with NLM_F_ACK; call cb for every reply; return ack->error. */
int nl_transact(struct nl *nl, struct msg *m, nl_cb cb, void *arg,
		struct ack *ack);

struct dump_res {
	size_t nrecv, nmsgs;	/* recv calls and messages seen */
	bool intr;		/* some message had NLM_F_DUMP_INTR */
	struct ack ack;		/* from NLMSG_DONE or NLMSG_ERROR */
};

/* Dump m (NLM_F_DUMP added); between(arg) runs after every recv. */
int nl_dump(struct nl *nl, struct msg *m, nl_cb cb, void *arg,
	    void (*between)(void *arg), void *between_arg,
	    struct dump_res *res);

/* Wait up to timeout_ms for one multicast message; 1 got, 0 timeout. */
int nl_recv_one(struct nl *nl, int timeout_ms, nl_cb cb, void *arg);

/*
 * A cgroup-get reply or release event read on the raw socket, decoded by
 * the ledger library; attributes are also checked against the spec (no
 * repeats; unknown ones counted). -EPROTO on malformed.
 */
int cg_rec_parse(const struct nlmsghdr *nlh, struct cg_rec *r);
const struct gpu_rec *rec_gpu(const struct cg_rec *r, const char *dev);

/* Through the ledger library; @ack gets its error and extack message. */
int cgs_get_id(struct nl *nl, u64 id, struct cg_rec *r, struct ack *ack);
int cgs_get_path(struct nl *nl, const char *path, struct cg_rec *r,
		 struct ack *ack);
int cgs_status(struct nl *nl, struct status_rec *s, struct ack *ack);
/* One status-get attribute (u32, u64 or uint) by type; -ENODATA if absent. */
int cgs_status_uint(struct nl *nl, int type, u64 *v);
/* The same get on the raw socket, for checks of the reply's wire form. */
int cgs_get_path_raw(struct nl *nl, const char *path, struct cg_rec *r,
		     struct ack *ack);

struct charge {
	u64 id;
	const char *dev;
	bool has_busy, has_queue, has_mem;
	u64 busy, queue, mem;
};
/* A well-formed charge, through the ledger library (dev is required). */
int cgs_charge(struct nl *nl, const struct charge *c, struct ack *ack);

/* A dumped (or walked) cgroup, small enough to hold 10,000 of them. */
struct rec_item {
	u64 id, parent;
	bool has_parent;
	u16 nlflags;
	char *path;
};

struct rec_list {
	struct rec_item *r;
	size_t n, cap;
	int bad;		/* replies that failed to parse */
};
/* Dump all, or the subtree named by path and/or id, in arrival order. */
int cgs_dump_list(struct nl *nl, const char *path, const u64 *id,
		  struct rec_list *l, struct dump_res *res);
int rec_list_add(struct rec_list *l, u64 id, u64 parent, bool has_parent,
		 const char *path);
void rec_list_sort(struct rec_list *l);
void rec_list_free(struct rec_list *l);
/* Walk cgroupfs below rel into l (paths relative to the cgroupfs root). */
int cg_walk_list(const char *rel, struct rec_list *l);
/*
 * got (a dump, in arrival order) must be strictly ascending by id and hold
 * exactly want's ids, with the same parents and paths (want's paths with
 * strip_prefix removed, "" becoming "/"). Prints the first differences.
 */
bool expect_same_set(const char *what, const struct rec_list *got,
		     struct rec_list *want, const char *strip_prefix);

void ack_print(const char *what, const struct ack *ack);
/* Expect error want (-errno) with extack offset == offs (if offs != 0). */
bool expect_nack(const char *what, int ret, const struct ack *ack, int want,
		 size_t offs);

/* ---------------------------------------------------------------- cgroup */

/* rel paths are relative to CG_MNT and start with '/'. */
const char *cg_full(const char *rel);	/* static buffer, rotating */
int cg_mkdir(const char *rel);
int cg_rmdir(const char *rel);
/* Kill every process below rel and remove the whole subtree. */
int cg_destroy(const char *rel);
int cg_write(const char *rel, const char *file, const char *val);
ssize_t cg_read(const char *rel, const char *file, char *buf, size_t len);
int cg_read_u64(const char *rel, const char *file, u64 *v);
int cg_read_key(const char *rel, const char *file, const char *key, u64 *v);
bool cg_has_file(const char *rel, const char *file);
bool cg_has_ctrl(const char *rel, const char *ctrl);
/* Enable cpu, memory, pids (those offered) for rel's children. */
int cg_enable_all(const char *rel);
u64 cg_id(const char *rel);		/* 0 on error */
int cg_enter(const char *rel, pid_t pid);
int cg_nprocs(const char *rel);

typedef void (*cg_walk_fn)(const char *rel, u64 id, u64 parent_id,
			   void *arg);
int cg_walk(const char *rel, cg_walk_fn fn, void *arg);

/* Fork a child that moves itself into rel and returns fn(arg) as status. */
pid_t cg_run(const char *rel, int (*fn)(void *), void *arg);
int cg_wait(pid_t pid);		/* exit code, or 128 + signal */

struct hog {
	double cpu_s;		/* burn this much CPU time ... */
	double wall_s;		/* ... or spin this long (wall clock) */
	int cpu;		/* pin to this CPU, -1: no pinning */
};
int hog_fn(void *arg);

/* An allocator child: touches bytes of anonymous memory, then holds them. */
struct alloc {
	size_t bytes;
	int ready[2];		/* child writes one byte when done */
	int release[2];		/* child exits when this is closed */
};
pid_t alloc_start(const char *rel, struct alloc *a);
int alloc_wait_ready(struct alloc *a, int timeout_ms);
int alloc_finish(pid_t pid, struct alloc *a);

/*
 * Leave rel dying: a child in it fills shmfile (tmpfs pages stay charged to
 * its memory cgroup), then rel is removed; *id is its id. Returns the parent's
 * nr_dying_descendants afterwards (>= 1 when it worked) or -errno.
 */
int cg_make_dying(const char *rel, const char *shmfile, u64 *id);

/* ---------------------------------------------------------------- module */

/* $CGSHARE_KO if readable, else NULL; the module's name ("cgshare"). */
const char *mod_file(void);
const char *mod_name(void);
bool mod_present(void);
/* rmmod, retrying for up to secs seconds while the module is busy. */
int mod_rmmod(int secs);
int mod_insmod(const char *params);
/* A fresh instance: rmmod (if loaded) and insmod $CGSHARE_KO. */
int mod_reload(void);
/* The same for any module: by file (params "" or NULL for none), by name. */
bool mod_loaded(const char *name);
int mod_insert(const char *ko, const char *params);
int mod_remove(const char *name, int secs);
/* Kernel log: a mark, then the lines after the last mark that mean trouble. */
void klog_mark(const char *mark);
int klog_problems(const char *mark);

u64 now_ns(void);
/* /proc/PID/schedstat: run time, run_delay (queue wait), times run */
int read_schedstat(pid_t pid, u64 *run, u64 *delay, u64 *pcount);
/* run on CPU @cpu only, or on every online CPU (-1) */
int pin_self(int cpu);
int ncpus(void);

#endif
