// SPDX-License-Identifier: GPL-2.0
/*
 * The plan: shares to limit values, computed by hand. Each case opens with
 * the cgroups it plans and the rule it checks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy/plan.h"
#include "tests/tap.h"

#define PAGE 4096

static void conf(struct cgs_conf *k, const char *text)
{
	char err[256];

	if (cgs_conf_parse("t.conf", text, k, err, sizeof(err)))
		printf("# conf: %s\n", err);
}

static void cg(struct cgs_plan_cg *c, double weight, int parent)
{
	memset(c, 0, sizeof(*c));
	c->weight = weight;
	c->measured = true;
	c->parent = parent;
	c->mem_high = CGS_LIMIT_MAX;
	for (int r = 0; r < CGS_NR_RES; r++)
		c->applied[r] = NAN;
}

static void cpu(struct cgs_plan_cg *c, double demand, double share)
{
	c->has[CGS_CPU] = true;
	c->demand[CGS_CPU] = demand;
	c->share[CGS_CPU] = share;
}

static void rules(void)
{
	struct cgs_mem_rules r = { 64 << 20, 32 << 20, 0.10, 4096 };

	is_u64(cgs_cpu_quota(0.5, 100000), 50000, "cpu: half a CPU");
	is_u64(cgs_cpu_quota(1.75, 100000), 175000, "cpu: beyond one CPU");
	is_u64(cgs_cpu_quota(0.001, 100000), 1000, "cpu: quota at least 1 ms");
	is_u64(cgs_cpu_quota(0, 100000), 1000, "cpu: zero share still 1 ms");
	is_u64(cgs_cpu_quota(INFINITY, 100000), CGS_LIMIT_MAX, "cpu: unlimited");
	is_u64(cgs_cpu_weight(1), 100, "weight: 1 is the default 100");
	is_u64(cgs_cpu_weight(0.001), 1, "weight: at least 1");
	is_u64(cgs_cpu_weight(500), 10000, "weight: at most 10000");

	/* usage 1000M under no limit, target 500M: 10% a step. */
	is_u64(cgs_mem_high(500e6, CGS_LIMIT_MAX, 1000e6, &r), 900001792,
	       "high: first step 10% below usage (page up)");
	is_u64(cgs_mem_high(500e6, 900e6, 950e6, &r), 810000384,
	       "high: next step from the lower of limit and usage");
	is_u64(cgs_mem_high(850e6, 900e6, 950e6, &r), 850001920,
	       "high: target within a step: the target");
	is_u64(cgs_mem_high(2000e6, 900e6, 950e6, &r), 2000003072,
	       "high: raised at once");
	is_u64(cgs_mem_high(300e6, CGS_LIMIT_MAX, 100e6, &r), 300003328,
	       "high: above usage: set at once");
	is_u64(cgs_mem_high(1e6, 70e6, 70e6, &r), 64 << 20,
	       "high: never below the floor");
	is_u64(cgs_mem_high(INFINITY, 70e6, 70e6, &r), CGS_LIMIT_MAX,
	       "high: unlimited is max");
	is_u64(cgs_mem_max(100e6, 500 << 20, &r), (500 + 32) << 20,
	       "max: never below usage + headroom");
	is_u64(cgs_mem_max(10e6, 1e6, &r), 64 << 20, "max: never below floor");
	is_u64(cgs_mem_max(800e6, 500e6, &r), 800002048, "max: the target");
}


/*
 * a:b:c at 1:2:1 on 2 CPUs, each asking for more than it gets:
 * cpu.max at the share, cpu.weight 100 per unit of weight.
 */
static void held_back(void)
{
	static const double cap[CGS_NR_RES] = { 2, 1e12, 0 };
	struct cgs_plan_cg v[3];
	struct cgs_conf k;

	conf(&k, "cgroup /a\n");
	cg(&v[0], 1, -1);
	cpu(&v[0], 2, 0.5);
	cg(&v[1], 2, -1);
	cpu(&v[1], 2, 1.0);
	cg(&v[2], 1, -1);
	cpu(&v[2], 2, 0.5);
	cgs_plan(&k, cap, PAGE, v, 3);
	is_str(v[0].value[CGS_LIM_CPU_MAX], "50000 100000", "1:2:1: a's cpu.max");
	is_str(v[1].value[CGS_LIM_CPU_MAX], "100000 100000", "1:2:1: b's cpu.max");
	is_str(v[1].value[CGS_LIM_CPU_WEIGHT], "200", "1:2:1: b's cpu.weight");
	is_u64(v[2].cpu_quota_us, 50000, "1:2:1: c's quota");
	ok(!v[0].want[CGS_LIM_MEM_HIGH], "1:2:1: no memory limit without memory demand");
	cgs_conf_free(&k);
}

