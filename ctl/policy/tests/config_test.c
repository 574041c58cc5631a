// SPDX-License-Identifier: GPL-2.0
/* The controller's configuration file: good files, and broken lines. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "policy/config.h"
#include "tests/tap.h"

static void good(void)
{
	static const char text[] =
		"# a comment line\n"
		"\n"
		"interval 500ms          # sampling\n"
		"act-every 2\n"
		"window 4\n"
		"hysteresis 3%\n"
		"policy cpu maxmin\n"
		"policy memory proportional\n"
		"capacity cpu 2\n"
		"capacity memory 1G\n"
		"floor memory 32M\n"
		"step memory 20%\n"
		"headroom memory 16M\n"
		"cpu-period 50ms\n"
		"enforce cpu both\n"
		"enforce memory max\n"
		"cgroup-root /tmp/fake\n"
		"parent /jobs weight 2\n"
		"cgroup /jobs/b weight 2 min-cpu 0.5 max-cpu 1.5\n"
		"\tcgroup  jobs/a//  min-memory 100M max-memory 1G max-gpu-memory 2G\n"
		"cgroup /jobs weight 3\n";
	struct cgs_conf c;
	char err[256];

	is_int(cgs_conf_parse("t.conf", text, &c, err, sizeof(err)), 0,
	       "good: parses");
	if (err[0])
		printf("# %s\n", err);
	is_u64(c.interval_ns, 500000000ull, "good: interval 500ms");
	is_u64(c.act_every, 2, "good: act-every");
	is_u64(c.window, 4, "good: window");
	is_dbl(c.hysteresis, 0.03, 1e-12, "good: hysteresis 3%");
	ok(c.policy[CGS_CPU] == CGS_POLICY_MAXMIN &&
	   c.policy[CGS_MEM] == CGS_POLICY_PROPORTIONAL &&
	   c.policy[CGS_GPU] == CGS_POLICY_MAXMIN, "good: policies");
	ok(c.capacity_set[CGS_CPU] && c.capacity[CGS_CPU] == 2 &&
	   c.capacity[CGS_MEM] == 1 << 30 && !c.capacity_set[CGS_GPU],
	   "good: capacities, gpu left to the host");
	is_u64(c.mem_floor, 32 << 20, "good: floor");
	is_dbl(c.mem_step, 0.2, 1e-12, "good: step 20%");
	is_u64(c.mem_headroom, 16 << 20, "good: headroom");
	is_u64(c.cpu_period_us, 50000, "good: cpu-period in us");
	is_u64(c.enforce_cpu, CGS_ENF_CPU_MAX | CGS_ENF_CPU_WEIGHT,
	       "good: enforce cpu both");
	is_u64(c.enforce_mem, CGS_ENF_MEM_MAX, "good: enforce memory max");
	is_str(c.cgroup_root, "/tmp/fake", "good: cgroup-root");
	is_u64(c.nr_parent, 1, "good: one parent");
	is_str(c.parent[0].path, "/jobs", "good: parent path");
	is_dbl(c.parent[0].weight, 2, 0, "good: parent weight");
	is_u64(c.nr_cg, 3, "good: three cgroups");
	if (c.nr_cg == 3) {
		is_str(c.cg[0].path, "/jobs", "good: sorted, parent first");
		is_str(c.cg[1].path, "/jobs/a", "good: path normalised");
		is_str(c.cg[2].path, "/jobs/b", "good: then /jobs/b");
		is_dbl(c.cg[1].weight, 1, 0, "good: default weight 1");
		is_dbl(c.cg[1].min[CGS_MEM], 100 << 20, 0, "good: min-memory");
		is_dbl(c.cg[1].max[CGS_MEM], 1 << 30, 0, "good: max-memory");
		is_u64(c.cg[1].gpu_mem_max, 2ull << 30, "good: max-gpu-memory");
		ok(isinf(c.cg[1].max[CGS_CPU]), "good: unset max is unlimited");
		is_int(c.cg[1].line, 20, "good: line recorded");
		is_dbl(c.cg[2].min[CGS_CPU], 0.5, 0, "good: min-cpu");
		is_dbl(c.cg[2].max[CGS_CPU], 1.5, 0, "good: max-cpu");
		is_dbl(c.cg[2].weight, 2, 0, "good: weight");
		ok(cgs_conf_find(&c, "/jobs/b") == &c.cg[2], "good: find");
		ok(!cgs_conf_find(&c, "/jobs/c"), "good: find a stranger");
	}
	cgs_conf_free(&c);
}

static void defaults(void)
{
	struct cgs_conf c;
	char err[256];

	is_int(cgs_conf_parse("d.conf", "cgroup /a\n", &c, err, sizeof(err)),
	       0, "defaults: parses");
	is_u64(c.interval_ns, 1000000000ull, "defaults: interval 1s");
	is_u64(c.act_every, 3, "defaults: act-every 3");
	is_u64(c.window, 5, "defaults: window 5");
	is_u64(c.enforce_cpu, CGS_ENF_CPU_MAX | CGS_ENF_CPU_WEIGHT,
	       "defaults: cpu.max and cpu.weight");
	is_u64(c.enforce_mem, CGS_ENF_MEM_HIGH, "defaults: memory.high");
	is_u64(c.cpu_period_us, 100000, "defaults: period 100ms");
	is_u64(c.mem_floor, 64 << 20, "defaults: floor 64M");
	is_str(c.cgroup_root, "/sys/fs/cgroup", "defaults: cgroup root");
	ok(!c.capacity_set[CGS_CPU] && !c.capacity_set[CGS_MEM],
	   "defaults: capacities are the host's");
	cgs_conf_free(&c);
}

static const struct { const char *text, *err; } bad[] = {
	{ "kubelet manage\ncgroup /a\n", "b.conf:1: kubelet: want: kubelet manage PATH" },
	{ "kubelet memory-high maybe\ncgroup /a\n", "b.conf:1: kubelet memory-high: want on or off" },
	{ "kubelet memory-qos on\ncgroup /a\n", "b.conf:1: kubelet: want: kubelet manage PATH" },
	{ "cgroup /a\nfrobnicate 1\n", "b.conf:2: unknown directive 'frobnicate'" },
	{ "interval 5ms\ncgroup /a\n", "b.conf:1: bad interval: 5ms" },
	{ "interval\n", "b.conf:1: wrong number of arguments (want: interval" },
	{ "act-every 0\n", "b.conf:1: bad act-every: 0" },
	{ "window 65\n", "b.conf:1: bad window: 65" },
	{ "policy cpu fastest\n", "b.conf:1: policy cpu: unknown policy 'fastest'" },
	{ "policy disk maxmin\n", "b.conf:1: policy: unknown resource 'disk'" },
	{ "capacity cpu -1\n", "b.conf:1: bad capacity: -1" },
	{ "capacity memory lots\n", "b.conf:1: bad capacity: lots" },
	{ "step memory 10\n", "b.conf:1: bad step: 10 (want a percentage" },
	{ "step memory 0%\n", "b.conf:1: step memory 0% would never" },
	{ "floor cpu 1\n", "b.conf:1: floor: only memory has a floor" },
	{ "enforce cpu hard\n", "b.conf:1: enforce cpu hard: want" },
	{ "enforce gpu time\n", "b.conf:1: enforce gpu: GPU time has no enforcement" },
	{ "cpu-period 2s\n", "b.conf:1: bad cpu-period: 2s" },
	{ "cgroup-root relative\n", "b.conf:1: cgroup-root: want an absolute path" },
	{ "cgroup\n", "b.conf:1: cgroup: want: cgroup PATH" },
	{ "cgroup /a weight\n", "b.conf:1: cgroup: want: cgroup PATH" },
	{ "cgroup 12\n", "b.conf:1: bad cgroup path: 12" },
	{ "cgroup /a/../b\n", "b.conf:1: bad cgroup path: /a/../b" },
	{ "cgroup /\n", "b.conf:1: the root cgroup cannot be managed" },
	{ "cgroup /a weight 0\n", "b.conf:1: bad weight: 0" },
	{ "cgroup /a weight x\n", "b.conf:1: bad weight: x" },
	{ "cgroup /a colour blue\n", "b.conf:1: cgroup: unknown key 'colour'" },
	{ "cgroup /a min-cpu 2 max-cpu 1\n", "b.conf:1: cgroup /a: min-cpu is above max-cpu" },
	{ "cgroup /a min-memory 1Q\n", "b.conf:1: bad min-memory: 1Q" },
	{ "cgroup /a min-gpu-memory 2G max-gpu-memory 1G\n",
	  "b.conf:1: cgroup /a: min-gpu-memory is above max-gpu-memory" },
	{ "cgroup /a max-gpu-memory 0\n", "b.conf:1: bad max-gpu-memory: 0 (want a size above 0" },
	{ "cgroup /a max-gpu-memory lots\n", "b.conf:1: bad max-gpu-memory: lots" },
	{ "cgroup /a\ndmem-region drm/0000:03:00.0/vram0\n",
	  "b.conf:2: dmem-region: regions are read from dmem.capacity" },
	{ "cgroup /a\n\ncgroup /a/\n", "b.conf:3: cgroup /a is already declared on line 1" },
	{ "parent /p\nparent /p\n", "b.conf:2: parent /p is already declared on line 1" },
	{ "parent /p weight -2\n", "b.conf:1: bad weight: -2" },
	{ "capacity cpu 1\ncgroup /a min-cpu 0.75\ncgroup /b min-cpu 0.5\n",
	  "b.conf:3: the min-cpu guarantees add up to more than capacity cpu" },
	{ "# nothing\n", "b.conf: no cgroup or parent lines" },
	{ "cgroup /a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31\n",
	  "b.conf:1: too many words" },
};

static void broken(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cgs_conf c;
		char err[256];
		int ret = cgs_conf_parse("b.conf", bad[i].text, &c, err,
					 sizeof(err));
		size_t n = strlen(bad[i].err);

		ok(ret == -1 && !strncmp(err, bad[i].err, n),
		   "broken: %s", bad[i].err);
		if (ret != -1 || strncmp(err, bad[i].err, n))
			printf("#   got %d '%s'\n", ret, err);
		ok(!c.cg && !c.nr_cg && !c.file, "broken: nothing half-parsed");
	}
}

static void from_file(void)
{
	char path[] = "/tmp/cgshare-conf-XXXXXX";
	struct cgs_conf c;
	char err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("cgroup /x weight 4\ninterval 2s\n", f);
	fclose(f);
	is_int(cgs_conf_load(path, &c, err, sizeof(err)), 0, "file: loads");
	is_u64(c.interval_ns, 2000000000ull, "file: read whole");
	cgs_conf_free(&c);
	unlink(path);
	is_int(cgs_conf_load(path, &c, err, sizeof(err)), -1,
	       "file: missing file fails");
	ok(strstr(err, path) && strstr(err, "No such file"),
	   "file: names the file and the reason");
}

/* The shipped example must stay valid (tests run from ctl/). */
static void example(void)
{
	struct cgs_conf c;
	char err[256];

	is_int(cgs_conf_load("cgshare.conf.example", &c, err, sizeof(err)), 0,
	       "example: cgshare.conf.example parses");
	if (err[0])
		printf("#   %s\n", err);
	ok(c.nr_cg >= 1, "example: declares cgroups");
	cgs_conf_free(&c);
}

