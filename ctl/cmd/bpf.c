// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl bpf pin|unpin|status: the cgroup iterator (bpf/cgroups.bpf.c)
 * that gives every sample what a module cannot read.
 *
 * pin loads the program that fits the kernel, attaches it as an iterator
 * of the whole cgroup tree and pins the link and its records map (see
 * ledger.h for where). It is idempotent: when the same program is pinned
 * already it leaves it alone, and a different one (an older cgsharectl's)
 * is replaced. unpin removes both pins. Neither touches the GPU
 * collectors' pins in the same directory.
 *
 * The records array is sized here, from the cgroups there are (see
 * records_size()): a read costs the records it holds, whatever the size,
 * but every slot is kernel memory. When cgroups come faster than that
 * room, the walk says how many found none, every reader says so, and pin
 * re-sizes the array: it counts the cgroups through the pinned iterator
 * (those it recorded and those it had no room for) and pins it again when
 * the array has less than a quarter of them free, or is much larger than
 * it needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cmd/bpf_dl.h"

#include "cgroup_iter.h"
#include "cgroups.skel.h"
#include "cmd/bpf_common.h"
#include "cmd/cmd.h"
#include "render/out.h"

#define fail(...)	bpf_fail("bpf", __VA_ARGS__)

static void help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl bpf pin|unpin|status\n"
		"\n"
		"The cgroup iterator: a BPF program that reads, for every cgroup,\n"
		"what the module cannot (cpu.weight, cpu.max, cpu.stat's throttling,\n"
		"memory.stat's anon, file and inactive_file). stats, top, export and\n"
		"the controller read it once per sample, with the ledger's dump.\n"
		"\n"
		"  pin      load it and pin it in " CGS_BPF_DIR ", its map sized for\n"
		"           the cgroups there are; does nothing when it is pinned\n"
		"           already and the map suits them, else replaces it\n"
		"  unpin    remove its pins\n"
		"  status   whether it is pinned, which program, and one read of it\n"
		"\n"
		"Needs root and a BPF file system at /sys/fs/bpf.\n");
}

/* Which program fits: by the kfuncs the kernel's BTF has. */
static const char *pick(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const char *name = "cgroups_plain";

	if (!btf)
		return name;
	if (btf__find_by_name_kind(btf, "cgroup_rstat_flush", BTF_KIND_FUNC) > 0)
		name = "cgroups_rstat";
	else if (btf__find_by_name_kind(btf, "bpf_mem_cgroup_flush_stats",
					BTF_KIND_FUNC) > 0)
		name = "cgroups_memcg";
	btf__free(btf);
	return name;
}

static int prog_info(int prog_fd, struct bpf_prog_info *pi)
{
	__u32 len = sizeof(*pi);

	memset(pi, 0, sizeof(*pi));
	return bpf_obj_get_info_by_fd(prog_fd, pi, &len);
}

/* The pinned link's program, into @pi; -errno when there is none. */
static int pinned_prog(struct bpf_prog_info *pi)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	int fd, pfd, ret;

	fd = bpf_obj_get(CGS_ITER_PIN);
	if (fd < 0)
		return -errno;
	ret = bpf_obj_get_info_by_fd(fd, &li, &len) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	pfd = bpf_prog_get_fd_by_id(li.prog_id);
	if (pfd < 0)
		return -errno;
	ret = prog_info(pfd, pi) ? -errno : 0;
	close(pfd);
	return ret;
}

static int unpin_all(void)
{
	int ret = 0;

	/* the link first: its pin is what readers look for */
	if (unlink(CGS_ITER_PIN) && errno != ENOENT) {
		fail("removing %s: %s", CGS_ITER_PIN, strerror(errno));
		ret = -1;
	}
	if (unlink(CGS_ITER_MAP_PIN) && errno != ENOENT) {
		fail("removing %s: %s", CGS_ITER_MAP_PIN, strerror(errno));
		ret = -1;
	}
	/* the GPU collectors' pins may stay */
	if (!ret && rmdir(CGS_BPF_DIR) && errno != ENOENT && errno != ENOTEMPTY) {
		fail("removing %s: %s", CGS_BPF_DIR, strerror(errno));
		ret = -1;
	}
	return ret;
}

