/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_LIFETIME_H
#define _CGSHARE_LIFETIME_H

#include "ledger.h"

int cgshare_lifetime_init(void);
void cgshare_lifetime_uninit(void);
void cgshare_lifetime_release(struct cgshare_rec *rec);
void cgshare_lifetime_sync(void);

#endif
