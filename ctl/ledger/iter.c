// SPDX-License-Identifier: GPL-2.0
/*
 * The pinned cgroup iterator's records, merged into the ledger's. One
 * read(2) of a fresh iterator runs the walk, which rewrites the records
 * array and returns a struct cgs_iter_sum; the array is mapped once, and
 * each record is copied out of it and decoded by the ledger's own decoder
 * straight into the dump's record of the same id. No file is opened per
 * sample, and nothing is copied through a system call per record: the
 * pins are opened and the array mapped once (BPF_OBJ_GET, mmap), and each
 * walk is a BPF_ITER_CREATE and one read.
 *
 * A record a later walk (another reader's) rewrote while it was copied is
 * told by its session stamp (bpf/cgroup_iter.h); the merge is then undone
 * and the walk run again, up to CGS_ITER_TRIES times.
 *
 * A walk that found no room in the array for some cgroups says how many:
 * the records there are still merged, the read fails with -ENOSPC saying
 * so, and the pins are opened again at the next read, to find the array
 * `cgsharectl bpf pin` re-sized meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#include "cgroup_iter.h"
#include "ledger/ledger.h"

struct cgs_iter {
	int link_fd, map_fd;
	int err;			/* of the last read; 0 when it worked */
	int said;			/* the error last said on stderr */
	char why[200];
	struct cgs_iter_room room;	/* of the last walk */
	const struct cgs_iter_rec *recs;	/* the array, mapped read-only */
	size_t map_len;
	__u32 nr_slots;
};

int cgs_iter_open(struct cgs_iter **itp)
{
	struct cgs_iter *it = calloc(1, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->link_fd = it->map_fd = -1;
	*itp = it;
	return 0;
}

static void drop_pins(struct cgs_iter *it)
{
	if (it->recs)
		munmap((void *)it->recs, it->map_len);
	it->recs = NULL;
	if (it->link_fd >= 0)
		close(it->link_fd);
	if (it->map_fd >= 0)
		close(it->map_fd);
	it->link_fd = it->map_fd = -1;
}

void cgs_iter_close(struct cgs_iter *it)
{
	if (!it)
		return;
	drop_pins(it);
	free(it);
}

const char *cgs_iter_why(const struct cgs_iter *it)
{
	return it->why;
}

/*
 * The read path makes its three bpf(2) calls itself: linking libbpf (and
 * with it libelf and zlib) costs every run of stats, top, export --once
 * or plan about 1.1 M instructions at start-up, measured under icount,
 * for calls this simple. The commands that load programs dlopen it
 * (cmd/bpf_dl.h).
 */
static int sys_bpf(int cmd, union bpf_attr *attr)
{
	int ret = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return ret < 0 ? -errno : ret;
}

/*
 * BPF_OBJ_GET, read-write, which needs read and write permission on the
 * pin: the kernel refuses any other mode for a link (EINVAL), and maps a
 * BPF map shared only through a file open for writing (mmap(2) of a
 * read-only one loses VM_SHARED, which bpf_map_mmap() requires). The
 * array is still mapped read-only.
 */
static int obj_get(const char *path)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (__u64)(unsigned long)path;
	return sys_bpf(BPF_OBJ_GET, &attr);
}

static int map_info(int fd, struct bpf_map_info *mi)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	memset(mi, 0, sizeof(*mi));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(*mi);
	attr.info.info = (__u64)(unsigned long)mi;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

static int iter_create(int link_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.iter_create.link_fd = link_fd;
	return sys_bpf(BPF_ITER_CREATE, &attr);
}

static int fail(struct cgs_iter *it, int err, const char *what)
{
	it->err = err;
	if (err == -ENOENT)
		snprintf(it->why, sizeof(it->why), "the cgroup iterator is not "
			 "pinned (cgsharectl bpf pin)");
	else if (err == -EACCES || err == -EPERM)
		snprintf(it->why, sizeof(it->why), "no permission to read the "
			 "cgroup iterator's pins in %s", CGS_BPF_DIR);
	else
		snprintf(it->why, sizeof(it->why), "cgroup iterator: %s: %s",
			 what, strerror(-err));
	return err;
}

