/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_TRACEPOINT_H
#define _CGSHARE_TRACEPOINT_H

struct cgshare_probe {
	const char *name;
	void *func;
	struct tracepoint *tp;
};

int cgshare_probes_register(struct cgshare_probe *probes, unsigned int n);
void cgshare_probes_unregister(struct cgshare_probe *probes, unsigned int n);

#endif
