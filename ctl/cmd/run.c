// SPDX-License-Identifier: GPL-2.0
/*
 * cgsharectl run: the controller daemon. It owns the process's one event
 * loop: the sampling clock, SIGHUP/SIGTERM/SIGINT, and with --listen the
 * exporter's socket, to which it hands the shares of every acting round.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "control/control.h"
#include "control/state.h"
#include "export/export.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/notify.h"
#include "util/time.h"

struct run_args {
	const char *file;
	const char *listen;
	const char *state;
	bool restore;
};

struct daemon {
	const struct run_args *a;
	struct cgs_nl *nl;
	struct cgs_ctl *ctl;
	struct cgs_loop loop;
	struct export_server *srv;
	struct cgs_notify notify;
	uint64_t rounds;
	int failing;		/* the error sampling failed with, or 0 */
	char scheduler[80];	/* the one said last */
	uint64_t next_verify;
	int ignored[CGS_NR_KNOBS];	/* windows in a row that said ignored */
	struct export_control control;	/* by limit file: 1, 0, -1 */
};

/*
 * Windows in a row that must find a knob ignored before run says so: one
 * window of a light cgroup waking among CPU hogs can look like a
 * shortfall under the fair scheduler (make example).
 */
#define IGNORED_TO_SAY 2
/* How long the self-check measures before it judges the scheduler. */
#define VERIFY_NS (10 * CGS_NSEC_PER_SEC)

/* The region a keyed dmem line ("REGION VALUE") is for, or NULL. */
static const struct cgs_plan_region *line_region(const struct cgs_plan_cg *p,
						 const char *value)
{
	size_t k = strcspn(value, " ");

	for (unsigned int i = 0; i < p->nr_region; i++)
		if (strlen(p->region[i].name) == k &&
		    !strncmp(p->region[i].name, value, k))
			return &p->region[i];
	return NULL;
}

/* Memory limits say the usage they were planned for. */
static void log_change(const char *path, const char *file, const char *old,
		       const char *value, bool written,
		       const struct cgs_plan_cg *p, void *arg)
{
	const struct cgs_plan_region *r;

	(void)arg;
	(void)written;
	if (!strncmp(file, "memory.", 7))
		cgs_log("%s %s: %s -> %s (usage %llu)", path, file,
			old[0] ? old : "-", value,
			(unsigned long long)p->mem_current);
	else if (!strncmp(file, "dmem.", 5) && (r = line_region(p, value)))
		cgs_log("%s %s: %s -> %s (usage %llu)", path, file,
			old[0] ? old : "-", value,
			(unsigned long long)r->current);
	else
		cgs_log("%s %s: %s -> %s", path, file, old[0] ? old : "-",
			value);
}

/* Shares change only on rounds that act; between them they stand. */
static void publish(struct daemon *d)
{
	const struct cgs_ctl_round *r = cgs_ctl_round(d->ctl);
	struct export_target *t;

	if (!d->srv)
		return;
	t = calloc(r->n ? r->n : 1, sizeof(*t));
	if (!t)
		return;		/* the last published shares stay */
	for (size_t i = 0; i < r->n; i++) {
		const struct cgs_ctl_cg *m = &r->cg[i];

		t[i].path = m->path;
		if (!m->measured)
			continue;
		for (int res = 0; res < CGS_NR_RES; res++) {
			if (!m->plan->has[res])
				continue;
			t[i].present |= 1u << res;
			t[i].share[res] = m->plan->share[res];
		}
		for (int l = 0; l < CGS_NR_LIM; l++) {
			if (!m->plan->want[l])
				continue;
			t[i].planned |= 1u << l;
			t[i].limit[l] = m->plan->num[l];
			if ((m->writable & ~m->backoff) & (1u << l))
				t[i].written |= 1u << l;
		}
	}
	export_set_targets(d->srv, t, r->n);
	free(t);
}

/*
 * The self-check: every VERIFY_NS, whether the scheduler obeys cpu.weight
 * and cpu.max (policy/verify.h). A knob found ignored in IGNORED_TO_SAY
 * windows in a row is said once and exported as such; cgshare no longer
 * claims to enforce it.
 */
