// SPDX-License-Identifier: GPL-2.0
/*
 * The generated tables' JSON keys: each made only of [a-z0-9_], which the
 * JSON writer relies on to print them unescaped (json_member_u64), and
 * none twice in a table; and the same of their Prometheus label names and
 * values, which the exporter prints unescaped too.
 */
#include <string.h>

#include "model/attrs.h"
#include "tests/tap.h"

static bool ident(const char *s)
{
	return s && *s &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static void keys(const char *table, const struct cgs_metric *m, int n)
{
	for (int i = 0; i < n; i++) {
		const char *k = m[i].key;
		bool dup = false;

		ok(ident(k), "%s[%d] key '%s' is [a-z0-9_]+", table, i,
		   k ? k : "(null)");
		if (m[i].label)
			ok(ident(m[i].label) && ident(m[i].label_value),
			   "%s[%d] label %s=\"%s\" is [a-z0-9_]+", table, i,
			   m[i].label, m[i].label_value ? m[i].label_value : "(null)");
		for (int j = 0; k && j < i; j++)
			dup |= !strcmp(m[j].key, k);
		ok(!dup, "%s[%d] key '%s' is not used before", table, i,
		   k ? k : "(null)");
	}
}

int main(void)
{
	keys("cgs_ctr_info", cgs_ctr_info, CGS_NR_CTR);
	keys("cgs_gpu_ctr_info", cgs_gpu_ctr_info, CGS_NR_GPU_CTR);
	keys("cgs_status_ctr_info", cgs_status_ctr_info, CGS_NR_STATUS_CTR);
	return tap_done();
}
