// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's HTTP/1.1 server: one connection at a time, each answered
 * within a deadline, so a slow or stuck client costs at most that long.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "export/export.h"
#include "ledger/ledger.h"
#include "util/time.h"

/*
 * Free heap the exporter keeps between scrapes (beyond it glibc gives
 * memory back): one scrape of some 100,000 cgroups.
 */
#define EXPORT_HEAP_KEEP	(64 << 20)

struct export_server {
	int fd;
	struct cgs_iter *it;		/* the cgroup iterator's reader */
	int timeout_ms;
	bool verbose;
	struct cgs_nl *nl;
	char addr[INET6_ADDRSTRLEN + 8];
	struct export_target *targets;
	size_t nr_targets;
	struct export_control control;
};

int export_parse_listen(const char *s, void *addr, unsigned int *len)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *colon = strrchr(s, ':');
	bool bracket = *s == '[';
	size_t hl;

	if (!colon || !colon[1])
		return -EINVAL;
	port = colon + 1;
	hl = colon - s;
	if (bracket) {
		if (hl < 3 || s[hl - 1] != ']')
			return -EINVAL;
		s++;
		hl -= 2;
	}
	if (!hl || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	/* "::1:80" is ambiguous: IPv6 addresses take brackets. */
	if (!bracket && strchr(host, ':'))
		return -EINVAL;
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	if (strlen(port) > 5 || atoi(port) > 65535)
		return -EINVAL;
	if (getaddrinfo(host, port, &hints, &res))
		return -EINVAL;
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void format_addr(const struct sockaddr_storage *ss, char *buf,
			size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	}
}

int export_server_open(struct export_server **sp,
		       const struct export_config *cfg)
{
	const char *listen_at = cfg->listen ? cfg->listen : EXPORT_DEFAULT_LISTEN;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct export_server *s;
	unsigned int len;
	int one = 1, err;

	if (export_parse_listen(listen_at, &ss, &len)) {
		fprintf(stderr, "cgsharectl: bad listen address: %s (want "
			"ADDR:PORT with a numeric address, e.g. 127.0.0.1:9858 "
			"or [::1]:9858)\n", listen_at);
		return -EINVAL;
	}
	/*
	 * A scrape's buffers (the sample, the label sets, the netlink
	 * messages; the text goes out in 64 KiB pieces) stay in the heap for
	 * the next scrape, which needs as much again: no heap trimming, and
	 * no mmap(2) per large buffer, which glibc would otherwise choose by
	 * thresholds it moves as the buffers come and go. Giving them back
	 * after each answer (malloc_trim) and faulting them in again at the
	 * next took 13 % of a scrape of 1,000 cgroups (brk(2) and page
	 * faults, of which the kernel's zeroing of each new page), and
	 * glibc's moving thresholds made the daemon's resident memory step
	 * up and down with the scrapes' timing. Now it is what the largest
	 * scrape so far needed, and flat while the tree is.
	 */
	mallopt(M_MMAP_THRESHOLD, EXPORT_HEAP_KEEP / 2);
	mallopt(M_TRIM_THRESHOLD, EXPORT_HEAP_KEEP);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000;
	s->verbose = cfg->verbose;
	s->fd = -1;
	if (cgs_iter_open(&s->it)) {
		free(s);
		return -ENOMEM;
	}
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	if (s->fd < 0)
		goto fail;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&ss, len) || listen(s->fd, 16))
		goto fail;
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sl))
		goto fail;
	format_addr(&ss, s->addr, sizeof(s->addr));
	*sp = s;
	return 0;
fail:
	err = -errno;
	fprintf(stderr, "cgsharectl: cannot listen on %s: %s\n", listen_at,
		strerror(-err));
	export_server_close(s);
	return err;
}

static void free_targets(struct export_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)t[i].path);
	free(t);
}

void export_server_close(struct export_server *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	cgs_iter_close(s->it);
	cgs_nl_close(s->nl);
	free_targets(s->targets, s->nr_targets);
	free(s);
}

int export_server_fd(const struct export_server *s)
{
	return s->fd;
}

