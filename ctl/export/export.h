/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGSHARECTL_EXPORT_H
#define CGSHARECTL_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/limits.h"
#include "util/buf.h"
#include "model/model.h"

/*
 * The Prometheus exporter: a pure renderer of the text exposition format
 * (0.0.4) of one sample (the ledger's dump with the cgroup iterator's
 * records merged in: no cgroupfs file is read), and a
 * one-request-at-a-time HTTP server that the `export` command and the
 * controller's `run --listen` both drive from their own event loop.
 */

/* -- targets (shares), set by the controller -- */

struct export_target {
	const char *path;	/* as in the ledger: "/a/b" */
	uint32_t present;	/* CGS_BIT(enum cgs_res) */
	double share[CGS_NR_RES];
	uint32_t planned;	/* CGS_BIT(enum cgs_limit): limit[] set */
	uint32_t written;	/* ... and the controller writes it */
	double limit[CGS_NR_LIM];	/* CPUs, weight, bytes; inf: max */
};

/* -- the renderer: records in, text out, no I/O but @f -- */

/* The controller's own state (run --listen only). */
struct export_control {
	bool set;			/* else not exported */
	int honoured[CGS_NR_LIM];	/* by limit file: 1, 0, -1 unknown */
	double interval_s;		/* the configured interval */
	double last_round_s;		/* Unix time of the last round; 0 none */
};

struct export_input {
	const struct cgs_cgroup *cg;	/* any order */
	size_t n;
	const struct export_target *targets;	/* any order, or NULL */
	size_t nr_targets;
	const char *scheduler;		/* "fair", "sched_ext:NAME", or NULL */
	const struct export_control *control;	/* or NULL */
};

/*
 * Writes every metric family (# HELP and # TYPE once each, also when it has
 * no samples) in a fixed order, samples sorted by cgroup path and then by
 * their other labels. Of two records with one path the newer (larger id)
 * wins. Returns 0, or -EIO when @f reports an error.
 */
int export_render(FILE *f, const struct export_input *in);
/* A label value escaped per the format (\\, \", \n; bad UTF-8 as U+FFFD). */
void export_escape(FILE *f, const char *s);

/* -- the HTTP server -- */

#define EXPORT_DEFAULT_LISTEN "127.0.0.1:9858"

struct export_server;

struct export_config {
	const char *listen;		/* "ADDR:PORT", "[ADDR]:PORT"; numeric */
	int timeout_ms;			/* per request; default 5000 */
	bool verbose;
};

/*
 * Parses "127.0.0.1:9858" or "[::1]:9858" into @addr (a struct
 * sockaddr_storage) and its length. The address may not be left out.
 */
int export_parse_listen(const char *s, void *addr, unsigned int *len);

/* Binds and listens; prints why on failure and returns a negative errno. */
int export_server_open(struct export_server **sp,
		       const struct export_config *cfg);
void export_server_close(struct export_server *s);
/* The listening socket: poll it for POLLIN, then call export_server_serve. */
int export_server_fd(const struct export_server *s);
/* "127.0.0.1:9858", the address actually bound (port 0 resolved). */
const char *export_server_addr(const struct export_server *s);
/*
 * Accepts one connection, if one is waiting, and answers it: one ledger
 * dump per GET /metrics, 404 for other paths, 405 for other methods. Never
 * takes more than the configured timeout per connection.
 */
void export_server_serve(struct export_server *s);
/*
 * Replaces the shares the next scrapes report (copied; n = 0 clears them).
 * The controller calls this after each round. 0 or -ENOMEM.
 */
int export_set_targets(struct export_server *s,
		       const struct export_target *t, size_t n);
/* Replaces the controller's verdicts the next scrapes report. */
void export_set_control(struct export_server *s,
			const struct export_control *c);

/*
 * One scrape, as the server sends it: one sample over @nl and @it (NULL:
 * the dump alone), @targets; its error is returned before anything else
 * happens. Then @begin(@arg), if not NULL, sends what comes before the
 * text and says whether the text is wanted (not for a HEAD); then the
 * text goes to @sink(@arg, ...) in pieces of at most 64 KiB, so that a
 * scrape holds no more than that of it at once (a whole text was some
 * 1.5 kB per cgroup, and the page faults of a fresh buffer of that size
 * cost a sixth of a scrape). 0, the sample's negative errno, -ENOMEM when
 * the text could not be made after @begin (what was sent is then cut
 * short), or -EPIPE when @sink refused a piece. @bytes: the text's length.
 */
struct cgs_nl;
struct cgs_iter;
int export_scrape_stream(struct cgs_nl *nl, struct cgs_iter *it,
			 const struct export_target *targets, size_t nr_targets,
			 const struct export_control *control,
			 bool (*begin)(void *arg), cgs_buf_sink *sink, void *arg,
			 size_t *bytes);
/* The same into a malloc'ed buffer, NUL-terminated; 0 or a negative errno. */
int export_scrape(struct cgs_nl *nl, struct cgs_iter *it,
		  const struct export_target *targets, size_t nr_targets,
		  const struct export_control *control, char **text,
		  size_t *len);

#endif