static void self_check(struct daemon *d)
{
	const struct cgs_ctl_round *r = cgs_ctl_round(d->ctl);
	struct cgs_verify_knob v[CGS_NR_KNOBS];

	if (strcmp(d->scheduler, r->scheduler)) {
		cgs_log("CPU scheduler: %s", r->scheduler);
		snprintf(d->scheduler, sizeof(d->scheduler), "%s", r->scheduler);
		for (int l = 0; l < CGS_NR_LIM; l++)
			d->control.honoured[l] = -1;	/* measure afresh */
		memset(d->ignored, 0, sizeof(d->ignored));
		d->next_verify = cgs_now_ns() + VERIFY_NS;
		cgs_ctl_verify(d->ctl, v);
	}
	if (cgs_now_ns() < d->next_verify)
		return;
	d->next_verify = cgs_now_ns() + VERIFY_NS;
	cgs_ctl_verify(d->ctl, v);
	for (int k = 0; k < CGS_NR_KNOBS; k++) {
		int *h = &d->control.honoured[cgs_knob_limit(k)], now;

		if (v[k].verdict == CGS_VERDICT_UNKNOWN)
			continue;
		now = v[k].verdict == CGS_VERDICT_HONOURED;
		d->ignored[k] = now ? 0 : d->ignored[k] + 1;
		if (now == *h || (!now && d->ignored[k] < IGNORED_TO_SAY))
			continue;
		if (now)
			cgs_log("%s is obeyed by the scheduler %s", cgs_knob_file(k),
				r->scheduler);
		else
			cgs_log("%s is not obeyed by the scheduler %s: %s got "
				"%.2f where it should have %.2f; cgshare no "
				"longer claims to enforce %s", cgs_knob_file(k),
				r->scheduler, v[k].worst_path, v[k].got,
				v[k].want, cgs_knob_file(k));
		*h = now;
	}
}

static void round_once(struct daemon *d)
{
	const struct cgs_conf *k = cgs_ctl_round(d->ctl)->conf;
	bool acting;

	int ret = cgs_ctl_sample(d->ctl);

	if (ret) {
		if (ret != d->failing)
			cgs_log(ret == -ENODEV ? "the cgshare module is gone; the "
				"limits stay as they are until it is back" :
				"sampling failed; retrying every interval");
		d->failing = ret;
		return;
	}
	if (d->failing)
		cgs_log(d->failing == -ENODEV ? "the cgshare module is back" :
			"sampling works again");
	d->failing = 0;
	self_check(d);
	d->rounds++;
	d->control.last_round_s = cgs_wall_ns() / 1e9;
	acting = d->rounds > 1 && (d->rounds - 1) % k->act_every == 0;
	if (!acting)
		return;
	if (cgs_ctl_plan(d->ctl)) {
		cgs_log("this round's action failed; limits unchanged");
		return;
	}
	cgs_ctl_write(d->ctl, log_change, NULL);
	publish(d);
}

static void reload(struct daemon *d)
{
	const struct cgs_conf *k;
	char err[512];

	cgs_notify(&d->notify, "RELOADING=1");
	if (cgs_ctl_reload(d->ctl, d->a->file, err, sizeof(err))) {
		cgs_log("reload: keeping the old configuration: %s", err);
		cgs_notify(&d->notify,
			   "READY=1\nSTATUS=reload failed; old configuration kept");
		return;
	}
	k = cgs_ctl_round(d->ctl)->conf;
	cgs_log("reloaded %s: %zu cgroups, %zu parents", d->a->file, k->nr_cg,
		k->nr_parent);
	cgs_notify(&d->notify, "READY=1\nSTATUS=configuration reloaded");
}

static void serve(int fd, void *arg)
{
	(void)fd;
	export_server_serve(arg);
}

static int loop(struct daemon *d)
{
	uint64_t next = cgs_now_ns(), now;
	int sig;

	for (;;) {
		sig = cgs_loop_wait(&d->loop, cgs_notify_deadline(&d->notify,
								  next));
		if (sig < 0)
			return sig;
		if (sig == SIGHUP)
			reload(d);
		else if (sig) {
			cgs_log("%s: exiting", strsignal(sig));
			return 0;
		}
		cgs_notify_watchdog(&d->notify);
		now = cgs_now_ns();
		if (now < next)
			continue;
		round_once(d);
		d->control.interval_s = cgs_ctl_round(d->ctl)->conf->interval_ns / 1e9;
		if (d->srv)
			export_set_control(d->srv, &d->control);
		next = cgs_tick_next(next, cgs_ctl_round(d->ctl)->conf->interval_ns,
				     cgs_now_ns());
	}
}