/*
 * a (weight 1) asks for 0.2 CPU and gets it; b (weight 1) is held at 1.8.
 * Nothing is left unclaimed, but a may grow to its weighted part of the
 * 2 CPUs, 1.0, whatever b asks for.
 */
static void water_level(void)
{
	static const double cap[CGS_NR_RES] = { 2, 1e12, 0 };
	struct cgs_plan_cg v[2];
	struct cgs_conf k;

	conf(&k, "cgroup /a\n");
	cg(&v[0], 1, -1);
	cpu(&v[0], 0.2, 0.2);
	cg(&v[1], 1, -1);
	cpu(&v[1], 3, 1.8);
	cgs_plan(&k, cap, PAGE, v, 2);
	is_u64(v[0].cpu_quota_us, 100000, "fair: satisfied a may grow to 1.0");
	is_u64(v[1].cpu_quota_us, 180000, "fair: held b at its share");
	cpu(&v[1], 5, 1.8);
	cgs_plan(&k, cap, PAGE, v, 2);
	is_u64(v[0].cpu_quota_us, 100000, "fair: whatever b asks for");

	/* weights 1:3, both satisfied at 1.0: b may grow to 1.5, a to 0.5 */
	cg(&v[0], 1, -1);
	cpu(&v[0], 1.0, 1.0);
	cg(&v[1], 3, -1);
	cpu(&v[1], 1.0, 1.0);
	cgs_plan(&k, cap, PAGE, v, 2);
	is_u64(v[0].cpu_quota_us, 100000, "fair: a at its share, above its part");
	is_u64(v[1].cpu_quota_us, 150000, "fair: b to its part, never past capacity");
	cgs_conf_free(&k);
}

/*
 * a alone asks for 0.5 of 4 CPUs: it gets its share and the 3.5 nobody
 * claimed. Then, with 4% more demand, hysteresis keeps the old target.
 */
static void unclaimed_and_hysteresis(void)
{
	static const double cap[CGS_NR_RES] = { 4, 1e12, 0 };
	struct cgs_plan_cg v[1];
	struct cgs_conf k;

	conf(&k, "cgroup /a\n");
	cg(&v[0], 1, -1);
	cpu(&v[0], 0.5, 0.5);
	cgs_plan(&k, cap, PAGE, v, 1);
	is_u64(v[0].cpu_quota_us, 400000, "unclaimed: all 4 CPUs");
	cpu(&v[0], 4, 3.9);
	cgs_plan(&k, cap, PAGE, v, 1);
	is_u64(v[0].cpu_quota_us, 400000, "hysteresis: 3.9 is within 5% of 4");
	cpu(&v[0], 4, 3.0);
	cgs_plan(&k, cap, PAGE, v, 1);
	is_u64(v[0].cpu_quota_us, 300000, "hysteresis: 3.0 moves");
	cgs_conf_free(&k);
}

/*
 * Memory: a holds 1000M with no memory.high and is shared 500M: one step
 * of 10% down (900M, page up); memory.max never below usage + headroom;
 * memory.low from its guarantee.
 */
static void memory(void)
{
	static const double cap[CGS_NR_RES] = { 2, 2e9, 0 };
	struct cgs_plan_cg v[2];
	struct cgs_conf k;

	conf(&k, "enforce memory both\nheadroom memory 32M\n"
	     "cgroup /a min-memory 100M\n");
	cg(&v[0], 1, -1);
	v[0].has[CGS_MEM] = true;
	v[0].demand[CGS_MEM] = 1500e6;
	v[0].share[CGS_MEM] = 500e6;
	v[0].min[CGS_MEM] = 100 << 20;
	v[0].mem_current = 1000e6;
	cg(&v[1], 1, -1);
	v[1].has[CGS_MEM] = true;
	v[1].demand[CGS_MEM] = 1500e6;
	v[1].share[CGS_MEM] = 1500e6;
	v[1].mem_current = 10e6;
	cgs_plan(&k, cap, PAGE, v, 2);
	is_str(v[0].value[CGS_LIM_MEM_HIGH], "900001792",
	       "memory: a's memory.high one step down");
	is_u64(v[0].mem_high_set, 900001792, "memory: and said so");
	is_str(v[0].value[CGS_LIM_MEM_MAX], "1033555968",
	       "memory: a's memory.max at usage + headroom");
	is_str(v[0].value[CGS_LIM_MEM_LOW], "104857600",
	       "memory: a's memory.low its guarantee");
	ok(!v[1].want[CGS_LIM_MEM_LOW], "memory: no guarantee, no memory.low");
	v[0].mem_high = 900001792;
	v[0].mem_current = 950e6;
	cgs_plan(&k, cap, PAGE, v, 2);
	/* 10% below the limit now, 900001792: 810001612.8, page up. */
	is_str(v[0].value[CGS_LIM_MEM_HIGH], "810004480",
	       "memory: next step from the lower of limit and usage");
	cgs_conf_free(&k);
}

