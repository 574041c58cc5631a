// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's answer to /metrics over loopback, with a stand-in for the
 * ledger's sample (the same records at every call): HTTP/1.1 in chunks
 * that end with the zero chunk, HTTP/1.0 to the close of the connection,
 * HEAD with the headers alone, a failed sample as 503; the body each time
 * equal to export_scrape()'s text of the same sample, over many 64 KiB
 * pieces.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "export/export.h"
#define NO_LEDGER_OPENS
#include "tests/no_ledger.h"
#include "tests/tap.h"

#define RESP_MAX	(16 << 20)

static int n_cgroups = 2000;	/* some 2 MB of text: thirty-odd pieces */
static int sample_err;

int cgs_sample(struct cgs_nl *nl, struct cgs_iter *it,
	       const struct cgs_target *t, struct cgs_list *l)
{
	char path[32];

	(void)nl;
	(void)it;
	(void)t;
	if (sample_err)
		return sample_err;
	for (int i = 0; i < n_cgroups; i++) {
		struct cgs_cgroup *cg = cgs_list_add(l);

		if (!cg)
			return -ENOMEM;
		snprintf(path, sizeof(path), i ? "/t/c%05d" : "/", i);
		cg->id = i + 1;
		cg->path = strdup(path);
		if (!cg->path)
			return -ENOMEM;
		cg->has = CGS_HAS_ID | CGS_HAS_PATH;
		for (int c = 0; c < CGS_NR_CTR; c++) {
			cg->ctr[c] = (uint64_t)i * 1000003 + c;
			cg->present |= CGS_BIT(c);
		}
	}
	return 0;
}

/*
 * @req to the server, answered by a child while we read; the whole answer
 * in @resp, its length.
 */
static size_t ask(struct export_server *s, const char *req, char *resp)
{
	struct sockaddr_storage ss;
	unsigned int sl;
	ssize_t n;
	size_t got = 0;
	pid_t pid;
	int fd;

	resp[0] = '\0';
	if (export_parse_listen(export_server_addr(s), &ss, &sl))
		return 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) ||
	    write(fd, req, strlen(req)) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		export_server_serve(s);
		_exit(0);
	}
	while (got < RESP_MAX - 1 &&
	       (n = read(fd, resp + got, RESP_MAX - 1 - got)) > 0)
		got += n;
	resp[got] = '\0';
	close(fd);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return got;
}

/* Where the body of @resp (@len bytes) starts, or NULL. */
static char *body_of(char *resp, size_t len)
{
	char *b = memmem(resp, len, "\r\n\r\n", 4);

	return b ? b + 4 : NULL;
}

/*
 * The chunked body at @b (to @end) decoded in place; its length, or -1 if
 * it is not well formed or lacks the zero chunk that ends it.
 */
static long dechunk(char *b, const char *end)
{
	char *out = b, *p = b, *eol;
	unsigned long size;

	for (;;) {
		eol = memmem(p, end - p, "\r\n", 2);
		if (!eol)
			return -1;
		size = strtoul(p, NULL, 16);
		p = eol + 2;
		if (!size)
			return end - p == 2 && !memcmp(p, "\r\n", 2) ?
			       out - b : -1;
		if ((size_t)(end - p) < size + 2 || memcmp(p + size, "\r\n", 2))
			return -1;
		memmove(out, p, size);
		out += size;
		p += size + 2;
	}
}

int main(void)
{
	struct export_config cfg = { .listen = "127.0.0.1:0",
				     .timeout_ms = 20000 };
	char *resp = malloc(RESP_MAX), *want = NULL, *b;
	struct export_server *s;
	struct cgs_nl *nl;
	size_t want_len = 0, len;
	long n;

	if (!resp || cgs_nl_open(&nl, 0) ||
	    export_scrape(nl, NULL, NULL, 0, NULL, &want, &want_len)) {
		ok(0, "export_scrape of the stand-in sample");
		return tap_done();
	}
	ok(want_len > (1 << 20), "the text is %zu bytes, many 64 KiB pieces",
	   want_len);
	if (export_server_open(&s, &cfg)) {
		ok(1, "loopback HTTP # SKIP cannot listen on 127.0.0.1");
		return tap_done();
	}

	len = ask(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp);
	b = body_of(resp, len);
	ok(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "HTTP/1.1 GET is 200");
	ok(b && memmem(resp, b - resp, "\r\nTransfer-Encoding: chunked\r\n", 30) &&
	   !memmem(resp, b - resp, "Content-Length", 14),
	   "in chunks, without Content-Length");
	n = b ? dechunk(b, resp + len) : -1;
	ok(n >= 0, "the chunks are well formed and end with the zero chunk");
	ok(n == (long)want_len && !memcmp(b, want, want_len),
	   "the body is export_scrape's text (%ld bytes, want %zu)", n,
	   want_len);

	len = ask(s, "GET /metrics HTTP/1.0\r\n\r\n", resp);
	b = body_of(resp, len);
	ok(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && b &&
	   !memmem(resp, b - resp, "Transfer-Encoding", 17),
	   "HTTP/1.0 GET is 200, not chunked");
	ok(b && (size_t)(resp + len - b) == want_len && !memcmp(b, want, want_len),
	   "the body to the close is export_scrape's text");

	len = ask(s, "HEAD /metrics HTTP/1.1\r\n\r\n", resp);
	b = body_of(resp, len);
	ok(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && b && b == resp + len,
	   "HEAD is 200 with no body");

	sample_err = -EIO;
	len = ask(s, "GET /metrics HTTP/1.1\r\n\r\n", resp);
	ok(!strncmp(resp, "HTTP/1.1 503 ", 13), "a failed sample is 503");
	sample_err = 0;

	export_server_close(s);
	free(want);
	free(resp);
	return tap_done();
}
