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
 * replaced whole with rename(2) once a round: it is never seen
 * half-written.
 *
 * One line per file written: PATH TAB ID TAB FILE TAB ORIGINAL TAB LAST
 * [TAB PENDING] (ID the cgroup's, so that a cgroup recreated meanwhile is
 * told apart), with backslash, tab and newline escaped as \\, \t and \n.
 * Before each write, a line with the value about to be written, PENDING,
 * is appended (cgs_state_intend()): a controller killed between a write
 * and the round's save leaves the original it found and the value it may
 * have written, and the run after it takes that value, found there, for
 * its own. A later line of the same file and cgroup supersedes an earlier
 * one, but for the original, which the first keeps.
 */

struct cgs_state_ent {
	char *path;
	unsigned long long id;
	char *file;
	char *orig;		/* found before our first write */
	char *last;		/* read back after our last write */
	char *pending;		/* being written, not yet read back; or NULL */
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
 * Records a write (a keyed file's, as "FILE KEY", one per key): @orig is
 * kept from the first, @last replaced, a pending value settled.
 */
int cgs_state_wrote(struct cgs_state *s, const char *path,
		    unsigned long long id, const char *file, const char *orig,
		    const char *last);
/*
 * Says, before it is made, that @value is about to be written: the entry
 * (made with @orig when new) is marked pending and a line appended to the
 * file, so that a run killed before the next cgs_state_save() leaves it.
 * 0 or -errno (the write must then not be made: its original would be
 * lost with this run).
 */
int cgs_state_intend(struct cgs_state *s, const char *path,
		     unsigned long long id, const char *file, const char *orig,
		     const char *value);
/* The pending write of @file was not made (refused, or not needed). */
void cgs_state_settle(struct cgs_state *s, const char *path, const char *file);
/* True when @path's entries are of another cgroup than @id. */
bool cgs_state_stale(const struct cgs_state *s, const char *path,
		     unsigned long long id);
/* Forgets every file of @path (restored, or no longer managed). */
void cgs_state_forget(struct cgs_state *s, const char *path);
/* Writes the file when something changed; 0 or -errno. */
int cgs_state_save(struct cgs_state *s);

#endif
