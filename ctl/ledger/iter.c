// SPDX-License-Identifier: GPL-2.0
/*
 * The pinned cgroup iterator's records, merged into the ledger's. One
 * read(2) of a fresh iterator runs the walk, which refreshes the records
 * map and returns a struct cgs_iter_sum; the map is then read in batches
 * and each record decoded by the ledger's own decoder straight into the
 * dump's record of the same id. No file is opened per sample: the pins
 * are opened once (BPF_OBJ_GET) and each walk is a BPF_ITER_CREATE.
 *
 * A walk that found no room in the map for some cgroups says how many:
 * the records there are still merged, the read fails with -ENOSPC saying
 * so, and the pins are opened again at the next read, to find the map
 * `cgsharectl bpf pin` re-sized meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "cgroup_iter.h"
#include "ledger/ledger.h"

struct cgs_iter {
	int link_fd, map_fd;
	int err;			/* of the last read; 0 when it worked */
	int said;			/* the error last said on stderr */
	char why[200];
	struct cgs_iter_room room;	/* of the last walk */
	__u64 *keys;
	struct cgs_iter_rec *vals;
	size_t cap;
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
	free(it->keys);
	free(it->vals);
	free(it);
}

const char *cgs_iter_why(const struct cgs_iter *it)
{
	return it->why;
}

/*
 * BPF_OBJ_GET with @flags: the map read-only (BPF_F_RDONLY), which needs
 * read permission on its pin; the link read-write (0), as the kernel
 * refuses any other mode for a link (EINVAL).
 */
static int obj_get(const char *path, __u32 flags)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (__u64)(unsigned long)path;
	attr.file_flags = flags;
	fd = syscall(__NR_bpf, BPF_OBJ_GET, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
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

static int get_pins(struct cgs_iter *it)
{
	int fd;

	if (it->link_fd >= 0)
		return 0;
	fd = obj_get(CGS_ITER_MAP_PIN, BPF_F_RDONLY);
	if (fd < 0)
		return fail(it, fd, CGS_ITER_MAP_PIN);
	it->map_fd = fd;
	fd = obj_get(CGS_ITER_PIN, 0);
	if (fd < 0) {
		drop_pins(it);
		return fail(it, fd, CGS_ITER_PIN);
	}
	it->link_fd = fd;
	return 0;
}

/* The records map's size, for saying how full it is. */
static __u32 map_capacity(int map_fd)
{
	struct bpf_map_info mi;
	__u32 len = sizeof(mi);

	memset(&mi, 0, sizeof(mi));
	return bpf_obj_get_info_by_fd(map_fd, &mi, &len) ? 0 : mi.max_entries;
}

/* Runs the walk: the records are fresh when it returns. */
static int walk(struct cgs_iter *it, struct cgs_iter_sum *sum)
{
	ssize_t n;
	int fd;

	fd = bpf_iter_create(it->link_fd);
	if (fd < 0) {
		fd = -errno;
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
	it->room.capacity = map_capacity(it->map_fd);
	return 0;
}

static int grow(struct cgs_iter *it, size_t cap)
{
	__u64 *k = realloc(it->keys, cap * sizeof(*k));
	struct cgs_iter_rec *v;

	if (!k)
		return -ENOMEM;
	it->keys = k;
	v = realloc(it->vals, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	it->vals = v;
	it->cap = cap;
	return 0;
}

/*
 * The map is read a chunk at a time into keys[] and vals[], and each chunk
 * merged before the next is read: a buffer for every record at once was
 * about 200 bytes per cgroup of fresh memory at every read, which the
 * kernel faults in and zeroes (a tenth of the iterator's share of a
 * `stats -r` read, profiled). The chunk grows only when one of the map's
 * buckets holds more records than it.
 */
#define MAP_CHUNK	256

/* Takes the counters in @added off every cgroup of @l. */
static void forget(struct cgs_list *l, uint32_t added)
{
	for (size_t i = 0; i < l->n; i++)
		l->v[i].present &= ~added;
}

/*
 * Merges the records of this walk (@session) into @l; 0 or -errno. When
 * a read fails part way, what the chunks before it added is taken off
 * again: the sample is the dump's alone, as the message says.
 */
static int merge_map(struct cgs_iter *it, struct cgs_list *l, __u64 session)
{
	char err[CGS_DECODE_ERRLEN];
	uint32_t added = 0, before;
	__u32 token, n;
	void *in = NULL;
	bool bad;
	int ret;

	if (!it->cap && grow(it, MAP_CHUNK))
		return fail(it, -ENOMEM, "records");
	for (;;) {
		n = it->cap;
		ret = bpf_map_lookup_batch(it->map_fd, in, &token, it->keys,
					   it->vals, &n, NULL);
		if (ret < 0)
			ret = -errno;
		if (ret == -ENOSPC) {	/* a bucket holds more than n */
			if (!grow(it, it->cap * 2))
				continue;
			ret = fail(it, -ENOMEM, "records");
			goto undo;
		}
		if (ret && ret != -ENOENT) {
			ret = fail(it, ret, "reading the records");
			goto undo;
		}
		for (__u32 i = 0; i < n; i++) {
			const struct cgs_iter_rec *r = &it->vals[i];
			struct cgs_cgroup *cg;

			/* older than this walk: a removed cgroup's, not yet dropped */
			if (r->session < session)
				continue;
			cg = cgs_list_find_id(l, it->keys[i]);
			if (!cg)
				continue;
			before = cg->present;
			bad = r->len > sizeof(r->attrs) ||
			      cgs_decode_cgroup_attrs((const void *)r->attrs, r->len,
						      cg, err, sizeof(err));
			added |= cg->present & ~before;
			if (bad) {
				ret = fail(it, -EBADMSG, r->len > sizeof(r->attrs) ?
					   "record too long" : err);
				goto undo;
			}
		}
		if (ret == -ENOENT)
			return 0;
		in = &token;
	}
undo:
	forget(l, added);
	return ret;
}

int cgs_iter_merge(struct cgs_iter *it, struct cgs_list *l)
{
	bool cached = it->link_fd >= 0;
	struct cgs_iter_sum sum;
	int ret;

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
	if (ret)
		return ret;
	ret = merge_map(it, l, sum.session);
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
	int ret = cgs_nl_cgroup_dump_list(nl, t, l);

	if (ret)
		return ret;
	cgs_list_sort_by_id(l);
	if (it)
		cgs_sample_iter(it, l);
	return 0;
}