const char *export_server_addr(const struct export_server *s)
{
	return s->addr;
}

int export_set_targets(struct export_server *s,
		       const struct export_target *t, size_t n)
{
	struct export_target *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = t[i];
		v[i].path = strdup(t[i].path ? t[i].path : "");
		if (!v[i].path) {
			free_targets(v, i);
			return -ENOMEM;
		}
	}
	free_targets(s->targets, s->nr_targets);
	s->targets = v;
	s->nr_targets = n;
	return 0;
}

void export_set_control(struct export_server *s,
			const struct export_control *c)
{
	s->control = *c;
}

static int64_t now_ms(void)
{
	return cgs_now_ns() / 1000000;
}

/* Waits for @events until @deadline; false on timeout or error. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

/*
 * Sends the @cnt pieces of @iov (which it consumes) in as few calls as
 * the socket takes; @flags: MSG_MORE when more follows at once.
 */
static bool send_allv(int fd, struct iovec *iov, int cnt, int flags,
		      int64_t deadline)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = cnt };
	ssize_t n;

	for (;;) {
		while (msg.msg_iovlen && !msg.msg_iov->iov_len) {
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (!msg.msg_iovlen)
			return true;
		n = sendmsg(fd, &msg, MSG_NOSIGNAL | flags);
		if (n > 0) {
			for (; n && (size_t)n >= msg.msg_iov->iov_len;
			     msg.msg_iov++, msg.msg_iovlen--)
				n -= msg.msg_iov->iov_len;
			if (n) {
				msg.msg_iov->iov_base =
					(char *)msg.msg_iov->iov_base + n;
				msg.msg_iov->iov_len -= n;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return false;
		if (!wait_fd(fd, POLLOUT, deadline))
			return false;
	}
}

static bool send_all(int fd, const char *buf, size_t len, int flags,
		     int64_t deadline)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return send_allv(fd, &iov, 1, flags, deadline);
}

#define REQ_MAX 8192

/* Reads up to the end of the request head; its length, 0 if none came. */
static size_t read_head(int fd, char *buf, int64_t deadline)
{
	size_t len = 0;
	ssize_t n;

	while (len < REQ_MAX - 1) {
		n = recv(fd, buf + len, REQ_MAX - 1 - len, 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
			    !wait_fd(fd, POLLIN, deadline))
				return 0;
			continue;
		}
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return len;
	}
	return REQ_MAX;
}

static void respond(int fd, int code, const char *reason, const char *extra,
		    const char *type, const char *body, size_t len,
		    bool head_only, int64_t deadline)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n\r\n",
		     code, reason, type, len, extra ? extra : "");
	if (send_all(fd, hdr, n, head_only ? 0 : MSG_MORE, deadline) &&
	    !head_only)
		send_all(fd, body, len, 0, deadline);
}

static void respond_text(int fd, int code, const char *reason,
			 const char *extra, const char *msg, int64_t deadline)
{
	respond(fd, code, reason, extra, "text/plain; charset=utf-8", msg,
		strlen(msg), false, deadline);
}

/*
 * The answer to GET or HEAD /metrics, sent as the text is made: HTTP/1.1
 * in chunks (RFC 9112 7.1), HTTP/1.0 to the end of the connection.
 */
struct answer {
	int fd;
	int64_t deadline;
	bool head;
	bool chunked;
	bool begun;		/* the status line went out */
};

static bool answer_begin(void *arg)
{
	struct answer *a = arg;
	char hdr[256];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 200 OK\r\n"
		     "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		     "%s"
		     "Connection: close\r\n\r\n",
		     a->chunked ? "Transfer-Encoding: chunked\r\n" : "");
	a->begun = true;
	return send_all(a->fd, hdr, n, a->head ? 0 : MSG_MORE, a->deadline) &&
	       !a->head;
}

