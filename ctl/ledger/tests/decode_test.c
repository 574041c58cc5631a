// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding real netlink messages, built with libnl as the kernel would lay
 * them out: 4- and 8-byte uints, absent and unknown attributes, truncation,
 * wrong lengths, extended ACKs.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/genetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "ledger/ledger.h"
#include "tests/tap.h"

#define FAMILY 0x1d

static struct nl_msg *cgroup_msg(int cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 0, FAMILY, 0, 0, cmd, CGSHARE_FAMILY_VERSION);
	return m;
}

static int decode(struct nl_msg *m, struct cgs_cgroup *cg, char *why)
{
	memset(cg, 0, sizeof(*cg));
	why[0] = '\0';
	return cgs_decode_cgroup(nlmsg_hdr(m), cg, why, CGS_DECODE_ERRLEN);
}

static void full_record(void)
{
	struct nl_msg *m = cgroup_msg(CGSHARE_CMD_CGROUP_GET);
	char why[CGS_DECODE_ERRLEN];
	struct cgs_cgroup cg;
	struct nlattr *nest;

	nla_put_u64(m, CGSHARE_A_CGROUP_ID, 4242);
	nla_put_string(m, CGSHARE_A_CGROUP_PATH, "/jobs/train");
	nla_put_u64(m, CGSHARE_A_CGROUP_PARENT_ID, 7);
	nla_put_u32(m, CGSHARE_A_CGROUP_CPU_USAGE_NS, 123456);	/* 4 bytes */
	nla_put_u64(m, CGSHARE_A_CGROUP_CPU_WAIT_NS, 1ull << 40);	/* 8 */
	nla_put_u32(m, 47, 99);			/* unknown to us */
	nla_put_string(m, 200, "future");	/* unknown to us */
	nla_put_u64(m, CGSHARE_A_CGROUP_MEM_CURRENT, 5ull << 30);
	nla_put_u32(m, CGSHARE_A_CGROUP_MEM_EVENTS_OOM_KILL, 2);
	nest = nla_nest_start(m, CGSHARE_A_CGROUP_GPU);
	nla_put_string(m, CGSHARE_A_GPU_DEV, "card0");
	nla_put_u64(m, CGSHARE_A_GPU_BUSY_NS, 3000000000ull);
	nla_put_u32(m, CGSHARE_A_GPU_MEM_BYTES, 1 << 20);
	nla_put_u32(m, 9, 1);			/* unknown in the nest */
	nla_nest_end(m, nest);
	nest = nla_nest_start(m, CGSHARE_A_CGROUP_GPU);
	nla_put_string(m, CGSHARE_A_GPU_DEV, "0000:65:00.0");
	nla_put_u32(m, CGSHARE_A_GPU_QUEUE_NS, 5);
	nla_nest_end(m, nest);

	is_int(decode(m, &cg, why), 0, "full record decodes");
	if (why[0])
		printf("#   %s\n", why);
	is_u64(cg.id, 4242, "id");
	ok(cg.has == (CGS_HAS_ID | CGS_HAS_PATH | CGS_HAS_PARENT),
	   "id, path and parent present");
	is_str(cg.path, "/jobs/train", "path");
	is_u64(cg.parent_id, 7, "parent id");
	is_u64(cg.ctr[CGS_CPU_USAGE_NS], 123456, "4-byte uint");
	is_u64(cg.ctr[CGS_CPU_WAIT_NS], 1ull << 40, "8-byte uint");
	is_u64(cg.ctr[CGS_MEM_CURRENT], 5ull << 30, "mem current");
	is_u64(cg.ctr[CGS_MEM_EVENTS_OOM_KILL], 2, "oom kills");
	is_u64(cg.present, CGS_BIT(CGS_CPU_USAGE_NS) | CGS_BIT(CGS_CPU_WAIT_NS) |
	       CGS_BIT(CGS_MEM_CURRENT) | CGS_BIT(CGS_MEM_EVENTS_OOM_KILL),
	       "exactly the counters sent are present");
	is_u64(cg.nr_gpu, 2, "two gpu nests");
	if (cg.nr_gpu == 2) {
		is_str(cg.gpu[0].dev, "card0", "gpu 0 dev");
		is_u64(cg.gpu[0].ctr[CGS_GPU_BUSY_NS], 3000000000ull, "gpu 0 busy");
		is_u64(cg.gpu[0].ctr[CGS_GPU_MEM_BYTES], 1 << 20, "gpu 0 mem");
		is_u64(cg.gpu[0].present,
		       CGS_BIT(CGS_GPU_BUSY_NS) | CGS_BIT(CGS_GPU_MEM_BYTES),
		       "gpu 0 presence");
		is_str(cg.gpu[1].dev, "0000:65:00.0", "gpu 1 dev");
		is_u64(cg.gpu[1].present, CGS_BIT(CGS_GPU_QUEUE_NS),
		       "gpu 1 presence");
	}
	cgs_cgroup_free(&cg);

	/* Cut the message inside its last attribute. */
	nlmsg_hdr(m)->nlmsg_len -= 6;
	is_int(decode(m, &cg, why), -EBADMSG, "truncated attribute refused");
	ok(strstr(why, "truncated") != NULL, "and said so: %s", why);
	ok(!cg.path && !cg.gpu, "nothing left allocated after a failure");
	nlmsg_free(m);
}