/*
 * Device memory, two regions: dmem.max only where the controller is (said,
 * not silently skipped); a cap below usage stepped down 10 % at a time and
 * said pending; dmem.low from the guarantee, per region.
 */
static void dmem(void)
{
	static const double cap[CGS_NR_RES] = { 2, 1e12, 1 };
	struct cgs_plan_cg v[1];
	struct cgs_conf k;

	conf(&k, "cgroup /a max-gpu-memory 1G min-gpu-memory 256M\n");
	cg(&v[0], 1, -1);
	cpu(&v[0], 1, 1);
	v[0].gpu_mem_max = 1 << 30;
	v[0].gpu_mem_low = 256 << 20;
	v[0].nr_region = 2;
	snprintf(v[0].region[0].name, 64, "drm/0000:03:00.0/vram0");
	v[0].region[0].current = 100 << 20;
	v[0].region[0].max = CGS_LIMIT_MAX;
	snprintf(v[0].region[1].name, 64, "drm/0000:04:00.0/vram0");
	v[0].region[1].current = 2000ull << 20;
	v[0].region[1].max = CGS_LIMIT_MAX;
	cgs_plan(&k, cap, PAGE, v, 1);
	ok(!v[0].want[CGS_LIM_DMEM_MAX] && v[0].dmem_missing,
	   "dmem: no controller: nothing planned, and flagged");
	ok(strstr(cgs_dmem_missing_why(false, &v[0]), "kernel has no dmem"),
	   "dmem: why: the kernel has none");
	ok(strstr(cgs_dmem_missing_why(true, &v[0]), "not enabled in its parent"),
	   "dmem: why: the kernel has it, the parent does not enable it");
	v[0].dmem = true;
	cgs_plan(&k, cap, PAGE, v, 1);
	/* 2000M in use: 10 % off the usage, not the 1G cap at once */
	is_str(v[0].value[CGS_LIM_DMEM_MAX],
	       "drm/0000:03:00.0/vram0 1073741824\n"
	       "drm/0000:04:00.0/vram0 1887436800",
	       "dmem: the cap where it fits, a step where usage is above");
	is_u64(v[0].dmem_pending, 2, "dmem: the second region said pending");
	is_str(v[0].value[CGS_LIM_DMEM_LOW],
	       "drm/0000:03:00.0/vram0 268435456\n"
	       "drm/0000:04:00.0/vram0 268435456", "dmem: dmem.low per region");
	ok(!v[0].dmem_missing, "dmem: not flagged");
	v[0].nr_region = 0;
	cgs_plan(&k, cap, PAGE, v, 1);
	ok(v[0].dmem_missing && !v[0].want[CGS_LIM_DMEM_LOW],
	   "dmem: no region: nothing planned, and flagged");
	ok(strstr(cgs_dmem_missing_why(true, &v[0]), "no driver has registered"),
	   "dmem: why: no region");
	cgs_conf_free(&k);
}

/* An unmeasured cgroup is left alone: nothing planned. */
static void unmeasured(void)
{
	static const double cap[CGS_NR_RES] = { 2, 1e12, 0 };
	struct cgs_plan_cg v[1];
	struct cgs_conf k;

	conf(&k, "cgroup /a\n");
	cg(&v[0], 1, -1);
	v[0].measured = false;
	cgs_plan(&k, cap, PAGE, v, 1);
	for (int l = 0; l < CGS_NR_LIM; l++)
		ok(!v[0].want[l], "unmeasured: no %s", cgs_limit_file[l]);
	cgs_conf_free(&k);
}

int main(void)
{
	rules();
	held_back();
	water_level();
	unclaimed_and_hysteresis();
	memory();
	dmem();
	unmeasured();
	return tap_done();
}
