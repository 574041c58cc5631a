// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter: the renderer on hand-built records (names, units, escaping,
 * order, absent values, limits of "max"), listen addresses, and the HTTP
 * answers that need no module over loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "export/export.h"
#include "tests/records.h"
#include "tests/tap.h"

static char *render(const struct export_input *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret = export_render(f, in);

	fclose(f);
	ok(!ret, "export_render returns 0");
	return text;
}

static char *escaped(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	export_escape(f, s);
	fclose(f);
	return text;
}

/* The sample lines of @text, comments dropped. */
static char *samples(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *eol;

	for (const char *p = text; *p; p = eol + 1) {
		eol = strchr(p, '\n');
		if (!eol)
			break;
		if (*p != '#') {
			memcpy(o, p, eol - p + 1);
			o += eol - p + 1;
		}
	}
	*o = '\0';
	return out;
}

static void test_escape(void)
{
	static const struct { const char *in, *want, *name; } t[] = {
		{ "/a/b", "/a/b", "plain path unchanged" },
		{ "/a\\b", "/a\\\\b", "backslash doubled" },
		{ "/a\"b", "/a\\\"b", "double quote escaped" },
		{ "/a\nb", "/a\\nb", "newline as \\n" },
		{ "/t\tab'", "/t\tab'", "tab and single quote left alone" },
		{ "/\xc3\xa9t\xc3\xa9", "/\xc3\xa9t\xc3\xa9", "valid UTF-8 kept" },
		{ "/\xff", "/\xef\xbf\xbd", "invalid byte becomes U+FFFD" },
		{ "/\xc0\x80", "/\xef\xbf\xbd\xef\xbf\xbd", "overlong NUL refused" },
		{ "/\xed\xa0\x80", "/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		  "surrogate refused" },
		{ "/\xe2\x82", "/\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = escaped(t[i].in);

		is_str(got, t[i].want, t[i].name);
		free(got);
	}
}

#define ODD "/a\"b\\c\nd"
#define ODD_ESC "/a\\\"b\\\\c\\nd"

static void gpu(struct cgs_cgroup *cg, const char *dev, int c, uint64_t v)
{
	struct cgs_gpu *g = (struct cgs_gpu *)cgs_cgroup_find_gpu(cg, dev);

	if (!g) {
		g = cgs_cgroup_add_gpu(cg);
		snprintf(g->dev, sizeof(g->dev), "%s", dev);
	}
	g->present |= CGS_BIT(c);
	g->ctr[c] = v;
}

/* cpu.max of @us microseconds per 100 ms, as the cgroup iterator gives it. */
static void cpu_max(struct cgs_cgroup *cg, uint64_t us)
{
	rec_set(cg, CGS_CPU_MAX_QUOTA_NS, us * 1000);
	rec_set(cg, CGS_CPU_MAX_PERIOD_NS, 100000000);
}

/* The limits of @cg dropped: no cpu controller, no memory controller. */
static void no_limits(struct cgs_cgroup *cg)
{
	static const enum cgs_ctr c[] = {
		CGS_CPU_MAX_QUOTA_NS, CGS_CPU_MAX_PERIOD_NS, CGS_CPU_WEIGHT,
		CGS_MEM_HIGH, CGS_MEM_MAX, CGS_MEM_LOW,
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		cg->present &= ~CGS_BIT(c[i]);
}

/* Three cgroups, given out of order: /b (everything), / (CPU only), ODD. */
static void build(struct cgs_cgroup cg[3])
{
	memset(cg, 0, 3 * sizeof(*cg));
	cg[0].id = 10;
	cg[0].path = strdup("/b");
	rec_set(&cg[0], CGS_CPU_USAGE_NS, 3000000000ull);
	rec_set(&cg[0], CGS_CPU_WAIT_NS, 1);
	rec_set(&cg[0], CGS_CPU_SWITCHES, 7);
	rec_set(&cg[0], CGS_MEM_CURRENT, 4096);
	rec_set(&cg[0], CGS_MEM_PEAK, 8192);
	rec_set(&cg[0], CGS_MEM_EVENTS_OOM_KILL, 0);
	rec_set(&cg[0], CGS_MEM_EVENTS_HIGH, 2);
	gpu(&cg[0], "card1", CGS_GPU_BUSY_NS, 2500000000ull);
	gpu(&cg[0], "card1", CGS_GPU_MEM_BYTES, 1024);
	gpu(&cg[0], "card0", CGS_GPU_BUSY_NS, 1000000000ull);
	gpu(&cg[0], "card0", CGS_GPU_QUEUE_NS, 500000000ull);
	cpu_max(&cg[0], 150000);
	rec_set(&cg[0], CGS_CPU_WEIGHT, 100);
	rec_set(&cg[0], CGS_MEM_HIGH, 1073741824);
	rec_set(&cg[0], CGS_MEM_LOW, 0);
	rec_set(&cg[0], CGS_MEM_MAX, CGS_LIMIT_MAX);
	rec_set(&cg[0], CGS_MEM_PRESSURE_SOME_NS, 250000000);

	cg[1].id = 1;
	cg[1].path = strdup("/");
	rec_set(&cg[1], CGS_CPU_USAGE_NS, 10000000000ull);
	rec_set(&cg[1], CGS_CPU_WAIT_NS, 0);
	rec_set(&cg[1], CGS_CPU_SWITCHES, 100);

	cg[2].id = 5;
	cg[2].path = strdup(ODD);
	rec_set(&cg[2], CGS_CPU_USAGE_NS, 1500000000ull);
	cpu_max(&cg[2], 33333);
}

static const struct export_target targets[] = {
	{ .path = "/b", .present = CGS_BIT(CGS_MEM) |
	  CGS_BIT(CGS_CPU), .share = { 0.5, 2e9, 0 },
	  .planned = CGS_BIT(CGS_LIM_CPU_MAX) | CGS_BIT(CGS_LIM_MEM_HIGH),
	  .written = CGS_BIT(CGS_LIM_MEM_HIGH),
	  .limit = { [CGS_LIM_CPU_MAX] = 0.5, [CGS_LIM_MEM_HIGH] = 1.0 / 0.0 } },
	{ .path = ODD, .present = CGS_BIT(CGS_GPU),
	  .share = { 0, 0, 1 } },
};

/* cpu.weight measured ignored, cpu.max not measured yet */
static const struct export_control control = {
	.set = true,
	.honoured = { [CGS_LIM_CPU_MAX] = -1, [CGS_LIM_CPU_WEIGHT] = 0,
		      [CGS_LIM_MEM_HIGH] = -1, [CGS_LIM_MEM_MAX] = -1,
		      [CGS_LIM_MEM_LOW] = -1, [CGS_LIM_DMEM_MAX] = -1,
		      [CGS_LIM_DMEM_LOW] = -1 },
	.interval_s = 2.5,
	.last_round_s = 1796000000.25,
};

static const char want_samples[] =
	"cgshare_cgroups 3\n"
	"cgshare_cpu_usage_seconds_total{cgroup=\"/\"} 10\n"
	"cgshare_cpu_usage_seconds_total{cgroup=\"" ODD_ESC "\"} 1.5\n"
	"cgshare_cpu_usage_seconds_total{cgroup=\"/b\"} 3\n"
	"cgshare_cpu_wait_seconds_total{cgroup=\"/\"} 0\n"
	"cgshare_cpu_wait_seconds_total{cgroup=\"/b\"} 0.000000001\n"
	"cgshare_cpu_switches_total{cgroup=\"/\"} 100\n"
	"cgshare_cpu_switches_total{cgroup=\"/b\"} 7\n"
	"cgshare_cpu_weight{cgroup=\"/b\"} 100\n"
	"cgshare_cpu_max_quota_seconds{cgroup=\"" ODD_ESC "\"} 0.033333\n"
	"cgshare_cpu_max_quota_seconds{cgroup=\"/b\"} 0.15\n"
	"cgshare_cpu_max_period_seconds{cgroup=\"" ODD_ESC "\"} 0.1\n"
	"cgshare_cpu_max_period_seconds{cgroup=\"/b\"} 0.1\n"
	"cgshare_memory_current_bytes{cgroup=\"/b\"} 4096\n"
	"cgshare_memory_peak_bytes{cgroup=\"/b\"} 8192\n"
	"cgshare_memory_events_total{cgroup=\"/b\",event=\"high\"} 2\n"
	"cgshare_memory_events_total{cgroup=\"/b\",event=\"oom_kill\"} 0\n"
	"cgshare_memory_high_bytes{cgroup=\"/b\"} 1073741824\n"
	"cgshare_memory_low_bytes{cgroup=\"/b\"} 0\n"
	"cgshare_memory_pressure_some_seconds_total{cgroup=\"/b\"} 0.25\n"
	"cgshare_gpu_busy_seconds_total{cgroup=\"/b\",dev=\"card0\"} 1\n"
	"cgshare_gpu_busy_seconds_total{cgroup=\"/b\",dev=\"card1\"} 2.5\n"
	"cgshare_gpu_queue_seconds_total{cgroup=\"/b\",dev=\"card0\"} 0.5\n"
	"cgshare_gpu_memory_bytes{cgroup=\"/b\",dev=\"card1\"} 1024\n"
	"cgshare_cpu_max_cpus{cgroup=\"" ODD_ESC "\"} 0.33333\n"
	"cgshare_cpu_max_cpus{cgroup=\"/b\"} 1.5\n"
	"cgshare_share{cgroup=\"" ODD_ESC "\",resource=\"gpu\"} 1\n"
	"cgshare_share{cgroup=\"/b\",resource=\"cpu\"} 0.5\n"
	"cgshare_share{cgroup=\"/b\",resource=\"memory\"} 2000000000\n"
	"cgshare_planned_limit{cgroup=\"/b\",file=\"cpu.max\"} 0.5\n"
	"cgshare_planned_limit_written{cgroup=\"/b\",file=\"cpu.max\"} 0\n"
	"cgshare_planned_limit_written{cgroup=\"/b\",file=\"memory.high\"} 1\n"
	"cgshare_scheduler_info{scheduler=\"sched_ext:simple\"} 1\n"
	"cgshare_cpu_control_honoured{knob=\"cpu.weight\"} 0\n"
	"cgshare_controller_interval_seconds 2.5\n"
	"cgshare_controller_last_round_timestamp_seconds 1796000000.25\n";

static const struct { const char *name, *type; } want_families[] = {
	{ "cgshare_cgroups", "gauge" },
	{ "cgshare_cpu_usage_seconds_total", "counter" },
	{ "cgshare_cpu_wait_seconds_total", "counter" },
	{ "cgshare_cpu_switches_total", "counter" },
	{ "cgshare_cpu_weight", "gauge" },
	{ "cgshare_cpu_max_quota_seconds", "gauge" },
	{ "cgshare_cpu_max_period_seconds", "gauge" },
	{ "cgshare_cpu_nr_periods_total", "counter" },
	{ "cgshare_cpu_nr_throttled_total", "counter" },
	{ "cgshare_cpu_throttled_seconds_total", "counter" },
	{ "cgshare_memory_current_bytes", "gauge" },
	{ "cgshare_memory_peak_bytes", "gauge" },
	{ "cgshare_memory_swap_bytes", "gauge" },
	{ "cgshare_memory_events_total", "counter" },
	{ "cgshare_memory_high_bytes", "gauge" },
	{ "cgshare_memory_max_bytes", "gauge" },
	{ "cgshare_memory_low_bytes", "gauge" },
	{ "cgshare_memory_min_bytes", "gauge" },
	{ "cgshare_memory_anon_bytes", "gauge" },
	{ "cgshare_memory_file_bytes", "gauge" },
	{ "cgshare_memory_inactive_file_bytes", "gauge" },
	{ "cgshare_cpu_pressure_some_seconds_total", "counter" },
	{ "cgshare_cpu_pressure_full_seconds_total", "counter" },
	{ "cgshare_memory_pressure_some_seconds_total", "counter" },
	{ "cgshare_memory_pressure_full_seconds_total", "counter" },
	{ "cgshare_io_pressure_some_seconds_total", "counter" },
	{ "cgshare_io_pressure_full_seconds_total", "counter" },
	{ "cgshare_gpu_busy_seconds_total", "counter" },
	{ "cgshare_gpu_queue_seconds_total", "counter" },
	{ "cgshare_gpu_memory_bytes", "gauge" },
	{ "cgshare_cpu_max_cpus", "gauge" },
	{ "cgshare_share", "gauge" },
	{ "cgshare_planned_limit", "gauge" },
	{ "cgshare_planned_limit_written", "gauge" },
	{ "cgshare_scheduler_info", "gauge" },
	{ "cgshare_cpu_control_honoured", "gauge" },
	{ "cgshare_controller_interval_seconds", "gauge" },
	{ "cgshare_controller_last_round_timestamp_seconds", "gauge" },
};
#define NR_FAM (sizeof(want_families) / sizeof(want_families[0]))

/*
 * The structure the format demands: HELP then TYPE once per family, each
 * family's samples together right after its TYPE, counters named _total.
 */
static void check_structure(const char *text, const char *what)
{
	char help[128] = "", type[128] = "", kind[16];
	size_t fam = 0;
	bool order_ok = true, samples_ok = true, names_ok = true;
	const char *eol;

	for (const char *p = text; *p; p = eol + 1) {
		size_t n;

		eol = strchr(p, '\n');
		if (!eol) {
			samples_ok = false;
			break;
		}
		if (!strncmp(p, "# HELP ", 7)) {
			n = strcspn(p + 7, " ");
			snprintf(help, sizeof(help), "%.*s", (int)n, p + 7);
			if (fam >= NR_FAM || strcmp(help, want_families[fam].name))
				order_ok = false;
			continue;
		}
		if (!strncmp(p, "# TYPE ", 7)) {
			if (sscanf(p + 7, "%127s %15s", type, kind) != 2 ||
			    strcmp(type, help) || fam >= NR_FAM ||
			    strcmp(kind, want_families[fam].type))
				order_ok = false;
			if (!strcmp(kind, "counter") !=
			    (strlen(type) > 6 &&
			     !strcmp(type + strlen(type) - 6, "_total")))
				names_ok = false;
			fam++;
			continue;
		}
		n = strcspn(p, "{ ");
		if (!fam || strlen(type) != n || strncmp(p, type, n))
			samples_ok = false;
	}
	ok(order_ok && fam == NR_FAM, "%s: HELP and TYPE once per family, in "
	   "order (%zu families)", what, fam);
	ok(samples_ok, "%s: every sample follows its own family's TYPE", what);
	ok(names_ok, "%s: counters and only counters end in _total", what);
}

static void test_render(void)
{
	struct cgs_cgroup cg[3], rev[3], dup[4], bare[3];
	struct export_input in;
	char *text, *text2, *s;

	build(cg);
	in = (struct export_input){ cg, 3, targets, 2, "sched_ext:simple",
				    &control };
	text = render(&in);
	s = samples(text);
	is_str(s, want_samples, "samples: names, labels, units, order");
	free(s);
	check_structure(text, "full input");
	ok(!strstr(text, "cgshare_memory_max_bytes{"),
	   "memory.max of max is absent");
	ok(!strstr(text, "cgshare_memory_current_bytes{cgroup=\"/\"}"),
	   "root has no memory samples, as the ledger sent none");
	ok(!strstr(text, "cgshare_memory_swap_bytes{"),
	   "swap absent everywhere: no samples, family still declared");

	/* The same records and targets in the opposite order. */
	for (int i = 0; i < 3; i++)
		rev[i] = cg[2 - i];
	in = (struct export_input){ rev, 3, targets, 2, "sched_ext:simple",
				    &control };
	text2 = render(&in);
	is_str(text2, text, "output independent of input order");
	free(text2);

	/* Without limits or targets: the families stay, the samples go. */
	memcpy(bare, cg, sizeof(cg));
	for (int i = 0; i < 3; i++)
		no_limits(&bare[i]);
	in = (struct export_input){ bare, 3, NULL, 0, NULL, NULL };
	text2 = render(&in);
	check_structure(text2, "no limits, no targets");
	ok(!strstr(text2, "cgshare_cpu_max_cpus{") &&
	   !strstr(text2, "cgshare_share{"), "no limit or share samples");
	free(text2);

	/* Two records of one path (removed and recreated): the newer wins. */
	memcpy(dup, cg, sizeof(cg));
	memset(&dup[3], 0, sizeof(dup[3]));
	dup[3].id = 20;
	dup[3].path = "/b";
	rec_set(&dup[3], CGS_CPU_USAGE_NS, 42000000000ull);
	in = (struct export_input){ dup, 4, NULL, 0, NULL, NULL };
	text2 = render(&in);
	ok(strstr(text2, "cgshare_cgroups 3\n") &&
	   strstr(text2, "cgshare_cpu_usage_seconds_total{cgroup=\"/b\"} 42\n") &&
	   !strstr(text2, "cgshare_cpu_usage_seconds_total{cgroup=\"/b\"} 3\n"),
	   "duplicate path: only the newer record (larger id)");
	free(text2);

	free(text);
	for (int i = 0; i < 3; i++)
		cgs_cgroup_free(&cg[i]);
}

static void test_units(void)
{
	static const struct { uint64_t ns; const char *want; } t[] = {
		{ 0, "0" },
		{ 1, "0.000000001" },
		{ 1000000000, "1" },
		{ 1234567890, "1.23456789" },
		{ UINT64_MAX, "18446744073.709551615" },
	};
	char want[128], *text;
	struct cgs_cgroup cg = { .id = 2 };
	struct export_input in = { &cg, 1, NULL, 0, NULL, NULL };

	cg.path = "/x";
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rec_set(&cg, CGS_CPU_USAGE_NS, t[i].ns);
		text = render(&in);
		snprintf(want, sizeof(want),
			 "cgshare_cpu_usage_seconds_total{cgroup=\"/x\"} %s\n",
			 t[i].want);
		ok(strstr(text, want), "%" PRIu64 " ns is %s s", t[i].ns,
		   t[i].want);
		free(text);
	}

	/* Empty ledger: a valid exposition with a zero count. */
	in.n = 0;
	text = render(&in);
	check_structure(text, "empty");
	ok(strstr(text, "\ncgshare_cgroups 0\n") != NULL, "empty: cgroups 0");
	free(text);
}

/* A pod's container carries its pod and container labels on every sample. */
static void test_k8s_labels(void)
{
	static const char path[] = "/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod7f3e5a52_1c0d_4b6f_9a33_0d2c6e8b1f44.slice/"
		"cri-containerd-4c1b1a0f9d2e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
		"0a9b8c7d6e5f4a3b.scope";
	struct cgs_cgroup cg = { .id = 9, .path = (char *)path };
	struct export_input in = { .cg = &cg, .n = 1 };
	char *text, want[512];

	rec_set(&cg, CGS_CPU_USAGE_NS, 2000000000ull);
	text = render(&in);
	snprintf(want, sizeof(want), "cgshare_cpu_usage_seconds_total{cgroup="
		 "\"%s\",qos_class=\"burstable\",pod_uid=\"7f3e5a52-1c0d-"
		 "4b6f-9a33-0d2c6e8b1f44\",container_id=\"4c1b1a0f9d2e8a7b6c5d"
		 "4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b\"} 2\n", path);
	ok(text && strstr(text, want), "k8s: qos_class, pod_uid, container_id");
	free(text);
}

static void test_listen(void)
{
	struct sockaddr_storage ss;
	unsigned int len;

	ok(!export_parse_listen("127.0.0.1:9858", &ss, &len) &&
	   ss.ss_family == AF_INET &&
	   ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9858,
	   "127.0.0.1:9858");
	ok(!export_parse_listen("[::1]:0", &ss, &len) &&
	   ss.ss_family == AF_INET6, "[::1]:0");
	ok(!export_parse_listen("0.0.0.0:80", &ss, &len), "0.0.0.0 explicit");
	ok(export_parse_listen(":9858", &ss, &len), "empty address refused");
	ok(export_parse_listen("9858", &ss, &len), "port alone refused");
	ok(export_parse_listen("localhost:9858", &ss, &len),
	   "names refused: numeric only");
	ok(export_parse_listen("127.0.0.1:65536", &ss, &len), "port too big");
	ok(export_parse_listen("127.0.0.1:", &ss, &len), "no port");
	ok(export_parse_listen("127.0.0.1:9x", &ss, &len), "bad port");
	ok(export_parse_listen("::1:9858", &ss, &len),
	   "IPv6 without brackets refused");
	ok(export_parse_listen("[::1]", &ss, &len), "IPv6 without port");
}

/* One request to a server on a loopback port; the answer's status code. */
static int request(struct export_server *s, const char *req, char *resp,
		   size_t len)
{
	struct sockaddr_storage ss;
	unsigned int sl;
	ssize_t n, got = 0;
	int fd, code = -1;

	if (export_parse_listen(export_server_addr(s), &ss, &sl))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl))
		goto out;
	if (*req && write(fd, req, strlen(req)) < 0)
		goto out;
	shutdown(fd, SHUT_WR);
	export_server_serve(s);
	while ((n = read(fd, resp + got, len - 1 - got)) > 0)
		got += n;
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.1 %d", &code) != 1)
		code = 0;
out:
	if (fd >= 0)
		close(fd);
	return code;
}