static void minimal_record(void)
{
	struct nl_msg *m = cgroup_msg(CGSHARE_CMD_CGROUP_RELEASE);
	char why[CGS_DECODE_ERRLEN];
	struct cgs_cgroup cg;

	nla_put_u64(m, CGSHARE_A_CGROUP_ID, 1);
	nla_put_u64(m, CGSHARE_A_CGROUP_CPU_USAGE_NS, 0);
	is_int(decode(m, &cg, why), 0, "record without optional attrs decodes");
	ok(!(cg.has & (CGS_HAS_PATH | CGS_HAS_PARENT)) && !cg.path,
	   "no path, no parent");
	ok(!cgs_has_ctr(&cg, CGS_MEM_CURRENT) &&
	   !cgs_has_ctr(&cg, CGS_MEM_PEAK),
	   "memory absent, not zero");
	ok(cgs_has_ctr(&cg, CGS_CPU_USAGE_NS) && cg.ctr[CGS_CPU_USAGE_NS] == 0,
	   "a zero counter is present");
	is_u64(cg.nr_gpu, 0, "no gpu");
	cgs_cgroup_free(&cg);
	nlmsg_free(m);
}

/*
 * A cgroup iterator record (bpf/cgroups.bpf.c): 12-byte attributes, every
 * uint 8 bytes, 4-byte aligned, decoded into the dump's record of the same
 * id, which keeps what it had.
 */
static void iter_put(uint32_t *w, int *len, int type, uint64_t v)
{
	w += *len / 4;
	w[0] = 12 | (uint32_t)type << 16;
	w[1] = (uint32_t)v;
	w[2] = v >> 32;
	*len += 12;
}

static void iter_record(void)
{
	char why[CGS_DECODE_ERRLEN];
	struct cgs_cgroup cg = { .has = CGS_HAS_ID, .id = 77 };
	uint32_t w[40];
	int len = 0;

	cg.ctr[CGS_CPU_USAGE_NS] = 5;
	cg.present = CGS_BIT(CGS_CPU_USAGE_NS);
	iter_put(w, &len, CGSHARE_A_CGROUP_ID, 77);
	iter_put(w, &len, CGSHARE_A_CGROUP_CPU_WEIGHT, 300);
	iter_put(w, &len, CGSHARE_A_CGROUP_CPU_MAX_QUOTA_NS, UINT64_MAX);
	iter_put(w, &len, CGSHARE_A_CGROUP_CPU_THROTTLED_NS, 1ull << 40);
	iter_put(w, &len, CGSHARE_A_CGROUP_MEM_INACTIVE_FILE, 4096);
	is_int(cgs_decode_cgroup_attrs((const struct nlattr *)w, len, &cg, why,
				       sizeof(why)), 0, "iterator record decodes");
	ok(cg.ctr[CGS_CPU_WEIGHT] == 300 &&
	   cg.ctr[CGS_CPU_MAX_QUOTA_NS] == UINT64_MAX &&
	   cg.ctr[CGS_CPU_THROTTLED_NS] == 1ull << 40 &&
	   cg.ctr[CGS_MEM_INACTIVE_FILE] == 4096, "iterator record: values");
	ok(cg.present == (CGS_BIT(CGS_CPU_USAGE_NS) | CGS_BIT(CGS_CPU_WEIGHT) |
			  CGS_BIT(CGS_CPU_MAX_QUOTA_NS) |
			  CGS_BIT(CGS_CPU_THROTTLED_NS) |
			  CGS_BIT(CGS_MEM_INACTIVE_FILE)) &&
	   cg.ctr[CGS_CPU_USAGE_NS] == 5,
	   "iterator record: merged into the dump's, which keeps its own");
	ok(!cgs_has_ctr(&cg, CGS_MEM_ANON), "iterator record: absent stays absent");
}

