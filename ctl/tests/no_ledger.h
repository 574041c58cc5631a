/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For a test that stands in for the ledger's sample (it defines
 * cgs_sample() itself): what opens and closes the ledger, doing nothing,
 * so that the test takes none of ledger/'s I/O. One file of a test
 * includes it.
 */
#ifndef CGS_TESTS_NO_LEDGER_H
#define CGS_TESTS_NO_LEDGER_H

#include <errno.h>
#include <stdio.h>

#include "ledger/ledger.h"

/*
 * With NO_LEDGER_OPENS defined before this file, opening the ledger
 * succeeds with a handle that is never read through (a test of the
 * exporter's server, whose sample is the test's own); else it fails as
 * with the module not loaded.
 */
int cgs_nl_open(struct cgs_nl **nlp, unsigned int flags)
{
#ifdef NO_LEDGER_OPENS
	static char handle;

	(void)flags;
	*nlp = (struct cgs_nl *)&handle;
	return 0;
#else
	(void)flags;
	*nlp = NULL;
	return -ENOENT;
#endif
}

void cgs_nl_close(struct cgs_nl *nl)
{
	(void)nl;
}

void cgs_nl_perror(const struct cgs_nl *nl, const char *what)
{
	(void)nl;
	printf("# %s failed\n", what);
}

int cgs_iter_open(struct cgs_iter **itp)
{
	*itp = NULL;
	return 0;
}

void cgs_iter_close(struct cgs_iter *it)
{
	(void)it;
}

#endif
