// SPDX-License-Identifier: GPL-2.0
/*
 * The NVML collector against the stand-in library (tests/nvml_standin.c,
 * built as tests/libnvidia-ml.so.1) and a fixture /proc tree. The real
 * libnvidia-ml.so.1 is used unchanged on an NVIDIA host; not tested here.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "gpu/nvml.h"
#include "tests/tap.h"

#define LIB "./gpu/tests/libnvidia-ml.so.1"
#define LIB_NOSYM "./gpu/tests/libnvml_nosym.so"
#define D0 "00000000:01:00.0"
#define D1 "00000000:02:00.0"

static char root[64], proc[96], script[96];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static void task(unsigned int pid, const char *cg)
{
	char p[160], text[128];

	snprintf(p, sizeof(p), "%s/%u", proc, pid);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%u/cgroup", proc, pid);
	snprintf(text, sizeof(text), "1:name=systemd:/legacy\n0::%s\n", cg);
	put(p, text);
}

static const struct cgs_nvml_charge *find(const struct cgs_nvml_charge *v,
					  size_t n, const char *cg,
					  const char *dev)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].cgroup, cg) && !strcmp(v[i].dev, dev))
			return &v[i];
	return NULL;
}

#define BASE \
	"dev " D0 "\n" "dev " D1 "\n" \
	"proc 0 100 1000\nproc 0 101 500\nproc 0 200 4000\n" \
	"proc 1 200 7000\nproc 1 201 18446744073709551615\n" \
	"sample 0 100 1000 10\nsample 1 200 2000 20\n"

static void missing(void)
{
	struct cgs_nvml n;

	is_int(cgs_nvml_open(&n, "./gpu/tests/no-such-libnvidia-ml.so.1", proc),
	       -1, "missing library: open says off");
	ok(!n.on && strstr(n.reason, "cannot load"),
	   "missing library: reason '%s'", n.reason);
	cgs_nvml_close(&n);

	put(script, BASE);
	is_int(cgs_nvml_open(&n, LIB_NOSYM, proc), -1,
	       "missing symbol: open says off");
	ok(!n.on && strstr(n.reason, "nvmlDeviceGetProcessUtilization"),
	   "missing symbol: reason '%s'", n.reason);
	cgs_nvml_close(&n);

	put(script, "init-fail 999\n" BASE);
	is_int(cgs_nvml_open(&n, LIB, proc), -1, "init failing: off");
	ok(!n.on && strstr(n.reason, "nvmlInit"), "init failing: reason '%s'",
	   n.reason);
	cgs_nvml_close(&n);

	put(script, "");
	is_int(cgs_nvml_open(&n, LIB, proc), -1, "no device: off");
	ok(strstr(n.reason, "no usable"), "no device: reason '%s'", n.reason);
	cgs_nvml_close(&n);
}

static void normal(void)
{
	struct cgs_nvml n;
	struct cgs_nvml_charge *v;
	const struct cgs_nvml_charge *c;
	size_t nv;

	put(script, BASE);
	is_int(cgs_nvml_open(&n, LIB, proc), 0, "normal: on");
	is_int(n.ndev, 2, "normal: two devices");
	is_str(n.dev[1].bus, D1, "normal: bus id of device 1");

	/* round 1: memory, and the utilisation baseline only */
	is_int(cgs_nvml_collect(&n, &v, &nv), 0, "round 1: collects");
	is_u64(nv, 3, "round 1: three (cgroup, device) charges");
	if (nv == 3) {
		is_str(v[0].cgroup, "/a", "round 1: first is /a");
		is_str(v[0].dev, D0, "round 1: on device 0");
		is_u64(v[0].mem_bytes, 1500, "round 1: /a memory summed");
		is_u64(v[1].mem_bytes, 4000, "round 1: /b memory on dev 0");
		is_str(v[2].cgroup, "/b", "round 1: /b on device 1");
		is_u64(v[2].mem_bytes, 7000,
		       "round 1: unavailable memory not counted");
		is_u64(v[0].busy_ns + v[1].busy_ns + v[2].busy_ns, 0,
		       "round 1: no busy time before a baseline");
	}
	is_int(n.nr_vanished, 1, "round 1: pid 201 has no cgroup");
	free(v);

	/* round 2: 1 s at 50 % and 25 % on dev 0, 0.5 s at 100 % on dev 1 */
	put(script, BASE "sample 0 100 1001000 50\nsample 0 200 1001000 25\n"
		    "sample 1 200 502000 100\n");
	is_int(cgs_nvml_collect(&n, &v, &nv), 0, "round 2: collects");
	is_u64(nv, 3, "round 2: three charges");
	c = find(v, nv, "/a", D0);
	is_u64(c ? c->busy_ns : 1, 500000000, "round 2: /a dev 0 busy 0.5 s");
	is_u64(c ? c->mem_bytes : 1, 1500, "round 2: /a dev 0 memory");
	c = find(v, nv, "/b", D0);
	is_u64(c ? c->busy_ns : 1, 250000000, "round 2: /b dev 0 busy 0.25 s");
	c = find(v, nv, "/b", D1);
	is_u64(c ? c->busy_ns : 1, 500000000, "round 2: /b dev 1 busy 0.5 s");
	is_u64(c ? c->mem_bytes : 1, 7000, "round 2: /b dev 1 memory");
	free(v);

	/* round 3: pid 300 vanished; nothing new for the others */
	put(script, BASE "sample 0 100 1001000 50\nproc 0 300 99\n"
		    "sample 0 300 2001000 10\n");
	is_int(cgs_nvml_collect(&n, &v, &nv), 0, "vanished: collects");
	is_int(n.nr_vanished, 3, "vanished: 201, 300 (memory and sample)");
	is_u64(nv, 3, "vanished: no charge for the gone pid");
	c = find(v, nv, "/a", D0);
	is_u64(c ? c->busy_ns : 1, 0, "vanished: /a no new busy time");
	is_u64(c ? c->mem_bytes : 0, 1500, "vanished: /a memory unchanged");
	free(v);

	/* round 4: a clock going backwards, an absurd utilisation */
	put(script, "nofilter\n" BASE "sample 0 100 500 90\n"
		    "sample 1 200 3002000 150\n");
	is_int(cgs_nvml_collect(&n, &v, &nv), 0, "backwards: collects");
	is_int(n.nr_rejected, 4, "backwards: stale, backwards, >100 rejected");
	for (size_t i = 0; i < nv; i++)
		is_u64(v[i].busy_ns, 0, "backwards: no busy time");
	free(v);
	is_u64(n.dev[0].last_ts, 2001000, "backwards: dev 0 clock kept");

	/* a forward sample after that charges from the newest seen */
	put(script, BASE "sample 1 200 3502000 40\n");
	is_int(cgs_nvml_collect(&n, &v, &nv), 0, "forward again: collects");
	c = find(v, nv, "/b", D1);
	is_u64(c ? c->busy_ns : 1, 200000000,
	       "forward again: 0.5 s at 40 % from the newest sample");
	free(v);

	/* the library loses its state: off with a reason */
	put(script, "uninit\n" BASE);
	is_int(cgs_nvml_collect(&n, &v, &nv), -1, "uninit: collect fails");
	ok(!n.on && strstr(n.reason, "no longer initialised"),
	   "uninit: off, reason '%s'", n.reason);
	ok(!v && !nv, "uninit: no charges");
	is_int(cgs_nvml_collect(&n, &v, &nv), -1, "uninit: stays off");
	cgs_nvml_close(&n);
}

int main(void)
{
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/cgs-nvml-XXXXXX");
	if (!mkdtemp(root)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(script, sizeof(script), "%s/script", root);
	mkdir(proc, 0755);
	task(100, "/a");
	task(101, "/a");
	task(200, "/b");
	setenv("NVML_STANDIN_SCRIPT", script, 1);

	missing();
	normal();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		printf("# could not remove %s\n", root);
	return tap_done();
}