/* A record's id read before the rest: first attribute, 8 bytes, or none. */
static void record_id(void)
{
	uint32_t w[16];
	uint64_t id = 0;
	int len = 0;

	iter_put(w, &len, CGSHARE_A_CGROUP_ID, 4242);
	iter_put(w, &len, CGSHARE_A_CGROUP_CPU_WEIGHT, 300);
	ok(cgs_decode_cgroup_id((const struct nlattr *)w, len, &id) &&
	   id == 4242, "record id: first attribute");
	ok(!cgs_decode_cgroup_id((const struct nlattr *)w, 8, &id),
	   "record id: truncated attribute refused");
	ok(!cgs_decode_cgroup_id((const struct nlattr *)w, 0, &id),
	   "record id: empty record has none");
	len = 0;
	iter_put(w, &len, CGSHARE_A_CGROUP_CPU_WEIGHT, 300);
	iter_put(w, &len, CGSHARE_A_CGROUP_ID, 4242);
	ok(!cgs_decode_cgroup_id((const struct nlattr *)w, len, &id),
	   "record id: not first, not found");
	len = 0;
	iter_put(w, &len, CGSHARE_A_CGROUP_ID, 4242);
	w[0] = (NLA_HDRLEN + 4) | (uint32_t)CGSHARE_A_CGROUP_ID << 16;
	ok(!cgs_decode_cgroup_id((const struct nlattr *)w, len, &id),
	   "record id: 4-byte id refused");
}

/* One bad attribute after a good id; the decoder must refuse. */
static void bad(const char *name, const char *hint,
		void (*put)(struct nl_msg *m))
{
	struct nl_msg *m = cgroup_msg(CGSHARE_CMD_CGROUP_GET);
	char why[CGS_DECODE_ERRLEN];
	struct cgs_cgroup cg;

	nla_put_u64(m, CGSHARE_A_CGROUP_ID, 1);
	put(m);
	is_int(decode(m, &cg, why), -EBADMSG, name);
	ok(strstr(why, hint) != NULL, "%s: message names it: %s", name, why);
	ok(!cg.path && !cg.gpu && !cg.nr_gpu, "%s: nothing leaked", name);
	nlmsg_free(m);
}

static void put_u16_counter(struct nl_msg *m)
{
	nla_put_u16(m, CGSHARE_A_CGROUP_CPU_USAGE_NS, 1);
}

static void put_u32_id(struct nl_msg *m)
{
	nla_put_u32(m, CGSHARE_A_CGROUP_PARENT_ID, 1);
}

static void put_unterminated_path(struct nl_msg *m)
{
	nla_put(m, CGSHARE_A_CGROUP_PATH, 3, "/ab");
}

static void put_empty_path(struct nl_msg *m)
{
	nla_put(m, CGSHARE_A_CGROUP_PATH, 0, NULL);
}

static void put_long_dev(struct nl_msg *m)
{
	struct nlattr *n = nla_nest_start(m, CGSHARE_A_CGROUP_GPU);

	nla_put_string(m, CGSHARE_A_GPU_DEV,
		       "a-device-name-much-longer-than-31-bytes");
	nla_nest_end(m, n);
}

static void put_gpu_without_dev(struct nl_msg *m)
{
	struct nlattr *n = nla_nest_start(m, CGSHARE_A_CGROUP_GPU);

	nla_put_u64(m, CGSHARE_A_GPU_BUSY_NS, 1);
	nla_nest_end(m, n);
}

static void put_bad_gpu_counter(struct nl_msg *m)
{
	struct nlattr *n = nla_nest_start(m, CGSHARE_A_CGROUP_GPU);

	nla_put_string(m, CGSHARE_A_GPU_DEV, "card0");
	nla_put(m, CGSHARE_A_GPU_BUSY_NS, 6, "123456");
	nla_nest_end(m, n);
}

static void put_truncated_nest(struct nl_msg *m)
{
	struct nlattr *n = nla_nest_start(m, CGSHARE_A_CGROUP_GPU);

	nla_put_string(m, CGSHARE_A_GPU_DEV, "card0");
	nla_put_u64(m, CGSHARE_A_GPU_BUSY_NS, 1);
	nla_nest_end(m, n);
	n->nla_len -= 4;	/* the nest now ends inside busy-ns */
}

static void no_id(void)
{
	struct nl_msg *m = cgroup_msg(CGSHARE_CMD_CGROUP_GET);
	char why[CGS_DECODE_ERRLEN];
	struct cgs_cgroup cg;

	nla_put_string(m, CGSHARE_A_CGROUP_PATH, "/x");
	is_int(decode(m, &cg, why), -EBADMSG, "record without id refused");
	ok(!cg.path, "no id: path freed");
	nlmsg_free(m);

	m = nlmsg_alloc();
	nlmsg_put(m, 0, 0, FAMILY, 2, 0);
	is_int(decode(m, &cg, why), -EBADMSG,
	       "message shorter than a genl header refused");
	nlmsg_free(m);
}