static bool answer_piece(void *arg, const char *p, size_t len)
{
	struct answer *a = arg;
	char size[24];
	struct iovec iov[3] = {
		{ .iov_base = size },
		{ .iov_base = (void *)p, .iov_len = len },
		{ .iov_base = "\r\n", .iov_len = 2 },
	};

	if (!a->chunked)
		return send_all(a->fd, p, len, MSG_MORE, a->deadline);
	/* one call a chunk, not three: 230 of them in a scrape of 10,000 */
	iov[0].iov_len = snprintf(size, sizeof(size), "%zx\r\n", len);
	return send_allv(a->fd, iov, 3, MSG_MORE, a->deadline);
}

/*
 * One scrape answered, reopening the netlink socket after the sample
 * failed; the sample's error when nothing was sent, else 0.
 */
static int scrape(struct export_server *s, struct answer *a, size_t *bytes)
{
	int ret;

	*bytes = 0;
	if (!s->nl) {
		ret = cgs_nl_open(&s->nl, s->verbose ? CGS_NL_VERBOSE : 0);
		if (ret) {
			s->nl = NULL;
			return ret;
		}
	}
	ret = export_scrape_stream(s->nl, s->it, s->targets, s->nr_targets,
				   &s->control, answer_begin, answer_piece, a,
				   bytes);
	if (!a->begun) {
		if (ret && ret != -ENOMEM) {
			cgs_nl_perror(s->nl, "dumping the ledger");
			cgs_nl_close(s->nl);
			s->nl = NULL;
		}
		return ret;
	}
	if (ret == -ENOMEM)
		fprintf(stderr, "cgsharectl: out of memory: a scrape's answer "
			"was cut short\n");
	else if (!ret && !a->head && a->chunked)
		send_all(a->fd, "0\r\n\r\n", 5, 0, a->deadline);
	return 0;
}

static void handle(struct export_server *s, int fd, int64_t deadline)
{
	char buf[REQ_MAX], *method, *target, *version, *save;
	size_t len = read_head(fd, buf, deadline);
	struct answer a = { 0 };
	bool head;
	int ret;

	if (!len)
		return;		/* closed, timed out: nobody to answer */
	if (len >= REQ_MAX) {
		respond_text(fd, 431, "Request Header Fields Too Large", NULL,
			     "request head too large\n", deadline);
		return;
	}
	method = strtok_r(buf, " ", &save);
	target = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, "\r\n", &save);
	if (!method || !target || !version || strncmp(version, "HTTP/1.", 7)) {
		respond_text(fd, 400, "Bad Request", NULL, "bad request\n",
			     deadline);
		return;
	}
	target[strcspn(target, "?#")] = '\0';
	if (strcmp(target, "/metrics")) {
		respond_text(fd, 404, "Not Found", NULL,
			     "not found; metrics are at /metrics\n", deadline);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		respond_text(fd, 405, "Method Not Allowed",
			     "Allow: GET, HEAD\r\n", "method not allowed\n",
			     deadline);
		return;
	}
	a.fd = fd;
	a.deadline = deadline;
	a.head = head;
	a.chunked = strcmp(version, "HTTP/1.0") != 0;
	ret = scrape(s, &a, &len);
	if (ret) {
		respond_text(fd, 503, "Service Unavailable", NULL,
			     ret == -ENOENT ? "the cgshare module is not "
			     "loaded\n" : "reading the ledger failed\n",
			     deadline);
		return;
	}
	if (s->verbose)
		fprintf(stderr, "cgsharectl: %s /metrics: %zu bytes\n", method,
			len);
}

void export_server_serve(struct export_server *s)
{
	int64_t deadline;
	char drain[512];
	int fd;

	fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;		/* gone before we got to it, or nothing there */
	deadline = now_ms() + s->timeout_ms;
	handle(s, fd, deadline);
	/*
	 * Close gently: with unread input left (a request body), close()
	 * would send a reset that can destroy the answer before the client
	 * reads it.
	 */
	shutdown(fd, SHUT_WR);
	if (deadline - now_ms() > 1000)
		deadline = now_ms() + 1000;
	for (;;) {
		ssize_t n = recv(fd, drain, sizeof(drain), 0);

		if (!n || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n < 0 && !wait_fd(fd, POLLIN, deadline))
			break;
	}
	close(fd);
}