/*
 * Maps the records array. One pinned by an older cgsharectl (a hash map,
 * or records of another size) is not ours to read: `bpf pin` replaces it.
 */
static int map_records(struct cgs_iter *it)
{
	struct bpf_map_info mi;
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	int ret;

	ret = map_info(it->map_fd, &mi);
	if (ret)
		return fail(it, ret, "reading the records map's info");
	if (mi.type != BPF_MAP_TYPE_ARRAY || !(mi.map_flags & BPF_F_MMAPABLE) ||
	    mi.value_size != sizeof(struct cgs_iter_rec) || !mi.max_entries) {
		it->err = -EPROTO;
		snprintf(it->why, sizeof(it->why), "the cgroup iterator in %s was "
			 "pinned by another version of cgsharectl (cgsharectl bpf "
			 "pin replaces it)", CGS_BPF_DIR);
		return -EPROTO;
	}
	it->map_len = ((size_t)mi.max_entries * sizeof(struct cgs_iter_rec) +
		       page - 1) / page * page;
	p = mmap(NULL, it->map_len, PROT_READ, MAP_SHARED, it->map_fd, 0);
	if (p == MAP_FAILED)
		return fail(it, -errno, "mapping the records");
	it->recs = p;
	it->nr_slots = mi.max_entries;
	return 0;
}

static int get_pins(struct cgs_iter *it)
{
	int fd, ret;

	if (it->link_fd >= 0)
		return 0;
	fd = obj_get(CGS_ITER_MAP_PIN);
	if (fd < 0)
		return fail(it, fd, CGS_ITER_MAP_PIN);
	it->map_fd = fd;
	ret = map_records(it);
	if (ret) {
		drop_pins(it);
		return ret;
	}
	fd = obj_get(CGS_ITER_PIN);
	if (fd < 0) {
		drop_pins(it);
		return fail(it, fd, CGS_ITER_PIN);
	}
	it->link_fd = fd;
	return 0;
}

/* Runs the walk: the records are fresh when it returns. */
static int walk(struct cgs_iter *it, struct cgs_iter_sum *sum)
{
	ssize_t n;
	int fd;

	fd = iter_create(it->link_fd);
	if (fd < 0) {
		/* unpinned and pinned again since: look again next time */
		drop_pins(it);
		return fail(it, fd, "creating an iterator");
	}
	do
		n = read(fd, sum, sizeof(*sum));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return fail(it, n, "reading the iterator");
	if (n != sizeof(*sum))
		return fail(it, -EPROTO, "short read of the iterator");
	it->room.records = sum->records;
	it->room.missed = sum->failed;
	it->room.capacity = it->nr_slots;
	return 0;
}

/* Takes the counters in @added off every cgroup of @l. */
static void forget(struct cgs_list *l, uint32_t added)
{
	for (size_t i = 0; i < l->n; i++)
		l->v[i].present &= ~added;
}

/*
 * Copies record @i of the walk @session into @r: 0, or -EAGAIN when a
 * later walk has rewritten or is rewriting the slot. The stamp is read
 * before and after the copy; the walk stamps a slot before it writes the
 * record (bpf/cgroup_iter.h), so an unchanged stamp after the copy means
 * none of the later walk's stores reached it.
 */
static int copy_rec(const struct cgs_iter *it, __u32 i, __u64 session,
		    struct cgs_iter_rec *r)
{
	const struct cgs_iter_rec *m = &it->recs[i];

	if (__atomic_load_n(&m->session, __ATOMIC_ACQUIRE) != session)
		return -EAGAIN;
	r->len = __atomic_load_n(&m->len, __ATOMIC_RELAXED);
	if (r->len <= sizeof(r->attrs))
		memcpy(r->attrs, m->attrs, r->len);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&m->session, __ATOMIC_RELAXED) != session)
		return -EAGAIN;
	return 0;
}

/*
 * Merges the @n records of the walk @session into @l; 0 or -errno. When
 * one cannot be taken, what the records before it added is taken off
 * again: the sample is the dump's alone, or the walk is run again.
 */
