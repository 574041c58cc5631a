/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_NETLINK_H
#define _CGSHARE_NETLINK_H

#include "ledger.h"

int cgshare_netlink_init(void);
void cgshare_netlink_uninit(void);
void cgshare_nl_notify_release(struct cgshare_rec *rec);

#endif