static void test_http(void)
{
	struct export_config cfg = { .listen = "127.0.0.1:0",
				     .timeout_ms = 2000 };
	struct export_server *s;
	static char resp[1 << 20];
	int code;

	if (export_server_open(&s, &cfg)) {
		ok(1, "loopback HTTP # SKIP cannot listen on 127.0.0.1");
		return;
	}
	ok(!strncmp(export_server_addr(s), "127.0.0.1:", 10) &&
	   strcmp(export_server_addr(s), "127.0.0.1:0"),
	   "bound to 127.0.0.1, port resolved: %s", export_server_addr(s));
	is_int(request(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp,
		       sizeof(resp)), 404, "GET / is 404");
	is_int(request(s, "GET /metricsx HTTP/1.0\r\n\r\n", resp, sizeof(resp)),
	       404, "GET /metricsx is 404");
	is_int(request(s, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
		       "a=b", resp, sizeof(resp)), 405, "POST /metrics is 405");
	ok(strstr(resp, "\r\nAllow: GET, HEAD\r\n") != NULL, "405 says Allow");
	is_int(request(s, "garbage\r\n\r\n", resp, sizeof(resp)), 400,
	       "malformed request is 400");
	is_int(request(s, "", resp, sizeof(resp)), 0,
	       "client that sends nothing: closed without an answer");
	code = request(s, "GET /metrics?x=1 HTTP/1.1\r\n\r\n", resp,
		       sizeof(resp));
	ok(code == 200 || (code == 503 && strstr(resp, "not loaded")),
	   "GET /metrics: 200, or 503 saying the module is not loaded (%d)",
	   code);
	if (code == 200)
		ok(strstr(resp, "Content-Type: text/plain; version=0.0.4") &&
		   strstr(resp, "\r\n\r\n# HELP cgshare_cgroups "),
		   "200 carries the exposition");
	export_set_targets(s, targets, 2);
	export_set_targets(s, targets, 1);
	export_set_targets(s, NULL, 0);
	export_server_close(s);

	cfg.listen = "127.0.0.1:bad";
	ok(export_server_open(&s, &cfg) == -EINVAL, "bad address refused");
}

int main(void)
{
	test_escape();
	test_render();
	test_units();
	test_k8s_labels();
	test_listen();
	test_http();
	return tap_done();
}