static int start(struct daemon *d)
{
	static const int signals[] = { SIGHUP, SIGTERM, SIGINT, 0 };
	struct cgs_ctl_opts o = {
		.restore = d->a->restore,
		.state_file = d->a->state ? d->a->state : cgs_state_default(),
	};
	struct export_config ec = {
		.listen = d->a->listen,
		.timeout_ms = 5000,
		.verbose = opts.verbose,
	};
	int ret;

	ret = cgs_loop_init(&d->loop, signals);
	if (ret) {
		cgs_log("signals: %s", strerror(-ret));
		return ret;
	}
	ret = open_nl(&d->nl);
	if (ret)
		return ret;
	ret = cgs_ctl_open(&d->ctl, d->a->file, d->nl, &o);
	if (ret)
		return ret;
	if (!d->a->listen)
		return 0;
	ret = export_server_open(&d->srv, &ec);
	if (ret)
		return ret;
	cgs_loop_add(&d->loop, export_server_fd(d->srv), serve, d->srv);
	cgs_log("serving metrics at http://%s/metrics",
		export_server_addr(d->srv));
	return 0;
}

static void stop(struct daemon *d)
{
	if (d->srv)
		export_server_close(d->srv);
	cgs_ctl_close(d->ctl);
	cgs_nl_close(d->nl);
	cgs_loop_fini(&d->loop);
}

static int run_opt(const struct cmd *cmd, int key, const char *arg, void *ctx)
{
	struct run_args *a = ctx;
	unsigned char sa[128];
	unsigned int len = sizeof(sa);

	switch (key) {
	case 'c':
		a->file = arg;
		return 0;
	case 'r':
		a->restore = true;
		return 0;
	case 's':
		a->state = arg;
		return 0;
	default:
		if (export_parse_listen(arg, sa, &len))
			return usage_error(cmd, "bad listen address: %s (want "
					   "ADDR:PORT, e.g. 127.0.0.1:9858)",
					   arg);
		a->listen = arg;
		return 0;
	}
}

static int parse(int argc, char **argv, struct run_args *a)
{
	static const struct cmd_opt o[] = {
		{ "config", 'c', true },
		{ "restore", 'r', false },
		{ "listen", 'l', true },
		{ "state", 's', true },
		{ NULL, 0, false },
	};
	int ret;

	ret = cmd_parse(&cmd_run, argc, argv, o, run_opt, a, NULL, 0);
	if (ret >= 0)
		return ret;
	if (!a->file)
		return usage_error(&cmd_run, "no configuration file (-c FILE)");
	return -1;
}

static int run_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct daemon d = { .a = &a };
	const struct cgs_conf *k;
	int ret;

	ret = parse(argc, argv, &a);
	if (ret >= 0)
		return ret;
	for (int l = 0; l < CGS_NR_LIM; l++)
		d.control.honoured[l] = -1;
	d.control.set = true;
	cgs_notify_init(&d.notify);
	ret = start(&d);
	if (!ret) {
		k = cgs_ctl_round(d.ctl)->conf;
		cgs_log("running: %s, %zu cgroups, %zu parents, sampling every "
			"%.3gs, acting every %u samples", a.file, k->nr_cg,
			k->nr_parent, k->interval_ns / 1e9, k->act_every);
		cgs_notify(&d.notify, "READY=1\nSTATUS=sharing");
		ret = loop(&d);
		cgs_notify(&d.notify, "STOPPING=1");
		if (ret)
			cgs_log("run: %s", strerror(-ret));
	}
	stop(&d);
	return ret ? 1 : 0;
}

static void run_help(FILE *f)
{
	fprintf(f,
		"Usage: cgsharectl run -c FILE [--restore] [--listen ADDR:PORT]\n"
		"                      [--state FILE]\n"
		"\n"
		"The controller daemon: samples every interval, acts every\n"
		"act-every samples, logs each change (old -> new) on stderr.\n"
		"SIGHUP reloads FILE (an invalid file keeps the old one);\n"
		"SIGTERM and SIGINT exit. Tells systemd READY=1 when\n"
		"NOTIFY_SOCKET is set, and WATCHDOG=1 when WATCHDOG_USEC is.\n"
		"\n"
		"  -c, --config FILE   the controller's configuration\n"
		"  -r, --restore       put back the limits found at start on exit\n"
		"                      (and when a cgroup leaves the config)\n"
		"  -s, --state FILE    what was written and what was there before,\n"
		"                      kept across restarts (default\n"
		"                      $RUNTIME_DIRECTORY or /run/cgshare/\n"
		"                      controller.state)\n"
		"  -l, --listen ADDR:PORT  also serve Prometheus metrics there,\n"
		"                      with the controller's shares (see export)\n");
}

const struct cmd cmd_run = {
	.name = "run",
	.run = run_run,
	.help = run_help,
	.usage = "cgsharectl run -c FILE [--restore] [--listen ADDR:PORT] "
		 "[--state FILE]",
	.summary = "the controller daemon",
};
