// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink messages to the model. Strict about what it knows (lengths,
 * terminators, truncation), silent about attributes it does not know, so an
 * older cgsharectl keeps working with a newer module.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>

#include "ledger/ledger.h"

/* Name of attribute @type in the attribute set that command @cmd uses. */
const char *cgs_attr_name(int cmd, int type)
{
	return cgs_spec_attr_name(cgs_spec_cmd_set(cmd), type);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Attribute walking, with truncation reported instead of ignored. */
static const struct nlattr *attr_first(const void *head, int len, int *rem)
{
	*rem = len;
	return head;
}

static bool attr_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem;
}

static const struct nlattr *attr_next(const struct nlattr *a, int *rem)
{
	int step = NLA_ALIGN(a->nla_len);

	*rem -= step;
	return (const struct nlattr *)((const char *)a + step);
}

#define for_each_attr(a, head, len, rem) \
	for (a = attr_first(head, len, &rem); attr_ok(a, rem); \
	     a = attr_next(a, &rem))

static int attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/*
 * A counter's value: a u32 attribute is 4 bytes; a YNL "uint" 4 or 8
 * bytes, host order.
 */
static inline bool get_value(bool u32, const struct nlattr *a, uint64_t *v)
{
	uint32_t v32;

	if (attr_len(a) == 8 && !u32) {
		memcpy(v, attr_data(a), 8);
		return true;
	}
	if (attr_len(a) != 4)
		return false;
	memcpy(&v32, attr_data(a), 4);
	*v = v32;
	return true;
}

static bool get_fixed(const struct nlattr *a, void *v, int size)
{
	if (attr_len(a) != size)
		return false;
	memcpy(v, attr_data(a), size);
	return true;
}

/* Index of the metric with attribute @type in @tbl[@n], or -1. */
static int metric_index(const struct cgs_metric *tbl, int n, int type)
{
	for (int c = 0; c < n; c++)
		if (tbl[c].attr == type)
			return c;
	return -1;
}

/*
 * The same for the cgroup set, by a table built once: a record has some
 * thirty attributes, each looked up on every sample. Each entry also says
 * whether the attribute is a u32, so that the loop below reads no more
 * than this table.
 */
#define MAX_CGROUP_ATTR 256

struct attr_info {
	signed char ctr;	/* enum cgs_ctr, or -1 */
	bool u32;
};

static const struct attr_info *cgroup_metric(int type)
{
	static struct attr_info info[MAX_CGROUP_ATTR];
	static const struct attr_info none = { .ctr = -1 };
	static bool built;

	if (!built) {
		for (int t = 0; t < MAX_CGROUP_ATTR; t++)
			info[t].ctr = -1;
		for (int c = 0; c < CGS_NR_CTR; c++)
			if (cgs_ctr_info[c].attr < MAX_CGROUP_ATTR) {
				info[cgs_ctr_info[c].attr].ctr = c;
				info[cgs_ctr_info[c].attr].u32 = cgs_ctr_info[c].u32;
			}
		built = true;
	}
	return type < MAX_CGROUP_ATTR ? &info[type] : &none;
}

static bool get_metric(const struct cgs_metric *m, const struct nlattr *a,
		       uint64_t *v)
{
	return get_value(m->u32, a, v);
}

static int bad_length(char *err, size_t errlen, const char *set,
		      const struct cgs_metric *m, const struct nlattr *a)
{
	return fail(err, errlen, "%sattribute %s: length %d, expected %s",
		    set, m->name, attr_len(a), m->u32 ? "4" : "4 or 8");
}

/* A string attribute must hold its NUL terminator. */
static const char *get_string(const struct nlattr *a)
{
	const char *s = attr_data(a);
	int len = attr_len(a);

	if (len < 1 || !memchr(s, '\0', len))
		return NULL;
	return s;
}

static int decode_gpu(const struct nlattr *nest, struct cgs_cgroup *cg,
		      char *err, size_t errlen)
{
	const struct nlattr *a = NULL;
	struct cgs_gpu *g;
	const char *dev;
	int rem, c;

	g = cgs_cgroup_add_gpu(cg);
	if (!g)
		return -ENOMEM;
	for_each_attr(a, attr_data(nest), attr_len(nest), rem) {
		int type = attr_type(a);

		if (type == CGSHARE_A_GPU_DEV) {
			dev = get_string(a);
			if (!dev || strlen(dev) >= sizeof(g->dev))
				return fail(err, errlen,
					    "gpu attribute dev: not a string of at most %d bytes",
					    CGSHARE_DEV_NAME_LEN - 1);
			strcpy(g->dev, dev);
			continue;
		}
		c = metric_index(cgs_gpu_ctr_info, CGS_NR_GPU_CTR, type);
		if (c < 0)
			continue;
		if (!get_metric(&cgs_gpu_ctr_info[c], a, &g->ctr[c]))
			return bad_length(err, errlen, "gpu ",
					  &cgs_gpu_ctr_info[c], a);
		g->present |= CGS_BIT(c);
	}
	if (rem > 0)
		return fail(err, errlen, "gpu attribute truncated");
	if (!g->dev[0])
		return fail(err, errlen, "gpu attribute without dev");
	return 0;
}

