// SPDX-License-Identifier: GPL-2.0
/*
 * Single status-get attributes by type, as numbers: the module-wide
 * counters the fault and fuzz tests compare before and after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "cgtest.h"

struct status_find {
	int type;
	bool found;
	u64 v;
};

static int find_cb(const struct nlmsghdr *nlh, void *arg)
{
	const char *p = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	struct status_find *f = arg;

	while (rem >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		int len = a->nla_len - NLA_HDRLEN;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > rem)
			return -EPROTO;
		if ((a->nla_type & NLA_TYPE_MASK) == f->type) {
			if (len == 4) {
				u32 v32;

				memcpy(&v32, p + NLA_HDRLEN, 4);
				f->v = v32;
			} else if (len == 8) {
				memcpy(&f->v, p + NLA_HDRLEN, 8);
			} else {
				return -EPROTO;
			}
			f->found = true;
		}
		rem -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

int cgs_status_uint(struct nl *nl, int type, u64 *v)
{
	struct status_find f = { .type = type };
	struct ack ack;
	struct msg m;
	int ret;

	msg_init(&m, nl->family, CGSHARE_CMD_STATUS_GET, 0);
	ret = nl_transact(nl, &m, find_cb, &f, &ack);
	if (ret)
		return ret;
	if (!f.found)
		return -ENODATA;
	*v = f.v;
	return 0;
}