/*
 * One read through the pins, as every reader does it, into @room; says
 * why it failed unless @what is NULL or the map was full (-ENOSPC, which
 * pin mends).
 */
static int try_read(const char *what, struct cgs_iter_room *room)
{
	struct cgs_list l = { 0 };
	struct cgs_iter *it;
	int ret;

	if (cgs_iter_open(&it))
		return -ENOMEM;
	ret = cgs_iter_merge(it, &l);
	if (ret && ret != -ENOSPC && what)
		fail("%s, but reading it failed: %s", what, cgs_iter_why(it));
	cgs_iter_room(it, room);
	cgs_iter_close(it);
	return ret;
}

/* The array's size for @n cgroups: room for twice as many, in 1,024s. */
static __u32 records_size(unsigned int n)
{
	__u64 size = ((__u64)n * 2 + 1023) / 1024 * 1024;

	if (size < CGS_ITER_RECORDS_MIN)
		size = CGS_ITER_RECORDS_MIN;
	return size > 1u << 30 ? 1u << 30 : size;
}

/* Whether an array of @size suits @n cgroups: a quarter free, not 4 times. */
static bool size_fits(__u32 size, unsigned int n)
{
	return size >= (__u64)n + n / 4 && size <= 2 * (__u64)records_size(n);
}

static int attach_and_pin(struct cgshare_cgroups *skel, struct bpf_program *prog)
{
	union bpf_iter_link_info linfo = {};
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, o);
	struct bpf_link *link;
	int ret = 0;

	/* the whole tree from our cgroup namespace's root, parents first */
	linfo.cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE;
	o.link_info = &linfo;
	o.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(prog, &o);
	if (!link) {
		fail("attaching the cgroup iterator: %s", strerror(errno));
		return -1;
	}
	if (mkdir(CGS_BPF_DIR, 0700) && errno != EEXIST) {
		fail("%s: %s", CGS_BPF_DIR, strerror(errno));
		ret = -1;
	} else if (bpf_map__pin(skel->maps.records, CGS_ITER_MAP_PIN)) {
		fail("pinning %s: %s", CGS_ITER_MAP_PIN, strerror(errno));
		ret = -1;
	} else if (bpf_link__pin(link, CGS_ITER_PIN)) {
		fail("pinning %s: %s", CGS_ITER_PIN, strerror(errno));
		unlink(CGS_ITER_MAP_PIN);
		ret = -1;
	}
	bpf_link__destroy(link);	/* the pin holds it */
	return ret;
}

/*
 * Loads the program with a map of @size and pins it, unless the same
 * program is pinned with a map that suits the @live cgroups (its read
 * @had said how many). 0 when done, 1 when the new pin's map turned out
 * too small (@room says for how many), -1 on failure.
 */
static int pin_sized(__u32 size, unsigned int live, bool readable,
		     const struct cgs_iter_room *had, struct cgs_iter_room *room)
{
	struct cgshare_cgroups *skel;
	struct bpf_prog_info ours, theirs;
	struct bpf_program *prog, *p;
	const char *name = pick();
	int ret = -1;

	skel = cgshare_cgroups__open();
	if (!skel) {
		fail("opening the BPF program: %s", strerror(errno));
		return -1;
	}
	skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	prog = bpf_object__find_program_by_name(skel->obj, name);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == prog);
	if (bpf_map__set_max_entries(skel->maps.records, size)) {
		fail("sizing the records map: %s", strerror(errno));
		goto out;
	}
	if (cgshare_cgroups__load(skel)) {
		fail("loading %s failed (the verifier's or libbpf's reason is "
		     "below; -v shows it all): %s", name, strerror(errno));
		goto out;
	}
	if (prog_info(bpf_program__fd(prog), &ours)) {
		fail("reading the program's info: %s", strerror(errno));
		goto out;
	}
	if (!pinned_prog(&theirs) && !memcmp(ours.tag, theirs.tag, sizeof(ours.tag)) &&
	    !strcmp(ours.name, theirs.name) && readable &&
	    size_fits(had->capacity, live)) {
		printf("cgroup iterator: already pinned at %s (%s, room for %u "
		       "records, %u cgroups)\n", CGS_ITER_PIN, name, had->capacity, live);
		ret = 0;
		goto out;
	}
	if (unpin_all() || attach_and_pin(skel, prog))
		goto out;
	ret = try_read("pinned", room);
	if (ret && ret != -ENOSPC) {
		unpin_all();
		ret = -1;
		goto out;
	}
	if (!size_fits(size, room->records + room->missed)) {
		ret = 1;
		goto out;
	}
	printf("cgroup iterator: pinned at %s (%s, room for %u records, %u "
	       "cgroups)\n", CGS_ITER_PIN, name, size, room->records);
	ret = 0;
