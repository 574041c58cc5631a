// SPDX-License-Identifier: GPL-2.0
/* The record list: room reserved, records cleared, the room kept. */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "tests/tap.h"

static void fill(struct cgs_list *l, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++) {
		struct cgs_cgroup *cg = cgs_list_add(l);

		cg->id = i + 1;
		cg->path = strdup(tag);
		cg->has = CGS_HAS_ID | CGS_HAS_PATH;
	}
}

int main(void)
{
	struct cgs_list l = { 0 };
	struct cgs_cgroup *v;
	bool same = true;

	ok(cgs_list_reserve(&l, 1000) && l.cap == 1000 && l.n == 0,
	   "reserve: room for 1000, no record");
	v = l.v;
	for (size_t i = 0; i < 1000; i++) {
		fill(&l, 1, "/a");
		same &= l.v == v;
	}
	ok(same && l.n == 1000 && l.cap == 1000,
	   "1000 records added into the room: the array never moved");
	ok(cgs_list_reserve(&l, 10) && l.cap == 1000 && l.v == v && l.n == 1000,
	   "reserving less than there is changes nothing");
	ok(!cgs_list_reserve(&l, SIZE_MAX) && l.cap == 1000 && l.v == v &&
	   l.n == 1000, "room past what memory can address: refused, the list as it was");
	cgs_list_clear(&l);
	ok(l.n == 0 && l.cap == 1000 && l.v == v,
	   "clear: no record, the room kept (valgrind: the paths freed)");
	fill(&l, 3, "/b");
	ok(l.n == 3 && l.v == v && l.v[0].id == 1 && !strcmp(l.v[2].path, "/b") &&
	   l.v[2].present == 0, "records added after a clear start zeroed");
	fill(&l, 2000, "/c");
	ok(l.n == 2003 && l.cap >= 2003, "and the list grows past its room");
	cgs_list_free(&l);
	ok(!l.v && !l.n && !l.cap, "free: nothing left");
	return tap_done();
}
