/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_LIFETIME_H
#define _CGSHARE_LIFETIME_H

#include "ledger.h"

/* Called from a worker for every removed record, before it is freed. */
typedef void (*cgshare_release_fn)(struct cgshare_rec *rec);

int cgshare_lifetime_init(cgshare_release_fn release);
void cgshare_lifetime_uninit(void);
void cgshare_lifetime_sync(void);
u64 cgshare_lifetime_deferred(void);

#endif
