/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_CONTROL_STATE_H
#define CGS_CONTROL_STATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What the controller has written, kept in a file (by default
 * /run/cgshare/controller.state, or $RUNTIME_DIRECTORY/controller.state)
 * so that a controller killed mid-round and started again still knows,
 * for every cgroup file it wrote: the value it found there before its
 * first write (what --restore puts back) and the value it wrote last (so
 * that a different value there now is someone else's write). The file is
 * replaced whole with rename(2): it is never seen half-written.
 *
 * One line per file written: PATH TAB ID TAB FILE TAB ORIGINAL TAB LAST
 * (ID the cgroup's, so that a cgroup recreated meanwhile is told apart),
 * with backslash, tab and newline escaped as \\, \t and \n.
 */

struct cgs_state_ent {
	char *path;
	unsigned long long id;
	char *file;
	char *orig;		/* found before our first write */
	char *last;		/* read back after our last write */
};

struct cgs_state {
	char *file;		/* NULL: in memory only */
	struct cgs_state_ent *v;	/* sorted by path, then file */
	size_t n, cap;
	bool dirty;
};

/* The default file: $RUNTIME_DIRECTORY or /run/cgshare. Static. */
const char *cgs_state_default(void);
/*
 * Reads @file (NULL: nothing, memory only). A missing file is an empty
 * state; a malformed line is an error (-EBADMSG, said in @err), and so is
 * a file that cannot be read.
 */
int cgs_state_load(struct cgs_state *s, const char *file, char *err,
		   size_t errlen);
void cgs_state_free(struct cgs_state *s);
const struct cgs_state_ent *cgs_state_find(const struct cgs_state *s,
					   const char *path, const char *file);
/* The entries of @path, *@n of them in a row, or NULL. */
const struct cgs_state_ent *cgs_state_of(const struct cgs_state *s,
					 const char *path, size_t *n);
/*
 * Records a write (a keyed file's, as "FILE KEY", one per key): @orig is kept from the first, @last replaced. */
int cgs_state_wrote(struct cgs_state *s, const char *path,
		    unsigned long long id, const char *file, const char *orig,
		    const char *last);
/* True when @path's entries are of another cgroup than @id. */
bool cgs_state_stale(const struct cgs_state *s, const char *path,
		     unsigned long long id);
/* Forgets every file of @path (restored, or no longer managed). */
void cgs_state_forget(struct cgs_state *s, const char *path);
/* Writes the file when something changed; 0 or -errno. */
int cgs_state_save(struct cgs_state *s);

#endif
