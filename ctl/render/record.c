// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "render/out.h"
#include "model/k8s.h"
#include "render/record.h"

void show_gpu_json(const struct cgs_gpu *g)
{
	out_str("dev", NULL, g->dev);
	for (int c = 0; c < CGS_NR_GPU_CTR; c++)
		if (g->present & CGS_BIT(c))
			out_ctr(cgs_gpu_ctr_info[c].key, g->ctr[c]);
}

void show_k8s_json(const char *path)
{
	struct cgs_k8s k;
	const char *q;

	if (!path || !cgs_k8s_parse(path, &k))
		return;
	q = cgs_qos_name(k.qos);
	if (q)
		out_str("qos_class", NULL, q);
	if (k.pod_uid[0])
		out_str("pod_uid", NULL, k.pod_uid);
	if (k.container_id[0])
		out_str("container_id", NULL, k.container_id);
	if (k.runtime)
		out_str("container_runtime", NULL, k.runtime);
}

void show_cgroup_json(const struct cgs_cgroup *cg, uint32_t skip)
{
	show_k8s_json(cg->path);
	if (cg->has & CGS_HAS_PARENT)
		out_u64("parent_id", NULL, cg->parent_id);
	for (int c = 0; c < CGS_NR_CTR; c++)
		if (cgs_has_ctr(cg, c) && !(skip & CGS_BIT(c)))
			out_ctr(cgs_ctr_info[c].key, cg->ctr[c]);
	if (skip & SHOW_SKIP_GPU)
		return;
	out_arr_begin("gpu");
	for (unsigned int i = 0; i < cg->nr_gpu; i++) {
		out_obj_begin(NULL);
		show_gpu_json(&cg->gpu[i]);
		out_obj_end();
	}
	out_arr_end();
}

/*
 * "oom_kill=1,high=3": the memory.events counters (the spec's family
 * labelled "event"), most severe first, which is what an operator looks
 * for; the spec lists them mildest first (low, high, max, oom, oom_kill).
 */
void events_summary(char *buf, size_t len, const uint64_t *ctr,
		    uint32_t present)
{
	size_t n = 0;
	bool any = false;

	buf[0] = '\0';
	for (int c = CGS_NR_CTR - 1; c >= 0; c--) {
		const struct cgs_metric *m = &cgs_ctr_info[c];

		if (!m->label || strcmp(m->label, "event") ||
		    !(present & CGS_BIT(c)))
			continue;
		any = true;
		if (!ctr[c] || n >= len)
			continue;
		n += snprintf(buf + n, len - n, "%s%s=%llu", n ? "," : "",
			      m->label_value, (unsigned long long)ctr[c]);
	}
	if (!n)
		snprintf(buf, len, "%s", any ? "0" : "-");
}

uint64_t gpu_busy_total(const struct cgs_cgroup *cg)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < cg->nr_gpu; i++)
		if (cg->gpu[i].present & CGS_BIT(CGS_GPU_BUSY_NS))
			sum += cg->gpu[i].ctr[CGS_GPU_BUSY_NS];
	return sum;
}