out:
	cgshare_cgroups__destroy(skel);
	return ret;
}

static int pin(void)
{
	struct cgs_iter_room had = { 0 }, room = { 0 };
	struct bpf_prog_info pi;
	unsigned int live = 0;
	bool readable = false;
	__u32 size = 0;
	int ret, ok;

	if (!bpf_fs_ready("bpf"))
		return 1;
	bpf_log_init();
	/* the cgroups there are, as the pinned iterator counts them */
	if (!pinned_prog(&pi)) {
		ok = try_read("it is pinned", &had);
		live = had.records + had.missed;
		readable = !ok;
	}
	/* cgroups made faster than the map grows: a few rounds, then say so */
	for (int round = 0; round < 3; round++) {
		size = records_size(live);
		ret = pin_sized(size, live, readable, &had, &room);
		if (ret <= 0)
			return -ret;
		live = room.records + room.missed;
		readable = false;
	}
	fail("pinned, but its map has room for %u records and there are %u cgroups",
	     size, live);
	return 1;
}

static int status(void)
{
	struct bpf_prog_info pi;
	struct cgs_list l = { 0 };
	struct cgs_iter *it;
	int ret;

	start_output(true);
	out_obj_begin(NULL);
	ret = pinned_prog(&pi);
	out_bool("pinned", "pinned: %s\n", !ret);
	if (ret && ret != -ENOENT)
		out_str("error", "error: %s\n", strerror(-ret));
	if (!ret) {
		out_str("path", "path: %s\n", CGS_ITER_PIN);
		out_str("program", "program: %s\n", pi.name);
		out_u64("runs", "runs: %s", pi.run_cnt);
		out_u64("run_time_ns", " (run time %s ns while "
			"kernel.bpf_stats_enabled=1)\n", pi.run_time_ns);
		if (!cgs_iter_open(&it)) {
			struct cgs_iter_room room;

			ret = cgs_iter_merge(it, &l);
			out_str("read", "read: %s\n", ret ? cgs_iter_why(it) : "ok");
			cgs_iter_room(it, &room);
			out_u64("records", "records: %s", room.records);
			out_u64("missed", " (%s without room", room.missed);
			out_u64("capacity", " in a map of %s)\n", room.capacity);
			cgs_iter_close(it);
		}
	}
	out_obj_end();
	return end_output(0);
}

static int run(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	int ret;

	if (sub && (!strcmp(sub, "-h") || !strcmp(sub, "--help")))
		return cmd_help(&cmd_bpf);
	if (!sub)
		return usage_error(&cmd_bpf, "no bpf subcommand given");
	ret = cmd_parse(&cmd_bpf, argc - 1, argv + 1, NULL, NULL, NULL, NULL, 0);
	if (ret >= 0)
		return ret;
	if (strcmp(sub, "pin") && strcmp(sub, "unpin") && strcmp(sub, "status"))
		return usage_error(&cmd_bpf, "unknown bpf subcommand: %s", sub);
	if (!bpf_lib_open("bpf"))
		return 1;
	if (!strcmp(sub, "pin"))
		return pin();
	if (!strcmp(sub, "unpin")) {
		if (unpin_all())
			return 1;
		printf("cgroup iterator: not pinned\n");
		return 0;
	}
	return status();
}

const struct cmd cmd_bpf = {
	.name = "bpf",
	.run = run,
	.help = help,
	.usage = "cgsharectl bpf pin|unpin|status",
	.summary = "the cgroup iterator: pin, unpin, status",
};