static int merge_recs(struct cgs_iter *it, struct cgs_list *l, __u64 session,
		      __u32 n)
{
	char err[CGS_DECODE_ERRLEN];
	struct cgs_iter_rec r;
	uint32_t added = 0, before;
	struct cgs_cgroup *cg;
	uint64_t id;
	int ret;

	if (n > it->nr_slots)
		return fail(it, -EPROTO, "more records than slots");
	for (__u32 i = 0; i < n; i++) {
		ret = copy_rec(it, i, session, &r);
		if (ret)
			goto undo;
		if (r.len > sizeof(r.attrs)) {
			ret = fail(it, -EBADMSG, "record too long");
			goto undo;
		}
		if (!cgs_decode_cgroup_id((const void *)r.attrs, r.len, &id))
			continue;
		cg = cgs_list_find_id(l, id);
		if (!cg)
			continue;
		before = cg->present;
		ret = cgs_decode_cgroup_attrs((const void *)r.attrs, r.len, cg,
					      err, sizeof(err));
		added |= cg->present & ~before;
		if (ret) {
			ret = fail(it, -EBADMSG, err);
			goto undo;
		}
	}
	return 0;
undo:
	forget(l, added);
	return ret;
}

/* Walks: a record rewritten under the reader costs another walk. */
#define CGS_ITER_TRIES	4

int cgs_iter_merge(struct cgs_iter *it, struct cgs_list *l)
{
	bool cached = it->link_fd >= 0;
	struct cgs_iter_sum sum;
	int ret, tries = 0;

	memset(&it->room, 0, sizeof(it->room));
	ret = get_pins(it);
	if (!ret)
		ret = walk(it, &sum);
	if (!ret && sum.failed && cached) {
		/* pinned again, re-sized, since these pins were opened? */
		drop_pins(it);
		ret = get_pins(it);
		if (!ret)
			ret = walk(it, &sum);
	}
	while (!ret) {
		ret = merge_recs(it, l, sum.session, sum.records);
		if (ret != -EAGAIN)
			break;
		if (++tries == CGS_ITER_TRIES) {
			ret = fail(it, -EAGAIN, "records rewritten by other "
				   "readers' walks, at each of its reads");
			break;
		}
		ret = walk(it, &sum);
	}
	if (ret)
		return ret;
	if (sum.failed) {
		drop_pins(it);
		it->err = -ENOSPC;
		snprintf(it->why, sizeof(it->why), "the cgroup iterator's records "
			 "map (%u entries) is full: %u cgroups found no room, %u "
			 "did (cgsharectl bpf pin re-sizes it)",
			 it->room.capacity, it->room.missed, it->room.records);
		return -ENOSPC;
	}
	it->err = 0;
	return 0;
}

void cgs_iter_room(const struct cgs_iter *it, struct cgs_iter_room *room)
{
	*room = it->room;
}

void cgs_sample_iter(struct cgs_iter *it, struct cgs_list *l)
{
	int ret = cgs_iter_merge(it, l);

	if (ret && ret != it->said)
		fprintf(stderr, "cgsharectl: %s; cpu.weight, cpu.max, CPU "
			"throttling and memory.stat's breakdown are left out%s\n",
			it->why, ret == -ENOSPC ? " of the cgroups without a record" : "");
	it->said = ret;
}

int cgs_sample(struct cgs_nl *nl, struct cgs_iter *it,
	       const struct cgs_target *t, struct cgs_list *l)
{
	int ret;

	/*
	 * A reader that sampled before (the exporter, the controller) knows
	 * about how many cgroups a whole sample holds: room for them and an
	 * eighth more, so the records are not moved as the list grows (a
	 * copy of all of them at each doubling, where the heap cannot grow
	 * the array in place). Not needed for the sample to work.
	 */
	if (it && !t && it->room.records)
		cgs_list_reserve(l, it->room.records + it->room.records / 8);
	ret = cgs_nl_cgroup_dump_list(nl, t, l);
	if (ret)
		return ret;
	cgs_list_sort_by_id(l);
	if (it)
		cgs_sample_iter(it, l);
	return 0;
}