int cgs_decode_cgroup_attrs(const struct nlattr *head, int len,
			    struct cgs_cgroup *cg, char *err, size_t errlen)
{
	const struct attr_info *info;
	const struct nlattr *a = NULL;
	const char *s;
	int rem, c, ret;

	for_each_attr(a, head, len, rem) {
		int type = attr_type(a);

		switch (type) {
		case CGSHARE_A_CGROUP_ID:
		case CGSHARE_A_CGROUP_PARENT_ID:
			if (!get_fixed(a, type == CGSHARE_A_CGROUP_ID ?
					  &cg->id : &cg->parent_id, 8))
				return fail(err, errlen,
					    "attribute %s: length %d, expected 8",
					    cgs_spec_attr_name(CGS_SET_CGROUP, type),
					    attr_len(a));
			cg->has |= type == CGSHARE_A_CGROUP_ID ?
				   CGS_HAS_ID : CGS_HAS_PARENT;
			continue;
		case CGSHARE_A_CGROUP_PATH:
			s = get_string(a);
			if (!s)
				return fail(err, errlen,
					    "attribute path: not NUL-terminated");
			free(cg->path);
			cg->path = strdup(s);
			if (!cg->path)
				return -ENOMEM;
			cg->has |= CGS_HAS_PATH;
			continue;
		case CGSHARE_A_CGROUP_GPU:
			ret = decode_gpu(a, cg, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		info = cgroup_metric(type);
		c = info->ctr;
		if (c < 0)
			continue;	/* newer module, unknown to us */
		if (!get_value(info->u32, a, &cg->ctr[c]))
			return bad_length(err, errlen, "", &cgs_ctr_info[c], a);
		cg->present |= CGS_BIT(c);
	}
	if (rem > 0)
		return fail(err, errlen, "attribute truncated (%d bytes left)",
			    rem);
	if (!(cg->has & CGS_HAS_ID))
		return fail(err, errlen, "record without id");
	return 0;
}

bool cgs_decode_cgroup_id(const struct nlattr *head, int len, uint64_t *id)
{
	if (len < NLA_HDRLEN || head->nla_len < NLA_HDRLEN ||
	    head->nla_len > len)
		return false;
	return attr_type(head) == CGSHARE_A_CGROUP_ID &&
	       get_fixed(head, id, sizeof(*id));
}

static int genl_payload(const struct nlmsghdr *nlh, const void **attrs,
			int *len, char *err, size_t errlen)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return fail(err, errlen, "message of %u bytes is too short",
			    nlh->nlmsg_len);
	*attrs = (const char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN;
	*len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return 0;
}

int cgs_decode_cgroup(const struct nlmsghdr *nlh, struct cgs_cgroup *cg,
		      char *err, size_t errlen)
{
	const void *attrs = NULL;
	int len = 0, ret;

	ret = genl_payload(nlh, &attrs, &len, err, errlen);
	if (ret)
		return ret;
	ret = cgs_decode_cgroup_attrs(attrs, len, cg, err, errlen);
	if (ret)
		cgs_cgroup_free(cg);
	return ret;
}

static int status_attr(const struct nlattr *a, struct cgs_status *st,
		       char *err, size_t errlen)
{
	int type = attr_type(a), c;
	char **sp;
	const char *s;

	switch (type) {
	case CGSHARE_A_STATUS_FEATURES:
		if (!get_fixed(a, &st->features, 4))
			return fail(err, errlen,
				    "attribute features: length %d, expected 4",
				    attr_len(a));
		st->has |= CGS_STATUS_FEATURES;
		return 0;
	case CGSHARE_A_STATUS_VERSION:
	case CGSHARE_A_STATUS_GPU_BPF_REASON:
		sp = type == CGSHARE_A_STATUS_VERSION ? &st->version :
		     &st->gpu_bpf_reason;
		s = get_string(a);
		if (!s)
			return fail(err, errlen,
				    "attribute %s: not NUL-terminated",
				    cgs_spec_attr_name(CGS_SET_STATUS, type));
		free(*sp);
		*sp = strdup(s);
		if (!*sp)
			return -ENOMEM;
		st->has |= type == CGSHARE_A_STATUS_VERSION ?
			   CGS_STATUS_VERSION : CGS_STATUS_GPU_BPF_REASON;
		return 0;
	}
	c = metric_index(cgs_status_ctr_info, CGS_NR_STATUS_CTR, type);
	if (c < 0)
		return 0;
	if (!get_metric(&cgs_status_ctr_info[c], a, &st->ctr[c]))
		return bad_length(err, errlen, "", &cgs_status_ctr_info[c], a);
	st->present |= CGS_BIT(c);
	return 0;
}

int cgs_decode_status(const struct nlmsghdr *nlh, struct cgs_status *st,
		      char *err, size_t errlen)
{
	const struct nlattr *a = NULL;
	const void *attrs = NULL;
	int len = 0, rem = 0, ret;

	ret = genl_payload(nlh, &attrs, &len, err, errlen);
	if (ret)
		return ret;
	for_each_attr(a, attrs, len, rem) {
		ret = status_attr(a, st, err, errlen);
		if (ret)
			goto err;
	}
	if (rem > 0) {
		ret = fail(err, errlen, "attribute truncated (%d bytes left)",
			   rem);
		goto err;
	}
	return 0;
err:
	cgs_status_free(st);
	return ret;
}

/* Names the request attribute that starts at (or holds) offset @offs. */
static void name_offset(const struct nlmsghdr *req, uint32_t offs,
			struct cgs_nl_error *e)
{
	const struct genlmsghdr *g;
	const struct nlattr *a = NULL;
	const char *name;
	int rem, type;
	uint32_t pos;

	snprintf(e->attr, sizeof(e->attr), "at offset %u", offs);
	if (!req || req->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    offs >= req->nlmsg_len)
		return;
	g = (const void *)((const char *)req + NLMSG_HDRLEN);
	pos = NLMSG_HDRLEN + GENL_HDRLEN;
	for_each_attr(a, (const char *)req + pos, req->nlmsg_len - pos, rem) {
		if (offs >= pos && offs < pos + a->nla_len) {
			type = attr_type(a);
			name = cgs_attr_name(g->cmd, type);
			snprintf(e->attr, sizeof(e->attr), "%s%s (type %d)",
				 offs == pos ? "" : "inside ",
				 name ? name : "unknown", type);
			return;
		}
		pos += NLA_ALIGN(a->nla_len);
	}
}

static void name_missing(const struct nlmsghdr *req, uint32_t type,
			 struct cgs_nl_error *e)
{
	const char *name = NULL;

	if (req && req->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
		const struct genlmsghdr *g =
			(const void *)((const char *)req + NLMSG_HDRLEN);

		name = cgs_attr_name(g->cmd, type);
	}
	snprintf(e->attr, sizeof(e->attr), "missing %s (type %u)",
		 name ? name : "attribute", type);
}

int cgs_decode_extack(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
		      struct cgs_nl_error *e)
{
	const char *p = (const char *)nlh + NLMSG_HDRLEN;
	const struct nlattr *a = NULL;
	struct nlmsgerr me;
	uint32_t plen, off, v;
	int rem;

	memset(e, 0, sizeof(*e));
	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		return 0;
	plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (plen < sizeof(me))
			return 0;
		memcpy(&me, p, sizeof(me));
		e->err = me.error;
		off = sizeof(me);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    me.msg.nlmsg_len >= NLMSG_HDRLEN) {
			/* The request is echoed in full: name from it. */
			off += NLMSG_ALIGN(me.msg.nlmsg_len - NLMSG_HDRLEN);
			if (off <= plen)
				req = (const void *)(p + offsetof(struct nlmsgerr, msg));
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		if (plen < sizeof(int))
			return 0;
		memcpy(&e->err, p, sizeof(int));
		off = sizeof(int);
	} else {
		return 0;
	}
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= plen)
		return e->err;
	for_each_attr(a, p + off, plen - off, rem) {
		switch (attr_type(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(e->msg, sizeof(e->msg), "%.*s",
				 attr_len(a), (const char *)attr_data(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (get_fixed(a, &v, 4))
				name_offset(req, v, e);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (get_fixed(a, &v, 4))
				name_missing(req, v, e);
			break;
		}
	}
	return e->err;
}

bool cgs_decode_family_gone(const struct nlmsghdr *nlh, int family)
{
	const struct genlmsghdr *g;
	const struct nlattr *a;
	const void *attrs = NULL;
	uint16_t id;
	int len = 0, rem;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    genl_payload(nlh, &attrs, &len, NULL, 0))
		return false;
	g = (const void *)((const char *)nlh + NLMSG_HDRLEN);
	if (g->cmd != CTRL_CMD_DELFAMILY)
		return false;
	for_each_attr(a, attrs, len, rem)
		if (attr_type(a) == CTRL_ATTR_FAMILY_ID &&
		    get_fixed(a, &id, sizeof(id)))
			return id == family;
	return false;
}
