/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _CGSHARE_MEMORY_H
#define _CGSHARE_MEMORY_H

#include "ledger.h"

bool cgshare_mem_read(struct cgroup *cgrp, struct cgshare_mem *mem);

#endif