static void status(void)
{
	struct nl_msg *m = cgroup_msg(CGSHARE_CMD_STATUS_GET);
	char why[CGS_DECODE_ERRLEN] = "";
	struct cgs_status st;

	nla_put_string(m, CGSHARE_A_STATUS_VERSION, "0.1-g1234");
	nla_put_u32(m, CGSHARE_A_STATUS_FEATURES,
		    CGSHARE_FEATURE_CPU | CGSHARE_FEATURE_MEMORY);
	nla_put_u32(m, CGSHARE_A_STATUS_NR_CGROUPS, 31);
	nla_put_u32(m, CGSHARE_A_STATUS_GENERATION, 77);
	nla_put_string(m, CGSHARE_A_STATUS_GPU_BPF_REASON, "no module BTF");
	nla_put_u64(m, 30, 1);		/* unknown */
	memset(&st, 0, sizeof(st));
	is_int(cgs_decode_status(nlmsg_hdr(m), &st, why, sizeof(why)), 0,
	       "status decodes");
	is_str(st.version, "0.1-g1234", "status version");
	is_u64(st.features, 3, "status features");
	is_u64(st.ctr[CGS_MOD_NR_CGROUPS], 31, "status nr-cgroups");
	is_u64(st.ctr[CGS_MOD_GENERATION], 77, "status generation");
	is_str(st.gpu_bpf_reason, "no module BTF", "status gpu-bpf reason");
	is_u64(st.has, 7, "status: version, features and reason present");
	is_u64(st.present, CGS_BIT(CGS_MOD_NR_CGROUPS) |
	       CGS_BIT(CGS_MOD_GENERATION), "status: both counters present");
	cgs_status_free(&st);
	nlmsg_free(m);

	m = cgroup_msg(CGSHARE_CMD_STATUS_GET);
	nla_put_string(m, CGSHARE_A_STATUS_VERSION, "x");
	nla_put_u64(m, CGSHARE_A_STATUS_FEATURES, 1);
	memset(&st, 0, sizeof(st));
	is_int(cgs_decode_status(nlmsg_hdr(m), &st, why, sizeof(why)),
	       -EBADMSG, "status: 8-byte u32 refused");
	ok(strstr(why, "features") != NULL, "status: names it: %s", why);
	ok(!st.version, "status: nothing left allocated");
	nlmsg_free(m);
}

/* The request we pretend to have sent: cgroup-get with id and path. */
static struct nl_msg *request(uint32_t *path_offs)
{
	struct nl_msg *m = cgroup_msg(CGSHARE_CMD_CGROUP_GET);

	nla_put_u64(m, CGSHARE_A_CGROUP_ID, 5);
	*path_offs = nlmsg_hdr(m)->nlmsg_len;
	nla_put_string(m, CGSHARE_A_CGROUP_PATH, "/nope");
	return m;
}

static struct nl_msg *error_msg(struct nl_msg *req, int err, bool capped,
				const char *text, int tlv, uint32_t val)
{
	struct nlmsghdr *rh = nlmsg_hdr(req);
	struct nl_msg *m;
	struct nlmsgerr e;
	int flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);

	m = nlmsg_alloc_simple(NLMSG_ERROR, flags);
	e.error = err;
	e.msg = *rh;
	nlmsg_append(m, &e, sizeof(e), NLMSG_ALIGNTO);
	if (!capped)
		nlmsg_append(m, (char *)rh + NLMSG_HDRLEN,
			     rh->nlmsg_len - NLMSG_HDRLEN, NLMSG_ALIGNTO);
	if (text)
		nla_put_string(m, NLMSGERR_ATTR_MSG, text);
	if (tlv)
		nla_put_u32(m, tlv, val);
	return m;
}

