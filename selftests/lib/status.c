// SPDX-License-Identifier: GPL-2.0
/*
 * The module-wide counters of status-get by attribute type, read through
 * the ledger library: what the fault and fuzz tests compare before and
 * after.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "cgtest.h"
#include "ledger/ledger.h"

int cgs_status_uint(struct nl *nl, int type, u64 *v)
{
	struct cgs_status st;
	int ret = cgs_nl_status(nl->lc, &st);

	if (ret)
		return ret;
	ret = -ENODATA;
	for (int c = 0; c < CGS_NR_STATUS_CTR; c++) {
		if (cgs_status_ctr_info[c].attr == type &&
		    (st.present & CGS_BIT(c))) {
			*v = st.ctr[c];
			ret = 0;
		}
	}
	cgs_status_free(&st);
	return ret;
}
