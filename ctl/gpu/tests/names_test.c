// SPDX-License-Identifier: GPL-2.0
/* How cgsharectl gpu enable names fence drivers from /proc/kallsyms. */
#include <stdio.h>
#include <string.h>

#include "gpu/names.h"
#include "tests/tap.h"

static void line_is(const char *line, int want, unsigned long long want_addr,
		    const char *want_dev)
{
	unsigned long long addr = 0;
	char dev[32] = "unset";
	int r = gpu_names_line(line, &addr, dev);

	ok(r == want, "'%.*s' -> %d", (int)strcspn(line, "\n"), line, want);
	if (r != want)
		printf("#   got %d\n", r);
	if (want == 1) {
		ok(addr == want_addr, "  address %llx", want_addr);
		ok(!strcmp(dev, want_dev), "  named '%s'", want_dev);
		if (strcmp(dev, want_dev))
			printf("#   got '%s'\n", dev);
	}
}

int main(void)
{
	static const char sample[] =
		"ffffffff81000000 T _text\n"
		"ffffffffc0a01040 d vgem_fence_ops\t[vgem]\n"
		"ffffffff82e3a8e0 D dma_fence_array_ops\n"
		"ffffffff82e3a900 r dma_fence_chain_ops\n"
		"ffffffffc1234560 r nouveau_fence_ops_uevent\t[nouveau]\n"
		"ffffffff8123abcd t vgem_fence_ops_helper\n"
		"ffffffff8123abce d not_fence_opsx\n"
		"ffffffff82e3b000 r __ksymtab_dma_fence_array_ops\n"
		"garbage line\n"
		"\n";
	static const char hidden[] =
		"0000000000000000 d vgem_fence_ops\t[vgem]\n"
		"0000000000000000 D dma_fence_array_ops\n";
	FILE *f;

	line_is("ffffffffc0a01040 d vgem_fence_ops\t[vgem]\n", 1, 0xffffffffc0a01040ull, "vgem");
	line_is("ffffffff82e3a8e0 D dma_fence_array_ops\n", 1, 0xffffffff82e3a8e0ull,
		"dma_fence_array");
	line_is("ffffffffc1234560 r nouveau_fence_ops_uevent\t[nouveau]\n", 1,
		0xffffffffc1234560ull, "nouveau");
	line_is("ffffffff8123abcd t vgem_fence_ops\t[vgem]\n", 0, 0, NULL);
	line_is("ffffffff8123abce d not_fence_opsx\n", 0, 0, NULL);
	line_is("0000000000000000 d vgem_fence_ops\t[vgem]\n", -1, 0, NULL);
	line_is("ffffffff82e3b000 r __ksymtab_dma_fence_array_ops\n", 0, 0, NULL);
	line_is("ffffffff82e3b010 r __kstrtab_dma_fence_chain_ops\n", 0, 0, NULL);
	line_is("ffffffff82e3b020 r __BTF_ID__struct__trace_event_raw_dma_fence_ops\n", 0, 0, NULL);
	line_is("ffffffff82e3b030 d __flags_dma_fence_chain_ops\n", 0, 0, NULL);
	line_is("garbage\n", 0, 0, NULL);
	line_is("ffffffff82e3a8e0 D\n", 0, 0, NULL);
	line_is("ffffffffc0a01040 d a_fence_ops\t[drv+with/odd chars]\n", 1,
		0xffffffffc0a01040ull, "drv_with_odd_chars");
	line_is("ffffffffc0a01040 d a_fence_ops\t[a_module_name_that_is_far_longer_than_32]\n", 1,
		0xffffffffc0a01040ull, "a_module_name_that_is_far_longe");

	f = fmemopen((void *)sample, sizeof(sample) - 1, "r");
	ok(f && gpu_names_scan(f, NULL, NULL) == 4, "a kallsyms sample names 4 drivers");
	if (f)
		fclose(f);
	f = fmemopen((void *)hidden, sizeof(hidden) - 1, "r");
	ok(f && gpu_names_scan(f, NULL, NULL) == -1, "hidden addresses (kptr_restrict) are an error");
	if (f)
		fclose(f);
	f = fmemopen((void *)"", 0, "r");
	ok(!f || gpu_names_scan(f, NULL, NULL) == 0, "no fence drivers at all is not an error");
	if (f)
		fclose(f);
	return tap_done();
}