static void extack(void)
{
	struct cgs_nl_error e;
	struct nl_msg *req, *m;
	uint32_t offs;
	int done[2] = { -ENOENT, 0 };

	req = request(&offs);
	m = error_msg(req, -EINVAL, false, "bad path", NLMSGERR_ATTR_OFFS, offs);
	is_int(cgs_decode_extack(nlmsg_hdr(m), NULL, &e), -EINVAL,
	       "extack: error code");
	is_str(e.msg, "bad path", "extack: message");
	is_str(e.attr, "path (type 2)", "extack: offending attribute named "
	       "from the echoed request");
	nlmsg_free(m);

	m = error_msg(req, -EINVAL, true, "bad path", NLMSGERR_ATTR_OFFS, offs);
	cgs_decode_extack(nlmsg_hdr(m), nlmsg_hdr(req), &e);
	is_str(e.attr, "path (type 2)",
	       "extack capped: named from our copy of the request");
	cgs_decode_extack(nlmsg_hdr(m), NULL, &e);
	ok(strstr(e.attr, "offset") != NULL,
	   "extack capped, no copy: the offset is given: %s", e.attr);
	nlmsg_free(m);

	m = error_msg(req, -EINVAL, false, NULL, NLMSGERR_ATTR_OFFS, offs + 6);
	cgs_decode_extack(nlmsg_hdr(m), NULL, &e);
	is_str(e.attr, "inside path (type 2)", "extack: offset inside an attr");
	ok(!e.msg[0], "extack: no message when none was sent");
	nlmsg_free(m);

	m = error_msg(req, -EINVAL, false, "need id or path",
		      NLMSGERR_ATTR_MISS_TYPE, CGSHARE_A_CGROUP_ID);
	cgs_decode_extack(nlmsg_hdr(m), NULL, &e);
	is_str(e.attr, "missing id (type 1)", "extack: missing attribute");
	nlmsg_free(m);

	m = error_msg(req, -EPERM, false, NULL, 0, 0);
	nlmsg_hdr(m)->nlmsg_flags &= ~NLM_F_ACK_TLVS;
	is_int(cgs_decode_extack(nlmsg_hdr(m), NULL, &e), -EPERM,
	       "plain error without TLVs");
	ok(!e.msg[0] && !e.attr[0], "plain error: nothing invented");
	nlmsg_free(m);

	/* A dump that failed: NLMSG_DONE with an error and a message. */
	m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	nlmsg_append(m, &done[0], sizeof(int), NLMSG_ALIGNTO);
	nla_put_string(m, NLMSGERR_ATTR_MSG, "no such cgroup");
	is_int(cgs_decode_extack(nlmsg_hdr(m), nlmsg_hdr(req), &e), -ENOENT,
	       "done: error code");
	is_str(e.msg, "no such cgroup", "done: message");
	nlmsg_free(m);

	m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
	nlmsg_append(m, &done[1], sizeof(int), NLMSG_ALIGNTO);
	is_int(cgs_decode_extack(nlmsg_hdr(m), NULL, &e), 0, "done: success");
	nlmsg_free(m);
	nlmsg_free(req);

	is_str(cgs_attr_name(CGSHARE_CMD_CHARGE, CGSHARE_A_CHARGE_DEV), "dev",
	       "attribute names follow the command's set");
	ok(!cgs_attr_name(CGSHARE_CMD_CGROUP_GET, 1000),
	   "unknown attribute has no name");
}

static void family_gone(void)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_DELFAMILY, 2);
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "cgshare");
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, FAMILY);
	ok(cgs_decode_family_gone(nlmsg_hdr(m), FAMILY),
	   "controller DELFAMILY for our family is seen");
	ok(!cgs_decode_family_gone(nlmsg_hdr(m), FAMILY + 1),
	   "DELFAMILY for another family is not ours");
	genlmsg_hdr(nlmsg_hdr(m))->cmd = CTRL_CMD_NEWFAMILY;
	ok(!cgs_decode_family_gone(nlmsg_hdr(m), FAMILY),
	   "NEWFAMILY is not a removal");
	nlmsg_free(m);

	m = cgroup_msg(CGSHARE_CMD_CGROUP_RELEASE);
	nla_put_u64(m, CGSHARE_A_CGROUP_ID, 1);
	ok(!cgs_decode_family_gone(nlmsg_hdr(m), FAMILY),
	   "a release event is not a removal");
	nlmsg_free(m);
}

int main(void)
{
	full_record();
	minimal_record();
	iter_record();
	record_id();
	bad("2-byte uint refused", "cpu-usage-ns", put_u16_counter);
	bad("4-byte u64 refused", "parent-id", put_u32_id);
	bad("unterminated string refused", "path", put_unterminated_path);
	bad("empty string refused", "path", put_empty_path);
	bad("over-long gpu dev refused", "dev", put_long_dev);
	bad("gpu nest without dev refused", "without dev", put_gpu_without_dev);
	bad("6-byte gpu uint refused", "busy-ns", put_bad_gpu_counter);
	bad("truncated gpu nest refused", "truncated", put_truncated_nest);
	no_id();
	status();
	extack();
	family_gone();
	return tap_done();
}