#define POD "/kubepods.slice/kubepods-burstable.slice/" \
	"kubepods-burstable-pod7f3e5a52_1c0d_4b6f_9a33_0d2c6e8b1f44.slice"
#define BIT(l) (1u << (l))

/*
 * Which limits may be written: all of a plain cgroup's; none of the
 * kubelet's but in a managed subtree, and there only those it leaves
 * alone (memory.high too but under MemoryQoS).
 */
static void kubelet(void)
{
	unsigned int all = BIT(CGS_NR_LIM) - 1, mine = BIT(CGS_LIM_MEM_HIGH) |
		BIT(CGS_LIM_MEM_LOW) | BIT(CGS_LIM_DMEM_MAX) | BIT(CGS_LIM_DMEM_LOW);
	struct cgs_conf c;
	char err[256];

	ok(!cgs_conf_parse("k.conf", "parent /kubepods.slice\n", &c, err,
			   sizeof(err)), "kubelet: parses");
	is_u64(cgs_conf_writable(&c, "/jobs/a"), all, "kubelet: a plain cgroup: all");
	is_u64(cgs_conf_writable(&c, POD), 0, "kubelet: a pod by default: none");
	is_u64(cgs_conf_writable(&c, "/kubepods.slice"), 0,
	       "kubelet: kubepods itself: none");
	cgs_conf_free(&c);
	ok(!cgs_conf_parse("k.conf", "kubelet manage /kubepods.slice/"
			   "kubepods-burstable.slice\nparent /kubepods.slice\n",
			   &c, err, sizeof(err)), "kubelet: manage parses");
	is_u64(cgs_conf_writable(&c, POD), mine,
	       "kubelet: a managed pod: memory.high, memory.low, dmem");
	is_u64(cgs_conf_writable(&c, "/kubepods.slice/kubepods-besteffort.slice"),
	       0, "kubelet: outside the managed subtree: none");
	cgs_conf_free(&c);
	ok(!cgs_conf_parse("k.conf", "kubelet manage /kubepods.slice\n"
			   "kubelet memory-high on\nparent /kubepods.slice\n",
			   &c, err, sizeof(err)), "kubelet: memory-high parses");
	is_u64(cgs_conf_writable(&c, POD), mine & ~BIT(CGS_LIM_MEM_HIGH),
	       "kubelet: with its throttling, memory.high is the kubelet's");
	cgs_conf_free(&c);
	ok(!cgs_conf_parse("k.conf", "kubelet manage /kubepods.slice\n"
			   "kubelet memory-protection on\nkubelet memory-high on\n"
			   "parent /kubepods.slice\n", &c, err, sizeof(err)),
	   "kubelet: memory-protection parses");
	is_u64(cgs_conf_writable(&c, POD), BIT(CGS_LIM_DMEM_MAX) |
	       BIT(CGS_LIM_DMEM_LOW), "kubelet: with both, only the dmem files");
	cgs_conf_free(&c);
}

/*
 * config_test FILE...: only check that each FILE loads (tools/check-deploy.sh
 * hands it the configuration a manifest ships).
 */
static int load_each(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct cgs_conf c;
		char err[256] = "";

		int ret = cgs_conf_load(argv[i], &c, err, sizeof(err));

		ok(ret == 0, "%s loads", argv[i]);
		if (ret)
			printf("#   %s\n", err);
		else
			cgs_conf_free(&c);
	}
	return tap_done();
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return load_each(argc, argv);
	good();
	defaults();
	broken();
	kubelet();
	from_file();
	example();
	return tap_done();
}
