// SPDX-License-Identifier: GPL-2.0
/* What the controller wrote, kept in a file: round trip, escapes, errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/state.h"
#include "tests/tap.h"

static char dir[] = "/tmp/cgs-state-XXXXXX";

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char file[128], err[256] = "";
	const struct cgs_state_ent *e;
	struct cgs_state s, t;

	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/sub/controller.state", dir);

	is_int(cgs_state_load(&s, file, err, sizeof(err)), 0,
	       "a missing file is an empty state");
	is_int(s.n, 0, "nothing in it");
	cgs_state_wrote(&s, "/b", 7, "cpu.max", "max 100000", "50000 100000");
	cgs_state_wrote(&s, "/a\tb\nc\\", 9, "memory.high", "max", "1048576");
	cgs_state_wrote(&s, "/b", 7, "cpu.max", "ignored", "60000 100000");
	e = cgs_state_find(&s, "/b", "cpu.max");
	ok(e && !strcmp(e->orig, "max 100000") &&
	   !strcmp(e->last, "60000 100000"),
	   "a second write keeps the original, replaces the last");
	is_int(cgs_state_save(&s), 0, "saved (its directory made)");
	ok(access(file, F_OK) == 0, "the file is there");
	snprintf(err, sizeof(err), "%s.tmp", file);
	ok(access(err, F_OK) != 0, "and no temporary file is left");

	is_int(cgs_state_load(&t, file, err, sizeof(err)), 0, "loads back");
	is_int(t.n, 2, "two entries");
	e = cgs_state_find(&t, "/a\tb\nc\\", "memory.high");
	ok(e && e->id == 9 && !strcmp(e->orig, "max") &&
	   !strcmp(e->last, "1048576"),
	   "tab, newline and backslash in a path survive");
	ok(cgs_state_stale(&t, "/b", 8), "another id is stale");
	ok(!cgs_state_stale(&t, "/b", 7), "the same id is not");
	ok(!cgs_state_stale(&t, "/nope", 1), "an unknown path is not");
	cgs_state_forget(&t, "/b");
	ok(!cgs_state_find(&t, "/b", "cpu.max"), "forgotten");
	is_int(t.n, 1, "one entry left");
	cgs_state_free(&t);
	cgs_state_free(&s);

	put(file, "/a\t1\tcpu.max\tmax 100000\t50000 100000\n"
	    "/b\tone\tcpu.max\tx\ty\n");
	is_int(cgs_state_load(&s, file, err, sizeof(err)), -EBADMSG,
	       "a malformed line is refused");
	ok(strstr(err, ":2:") != NULL, "naming its line: %s", err);
	is_int(s.n, 0, "and nothing is kept");
	cgs_state_free(&s);

	/* A write about to be made is in the file before it is made. */
	unlink(file);
	is_int(cgs_state_load(&s, file, err, sizeof(err)), 0, "a fresh state");
	is_int(cgs_state_intend(&s, "/c", 5, "cpu.max", "max 100000",
				"20000 100000"), 0, "a first write intended");
	is_int(cgs_state_load(&t, file, err, sizeof(err)), 0,
	       "and, killed before a save, loaded");
	e = cgs_state_find(&t, "/c", "cpu.max");
	ok(e && !strcmp(e->orig, "max 100000") && !e->last[0] && e->pending &&
	   !strcmp(e->pending, "20000 100000"),
	   "its original kept, its value pending, nothing read back yet");
	cgs_state_free(&t);
	cgs_state_wrote(&s, "/c", 5, "cpu.max", "x", "20000 100000");
	e = cgs_state_find(&s, "/c", "cpu.max");
	ok(e && !e->pending && !strcmp(e->orig, "max 100000"),
	   "read back: no longer pending");
	is_int(cgs_state_save(&s), 0, "saved");
	is_int(cgs_state_intend(&s, "/c", 5, "cpu.max", "ignored",
				"30000 100000"), 0, "a second write intended");
	is_int(cgs_state_intend(&s, "/c", 5, "memory.high", "max",
				"1048576"), 0, "and one of another file");
	cgs_state_settle(&s, "/c", "memory.high");
	e = cgs_state_find(&s, "/c", "memory.high");
	ok(e && !e->pending && !strcmp(e->orig, "max"),
	   "a refused write settles, keeping the original found");
	is_int(cgs_state_load(&t, file, err, sizeof(err)), 0,
	       "killed again before a save: loaded");
	e = cgs_state_find(&t, "/c", "cpu.max");
	ok(e && !strcmp(e->orig, "max 100000") &&
	   !strcmp(e->last, "20000 100000") && e->pending &&
	   !strcmp(e->pending, "30000 100000"),
	   "the later line wins but for the original");
	cgs_state_free(&t);
	is_int(cgs_state_save(&s), 0, "saved again");
	is_int(cgs_state_load(&t, file, err, sizeof(err)), 0, "loaded");
	e = cgs_state_find(&t, "/c", "cpu.max");
	ok(e && e->pending && !strcmp(e->pending, "30000 100000"),
	   "a pending write not read back yet is saved as pending");
	cgs_state_free(&t);
	cgs_state_free(&s);

	put(file, "/d\t1\tcpu.max\tmax 100000\t\t50000 100000\n"
	    "/d\t2\tcpu.weight\t100\t\t200\n"
	    "/d\t2\tcpu.max\tmax 100000\t\t70000 1");
	is_int(cgs_state_load(&s, file, err, sizeof(err)), 0,
	       "an append cut short is no error");
	ok(!cgs_state_find(&s, "/d", "cpu.max") && s.n == 1 &&
	   cgs_state_find(&s, "/d", "cpu.weight")->id == 2,
	   "it is dropped, and a line of a recreated cgroup supersedes");
	cgs_state_free(&s);
	put(file, "/d\t1\tcpu.max\ta\tb\tc\td\n");
	is_int(cgs_state_load(&s, file, err, sizeof(err)), -EBADMSG,
	       "seven fields are refused");
	cgs_state_free(&s);
	put(file, "/d\t1\n");
	is_int(cgs_state_load(&s, file, err, sizeof(err)), -EBADMSG,
	       "two fields are refused");
	cgs_state_free(&s);

	is_int(cgs_state_load(&s, NULL, err, sizeof(err)), 0,
	       "no file: memory only");
	cgs_state_wrote(&s, "/a", 1, "cpu.weight", "100", "200");
	is_int(cgs_state_save(&s), 0, "saving memory only is a no-op");
	cgs_state_free(&s);

	snprintf(err, sizeof(err), "rm -rf '%s'", dir);
	if (system(err))
		perror(err);
	return tap_done();
}
