// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroupfs writer against a temporary directory standing in for
 * /sys/fs/cgroup (cgfs takes its root as a path), and the parsers of its
 * formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/cgfs.h"
#include "tests/tap.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static const char *get(const char *rel)
{
	static char buf[512];
	char p[256];
	size_t n;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "r");
	if (!f)
		return "(missing)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void tree(void)
{
	char p[256];

	snprintf(root, sizeof(root), "/tmp/cgfs-test-XXXXXX");
	if (!mkdtemp(root))
		exit(1);
	snprintf(p, sizeof(p), "%s/a", root);
	mkdir(p, 0755);
	put("a/cgroup.procs", "");
	put("a/cgroup.controllers", "cpuset cpu io memory pids\n");
	put("a/cpu.max", "max 100000\n");
	put("a/memory.high", "max\n");
	put("a/memory.current", "104857600\n");
	put("a/cpu.stat", "usage_usec 10\nnr_periods 5\nnr_throttled 3\n"
	    "throttled_usec 900\n");
	put("a/memory.pressure", "some avg10=12.50 avg60=3.00 avg300=0.00 "
	    "total=1\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=0\n");
	put("a/dmem.max", "drm/0000:01:00.0/vram0 max\ndrm/0000:02:00.0/vram0 max\n");
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		printf("# could not remove %s\n", root);
}

static void io(void)
{
	struct cgfs fs;
	struct cgfs_cg cg, none;
	char buf[256], old[256];
	struct timespec ts[2] = { { 0, 0 }, { 0, 0 } };
	struct stat st;
	char p[256];

	is_int(cgfs_open(&fs, root), 0, "io: root opens");
	is_int(cgfs_cg_open(&fs, "/nope", &none), -ENOENT,
	       "io: a missing cgroup is ENOENT");
	is_int(cgfs_cg_open(&fs, "/a", &cg), 0, "io: cgroup opens");
	is_int(cgfs_read(&cg, "cpu.max", buf, sizeof(buf)), 10,
	       "io: read, newline trimmed");
	is_str(buf, "max 100000", "io: cpu.max read");

	is_int(cgfs_set(&cg, "cpu.max", "50000 100000", 0, false, old,
			sizeof(old)), 1, "io: set writes");
	is_str(old, "max 100000", "io: old value reported");
	is_str(get("a/cpu.max"), "50000 100000", "io: whole value, no newline");

	snprintf(p, sizeof(p), "%s/a/cpu.max", root);
	utimensat(AT_FDCWD, p, ts, 0);
	is_int(cgfs_set(&cg, "cpu.max", "50000 100000", 0, false, old,
			sizeof(old)), 0, "io: unchanged value: 0");
	stat(p, &st);
	ok(st.st_mtime == 0, "io: unchanged value is not rewritten");
	is_int(cgfs_set(&cg, "cpu.max", "20000 100000", 0, true, old,
			sizeof(old)), 1, "io: dry run says it would write");
	is_str(get("a/cpu.max"), "50000 100000", "io: dry run writes nothing");
	cgfs_set(&cg, "cpu.max", "30000 100000", 0, false, old, sizeof(old));
	is_str(old, "50000 100000", "io: second change reports the first");
	cgfs_set(&cg, "memory.high", "209715200", 0, false, old, sizeof(old));
	is_str(old, "max", "io: \"max\" read as is");

	is_int(cgfs_set(&cg, "dmem.max", "drm/0000:02:00.0/vram0 1024",
			CGFS_KEYED, false, old, sizeof(old)), 1,
	       "io: keyed file set");
	is_str(old, "drm/0000:02:00.0/vram0 max", "io: keyed old is its line");
	put("a/dmem.max", "drm/0000:01:00.0/vram0 max\n"
	    "drm/0000:02:00.0/vram0 1024\n");
	is_int(cgfs_set(&cg, "dmem.max", "drm/0000:02:00.0/vram0 1024",
			CGFS_KEYED, false, old, sizeof(old)), 0,
	       "io: keyed unchanged by its line");

	/* Someone else's write is seen, and left alone. */
	{
		struct cgfs_write w = { .file = "cpu.max",
					.value = "40000 100000",
					.expect = "30000 100000" };

		is_int(cgfs_write(&cg, &w), 1, "io: expected value: written");
		is_str(w.now, "40000 100000", "io: and read back");
		put("a/cpu.max", "70000 100000\n");
		w.value = "45000 100000";
		w.expect = "40000 100000";
		is_int(cgfs_write(&cg, &w), -ESTALE,
		       "io: a value we did not write: -ESTALE");
		is_str(get("a/cpu.max"), "70000 100000\n",
		       "io: and it is left alone");
		is_str(cgfs_original(&cg, "cpu.max", NULL), "max 100000",
		       "io: the original is still the first value");
	}

	is_int(cgfs_restore(&cg, NULL, NULL), 0, "io: restore succeeds");
	is_str(get("a/cpu.max"), "max 100000", "io: cpu.max restored (first value)");
	is_str(get("a/memory.high"), "max", "io: memory.high restored to max");
	is_str(get("a/dmem.max"), "drm/0000:02:00.0/vram0 max",
	       "io: dmem.max restored by its line");

	ok(cgfs_has_controller(&cg, "memory"), "io: memory controller there");
	ok(!cgfs_has_controller(&cg, "dmem"), "io: no dmem controller");
	ok(!cgfs_has_controller(&cg, "cp"), "io: whole words only");

	is_int(cgfs_read(&cg, "memory.low", buf, sizeof(buf)), -EOPNOTSUPP,
	       "io: file missing in a live cgroup: controller not enabled");
	ok(!cg.gone, "io: and the cgroup is not dropped");

	/* rmdir: the directory we hold is empty now. */
	snprintf(p, sizeof(p), "rm -f %s/a/*", root);
	if (system(p))
		printf("# rm failed\n");
	is_int(cgfs_set(&cg, "cpu.max", "1000 100000", 0, false, old,
			sizeof(old)), -ENOENT, "io: vanished cgroup is ENOENT");
	ok(cg.gone && cg.fd < 0, "io: and is marked gone");
	is_int(cgfs_restore(&cg, NULL, NULL), 0,
	       "io: restoring a gone cgroup is no failure");
	cgfs_cg_close(&cg);
	cgfs_close(&fs);
}

static void formats(void)
{
	uint64_t v;

	ok(!cgfs_parse_max("max", &v) && v == CGFS_MAX, "fmt: max");
	ok(!cgfs_parse_max("4096", &v) && v == 4096, "fmt: number");
	ok(cgfs_parse_max("12k", &v) == -EINVAL, "fmt: junk refused");
	ok(cgfs_parse_max("", &v) == -EINVAL, "fmt: empty refused");
	ok(cgfs_parse_max("12x", &v) == -EINVAL, "fmt: trailing junk refused");
}

int main(void)
{
	tree();
	io();
	cleanup();
	formats();
	return tap_done();
}
