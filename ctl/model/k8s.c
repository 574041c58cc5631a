// SPDX-License-Identifier: GPL-2.0
/*
 * Pods and containers from cgroup paths. The layouts are the kubelet's
 * (pkg/kubelet/cm: "kubepods", QoS classes, "pod" + UID, the systemd
 * driver's escaping of "-" as "_") and the runtimes' scope names. Every
 * piece is checked whole (a UID is 8-4-4-4-12 hex, an id 64 hex), so a
 * look-alike name is left unlabelled.
 */
#include <string.h>

#include "model/k8s.h"

static const char *const qos_names[] = {
	[CGS_QOS_GUARANTEED] = "guaranteed",
	[CGS_QOS_BURSTABLE] = "burstable",
	[CGS_QOS_BESTEFFORT] = "besteffort",
};

const char *cgs_qos_name(enum cgs_qos q)
{
	return q > CGS_QOS_NONE && q <= CGS_QOS_BESTEFFORT ? qos_names[q] : NULL;
}

/* A component of a path: [s, s + n). */
struct word {
	const char *s;
	size_t n;
};

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

static bool eat(struct word *w, const char *prefix)
{
	size_t n = strlen(prefix);

	if (w->n < n || strncmp(w->s, prefix, n))
		return false;
	w->s += n;
	w->n -= n;
	return true;
}

static bool eat_tail(struct word *w, const char *suffix)
{
	size_t n = strlen(suffix);

	if (w->n < n || strncmp(w->s + w->n - n, suffix, n))
		return false;
	w->n -= n;
	return true;
}

static bool is(const struct word *w, const char *s)
{
	return w->n == strlen(s) && !strncmp(w->s, s, w->n);
}

/* A pod UID, its dashes written as @dash; normalised into @out. */
static bool uid(const struct word *w, char dash, char *out)
{
	static const unsigned char groups[] = { 8, 4, 4, 4, 12 };
	size_t pos = 0;

	if (w->n != CGS_POD_UID_LEN)
		return false;
	for (size_t g = 0; g < sizeof(groups); g++) {
		if (g && w->s[pos++] != dash)
			return false;
		if (!all_hex(w->s + pos, groups[g]))
			return false;
		pos += groups[g];
	}
	for (size_t i = 0; i < w->n; i++)
		out[i] = w->s[i] == dash ? '-' : w->s[i];
	out[w->n] = '\0';
	return true;
}

static bool container_id(const struct word *w, char *out)
{
	if (w->n != CGS_CONTAINER_ID_LEN || !all_hex(w->s, w->n))
		return false;
	memcpy(out, w->s, w->n);
	out[w->n] = '\0';
	return true;
}

/* "<runtime>-<id>.scope", the systemd driver's and podman's containers. */
static const struct {
	const char *prefix;
	const char *runtime;
} scopes[] = {
	{ "cri-containerd-", "containerd" },
	{ "crio-", "crio" },
	{ "docker-", "docker" },
	{ "libpod-", "podman" },
};

static bool scope(struct word w, struct cgs_k8s *k)
{
	if (!eat_tail(&w, ".scope"))
		return false;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		struct word id = w;

		if (eat(&id, scopes[i].prefix) && container_id(&id, k->container_id)) {
			k->runtime = scopes[i].runtime;
			return true;
		}
	}
	return false;
}

static enum cgs_qos qos_word(const struct word *w)
{
	for (int q = CGS_QOS_BURSTABLE; q <= CGS_QOS_BESTEFFORT; q++)
		if (is(w, qos_names[q]))
			return q;
	return CGS_QOS_NONE;
}

/* @w is "<parent>-<rest>.slice": leaves <rest> in @w. */
static bool child_slice(struct word *w, const struct word *parent)
{
	if (!eat_tail(w, ".slice") || w->n <= parent->n + 1 ||
	    strncmp(w->s, parent->s, parent->n) || w->s[parent->n] != '-')
		return false;
	w->s += parent->n + 1;
	w->n -= parent->n + 1;
	return true;
}

/*
 * Below the unit @kp ("[<prefix>-]kubepods", ".slice" dropped): systemd
 * names a child slice after its parent, so "<kp>-<qos>.slice", then
 * "<kp>-<qos>-pod<UID_>.slice", or "<kp>-pod<UID_>.slice" for a
 * Guaranteed pod; then a runtime's scope.
 */
static void systemd_driver(const struct word *v, size_t n, struct word kp,
			   struct cgs_k8s *k)
{
	struct word w, qos;
	size_t i = 0;

	k->kubelet = true;
	if (i == n)
		return;
	w = v[i];
	if (!child_slice(&w, &kp))
		return;
	if (eat(&w, "pod")) {
		if (!uid(&w, '_', k->pod_uid))
			return;
		k->qos = CGS_QOS_GUARANTEED;
	} else {
		k->qos = qos_word(&w);
		if (k->qos == CGS_QOS_NONE || ++i == n)
			return;
		qos.s = v[i - 1].s;
		qos.n = v[i - 1].n - strlen(".slice");
		w = v[i];
		if (!child_slice(&w, &qos) || !eat(&w, "pod") ||
		    !uid(&w, '_', k->pod_uid))
			return;
	}
	if (++i < n)
		scope(v[i], k);
}

/* Below "kubepods": "<qos>/pod<UID>/<ID>", or "pod<UID>/<ID>". */
static void cgroupfs_driver(const struct word *v, size_t n, struct cgs_k8s *k)
{
	struct word w;

	k->kubelet = true;
	if (!n)
		return;
	k->qos = qos_word(&v[0]);
	if (k->qos != CGS_QOS_NONE) {
		v++;
		n--;
	} else {
		k->qos = CGS_QOS_GUARANTEED;
	}
	if (!n)
		return;
	w = v[0];
	if (!eat(&w, "pod") || !uid(&w, '-', k->pod_uid)) {
		if (k->qos == CGS_QOS_GUARANTEED)
			k->qos = CGS_QOS_NONE;	/* not a pod after all */
		return;
	}
	if (n >= 2)
		container_id(&v[1], k->container_id);
}

#define MAX_WORDS 64

bool cgs_k8s_parse(const char *path, struct cgs_k8s *k)
{
	struct word v[MAX_WORDS];
	size_t n = 0;

	memset(k, 0, sizeof(*k));
	/* most cgroups are neither the kubelet's nor a runtime's */
	if (!strstr(path, "kubepods") && !strstr(path, ".scope"))
		return false;
	for (const char *p = path; *p; ) {
		while (*p == '/')
			p++;
		if (!*p || n == MAX_WORDS)
			break;
		v[n].s = p;
		v[n].n = strcspn(p, "/");
		p += v[n++].n;
	}
	for (size_t i = 0; i < n; i++) {
		struct word w = v[i];

		if (is(&w, "kubepods")) {
			cgroupfs_driver(v + i + 1, n - i - 1, k);
			return true;
		}
		if (eat_tail(&w, ".slice") &&
		    (is(&w, "kubepods") || (w.n > 9 &&
		     !strncmp(w.s + w.n - 9, "-kubepods", 9)))) {
			systemd_driver(v + i + 1, n - i - 1, w, k);
			return true;
		}
		/* A runtime's container outside the kubelet: podman, docker. */
		if (scope(v[i], k))
			return true;
	}
	return false;
}
