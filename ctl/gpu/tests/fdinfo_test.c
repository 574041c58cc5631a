// SPDX-License-Identifier: GPL-2.0
/*
 * DRM fdinfo collector: the parser on driver-style texts, the scanner on
 * the fixture trees in tests/fixtures/fdinfo (s1, s2: two scans of one
 * host, 1 s apart), and the delta engine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/fdinfo.h"
#include "tests/tap.h"

#define SEC 1000000000ull
#define FIX "gpu/tests/fixtures/fdinfo/"

static const struct gfd_engine *eng(const struct gfd_client *c,
				    const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nr_eng; i++)
		if (!strcmp(c->eng[i].name, name))
			return &c->eng[i];
	return NULL;
}

static void parse_str(const char *t, struct gfd_client *c)
{
	gfd_parse(t, strlen(t), c);
}

static void sizes(void)
{
	uint64_t v = 0;

	ok(!gfd_parse_size("12", 2, &v) && v == 12, "size: bytes");
	ok(!gfd_parse_size("3 KiB", 5, &v) && v == 3072, "size: KiB");
	ok(!gfd_parse_size("2 MiB", 5, &v) && v == 2097152, "size: MiB");
	ok(gfd_parse_size("2 kB", 4, &v), "size: unknown unit rejected");
	ok(gfd_parse_size("-2", 2, &v), "size: sign rejected");
	ok(gfd_parse_size("", 0, &v), "size: empty rejected");
	/* 2^63 - 1 is the largest accepted; 2^63 is absurd */
	ok(!gfd_parse_size("9223372036854775807", 19, &v) &&
	   v == 9223372036854775807ull, "size: INT64_MAX accepted");
	ok(gfd_parse_size("9223372036854775808", 19, &v), "size: 2^63 rejected");
	ok(gfd_parse_size("18446744073709551616", 20, &v),
	   "size: beyond u64 rejected");
	/* 2^53 KiB = 2^63 bytes: overflows after the unit */
	ok(gfd_parse_size("9007199254740992 KiB", 20, &v),
	   "size: overflow after unit rejected");
	ok(!gfd_parse_size("9007199254740991 KiB", 20, &v) &&
	   v == 9223372036854774784ull, "size: just below after unit");
}

static void parse_amdgpu(void)
{
	struct gfd_client c;
	const struct gfd_engine *e;

	parse_str("pos:\t0\nflags:\t02100002\ndrm-driver:\tamdgpu\n"
		  "drm-client-id:\t7\ndrm-pdev:\t0000:03:00.0\npasid:\t32789\n"
		  "drm-memory-vram:\t1024 KiB\ndrm-memory-gtt: \t2048 KiB\n"
		  "drm-memory-cpu: \t0 KiB\namd-evicted-vram:\t0 KiB\n"
		  "drm-engine-gfx:\t1000000 ns\ndrm-engine-compute:\t500000 ns\n"
		  "drm-engine-dec:\t0 ns", &c);
	is_int(c.bad_lines, 0, "amdgpu: no bad lines");
	is_str(c.driver, "amdgpu", "amdgpu: driver");
	is_str(c.pdev, "0000:03:00.0", "amdgpu: pdev");
	is_u64(c.client_id, 7, "amdgpu: client id");
	is_int(c.nr_eng, 3, "amdgpu: 3 engines");
	e = eng(&c, "compute");
	ok(e && e->ns == 500000 && e->capacity == 1, "amdgpu: compute 500000 ns");
	e = eng(&c, "dec");
	ok(e && e->ns == 0 && (e->has & GFD_ENG_NS), "amdgpu: dec 0 ns (last line, no newline)");
	/* drm-memory-*: 1024 KiB + 2048 KiB + 0 = 3 MiB = 3145728 */
	is_u64(gfd_client_mem(&c), 3145728, "amdgpu: memory 3 MiB");
}

static void parse_i915(void)
{
	struct gfd_client c;
	const struct gfd_engine *e;

	parse_str("drm-driver: i915\r\ndrm-pdev: 0000:00:02.0\r\n"
		  "drm-client-id: 3\r\ndrm-engine-render: 2000000 ns\r\n"
		  "drm-engine-video: 100 ns\r\ndrm-engine-capacity-video: 2\r\n"
		  "drm-engine-video-enhance: 0 ns\r\n"
		  "drm-total-system0: 4096\r\ndrm-resident-system0: 4096\r\n"
		  "drm-total-local0: 8 KiB\r\ndrm-resident-local0: 4 KiB\r\n"
		  "drm-shared-local0: 0\r\ndrm-active-local0: 1 KiB\r\n"
		  "drm-purgeable-local0: 2 KiB\r\n", &c);
	is_int(c.bad_lines, 0, "i915: no bad lines (CRLF tolerated)");
	e = eng(&c, "video");
	ok(e && e->ns == 100 && e->capacity == 2, "i915: video 100 ns, capacity 2");
	ok(eng(&c, "video-enhance") != NULL, "i915: video-enhance is its own engine");
	is_int(c.nr_eng, 3, "i915: 3 engines");
	/* total wins: 4096 + 8192 = 12288 (resident would be 8192) */
	is_u64(gfd_client_mem(&c), 12288, "i915: memory = drm-total-*");
	is_u64(c.resident, 8192, "i915: resident 4096 + 4096");
	is_u64(c.active, 1024, "i915: active");
	is_u64(c.purgeable, 2048, "i915: purgeable");
}

static void parse_xe_msm_panfrost(void)
{
	struct gfd_client c;
	const struct gfd_engine *e;

	parse_str("drm-driver:\txe\ndrm-client-id:\t11\ndrm-pdev:\t0000:04:00.0\n"
		  "drm-total-vram0:\t1 MiB\ndrm-cycles-rcs:\t1000\n"
		  "drm-total-cycles-rcs:\t50000\ndrm-engine-capacity-ccs:\t4\n"
		  "drm-cycles-ccs:\t0\ndrm-total-cycles-ccs:\t50000\n", &c);
	e = eng(&c, "rcs");
	ok(e && e->cycles == 1000 && e->total_cycles == 50000 &&
	   !(e->has & GFD_ENG_NS), "xe: rcs cycles and total cycles");
	e = eng(&c, "ccs");
	ok(e && e->capacity == 4 && e->total_cycles == 50000, "xe: ccs capacity 4");
	is_u64(gfd_client_mem(&c), 1048576, "xe: 1 MiB vram");

	parse_str("drm-driver:\tmsm\ndrm-client-id:\t2\ndrm-engine-gpu:\t5000 ns\n"
		  "drm-cycles-gpu:\t123\ndrm-maxfreq-gpu:\t800000000 Hz\n"
		  "drm-resident-memory:\t32 KiB\n", &c);
	e = eng(&c, "gpu");
	ok(e && e->ns == 5000 && e->cycles == 123, "msm: gpu ns and cycles");
	ok(!(c.has & GFD_HAS_PDEV), "msm: no pdev");
	is_u64(gfd_client_mem(&c), 32768, "msm: resident when no total");
	is_int(c.nr_eng, 1, "msm: maxfreq makes no engine");

	parse_str("drm-driver:\tpanfrost\ndrm-client-id:\t9\n"
		  "drm-engine-fragment:\t100 ns\ndrm-curfreq-fragment:\t4 Hz\n"
		  "drm-engine-vertex-tiler:\t200 ns\n", &c);
	e = eng(&c, "vertex-tiler");
	ok(e && e->ns == 200, "panfrost: vertex-tiler 200 ns");
	is_int(c.bad_lines, 0, "panfrost: curfreq ignored");
}

static void parse_bad(void)
{
	struct gfd_client c;
	char many[2048];
	size_t n = 0;
	int i;

	parse_str("drm-driver:\tfoo\ndrm-driver:\tbar\n"	/* repeat */
		  "drm-client-id:\t\n"				/* empty */
		  "drm-client-id:\t1 ns\n"			/* unit */
		  "drm-client-id:\t0x10\n"			/* hex */
		  "drm-engine-capacity-a:\t0\n"			/* zero */
		  "drm-engine-a:\t5 ns\ndrm-engine-a:\t6 ns\n"	/* repeat */
		  "drm-engine-:\t5 ns\n"			/* no name */
		  "drm-engine x:\t1 ns\n"			/* space in key */
		  "drm-total-x:\t1 KiB trailing\n"		/* 3 words */
		  "drm-engine-b:\t+5 ns\n"			/* sign */
		  "drm-pdev:\t0000:03:00.0 extra\n"		/* space */
		  "drm-total-:\t1\n"				/* no region */
		  "drm engine-y:\t1 ns\n"			/* not drm-: ignored */
		  "drm-driver-name-that-is-long:\tx\n", &c);	/* unknown */
	/* rejected: driver repeat, empty, unit, hex, zero cap, a repeat,
	 * no name, space in key, 3 words, sign, pdev space, no region = 12 */
	is_int(c.bad_lines, 12, "bad: 12 lines rejected");
	is_str(c.driver, "foo", "bad: first driver kept");
	ok(!(c.has & GFD_HAS_ID), "bad: no client id");
	ok(c.nr_eng == 1 && c.eng[0].ns == 5, "bad: engine a keeps 5 ns");
	ok(!(c.has & GFD_HAS_TOTAL), "bad: no total");

	/* 17 engines: the 17th line is rejected */
	for (i = 0; i < 17; i++)
		n += snprintf(many + n, sizeof(many) - n,
			      "drm-engine-e%d: %d ns\n", i, i);
	parse_str(many, &c);
	is_int(c.nr_eng, 16, "bad: at most 16 engines");
	is_int(c.bad_lines, 1, "bad: the 17th rejected");

	/* NUL inside a line, and a line with no colon */
	gfd_parse("drm-driver: a\0b\ndrm-client-id 5\ndrm-client-id: 5\n",
		  48, &c);
	is_int(c.bad_lines, 2, "bad: NUL and colon-less lines rejected");
	is_u64(c.client_id, 5, "bad: good line after bad ones");
	gfd_parse("", 0, &c);
	is_int(c.has, 0, "bad: empty text");
}

static void scan1(void)
{
	struct gfd_sample s;
	const struct gfd_seen *e;

	is_int(gfd_scan(FIX "s1", &s), 0, "scan s1: ok");
	/* clients: amdgpu 7, i915 3, xe 11, msm 2, panfrost 9 */
	is_u64(s.n, 5, "scan s1: 5 distinct clients");
	/* amdgpu 7 is open at 100/fd3, 100/fd4 (dup) and 101/fd3 (fork) */
	is_int(s.shared, 2, "scan s1: 2 duplicate fds skipped");
	e = gfd_find_seen(&s, "0000:03:00.0", 7);
	ok(e && e->pid == 100 && !strcmp(e->cgroup, "/a"),
	   "scan s1: shared client owned by lowest pid, cgroup /a");
	/* 600: no cgroup file; 601: no fdinfo dir; 602: fd link dangles */
	is_int(s.vanished, 3, "scan s1: 3 vanished (pid, pid, fd)");
	is_int(s.no_cgroup, 1, "scan s1: pid 700 has no cgroup v2 line");
	/* panfrost 500/fd3: -5, PiB, no colon, overflow, ms, 3 words,
	 * KiB overflow = 7 */
	is_int(s.bad_lines, 7, "scan s1: 7 malformed lines counted");
	e = gfd_find_seen(&s, "panfrost", 9);
	ok(e && e->c.nr_eng == 2 && !strcmp(e->dev, "panfrost"),
	   "scan s1: panfrost keeps its 2 good engines, dev = driver");
	e = gfd_find_seen(&s, "msm", 2);
	ok(e && !strcmp(e->dev, "msm/renderD128"),
	   "scan s1: msm dev = driver/node from the fd link");
	e = gfd_find_seen(&s, "0000:04:00.0", 11);
	ok(e && !strcmp(e->dev, "0000:04:00.0") && !strcmp(e->cgroup, "/c"),
	   "scan s1: xe dev = pdev, cgroup /c");
	gfd_sample_free(&s);

	errno = 0;
	is_int(gfd_scan(FIX "no-such-root", &s), -1, "scan: missing root fails");
	is_int(errno, ENOENT, "scan: ENOENT");
}

static const struct gfd_charge *charge(const struct gfd_charges *c,
				       const char *cg, const char *dev)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].cgroup, cg) && !strcmp(c->v[i].dev, dev))
			return &c->v[i];
	return NULL;
}

#define is_charge(ch, cg, dev, busy, mem, name) do { \
	const struct gfd_charge *c_ = charge(ch, cg, dev); \
	ok(c_ != NULL, "%s: present", name); \
	if (c_) { \
		is_u64(c_->busy_ns, busy, name ": busy"); \
		is_u64(c_->mem_bytes, mem, name ": mem"); \
	} \
} while (0)

static void two_samples(void)
{
	struct gfd_state st = { 0 };
	struct gfd_sample s1, s2;
	struct gfd_charges ch;
	size_t i;

	if (gfd_scan(FIX "s1", &s1) || gfd_scan(FIX "s2", &s2)) {
		ok(0, "delta: scans");
		return;
	}

	/* first scan at t = 1 s: baselines, no busy time, memory as is */
	is_int(gfd_delta(&st, &s1, 1 * SEC, &ch), 0, "delta 1: ok");
	is_u64(ch.n, 5, "delta 1: 5 charges");
	is_str(ch.n ? ch.v[0].cgroup : NULL, "/a", "delta 1: sorted, /a first");
	for (i = 0; i < ch.n; i++)
		if (ch.v[i].busy_ns)
			break;
	is_u64(i, ch.n, "delta 1: no busy time on the first scan");
	/* amdgpu drm-memory: 1024 KiB + 2048 KiB = 3145728 */
	is_charge(&ch, "/a", "0000:03:00.0", 0, 3145728, "delta 1 /a amdgpu");
	/* i915 drm-total: 4096 + 8 KiB = 12288 */
	is_charge(&ch, "/b", "0000:00:02.0", 0, 12288, "delta 1 /b i915");
	is_charge(&ch, "/c", "0000:04:00.0", 0, 1048576, "delta 1 /c xe");
	is_charge(&ch, "/d", "msm/renderD128", 0, 65536, "delta 1 /d msm");
	is_charge(&ch, "/e", "panfrost", 0, 0, "delta 1 /e panfrost");
	gfd_charges_free(&ch);

	/* second scan at t = 2 s, elapsed 1 s */
	is_int(gfd_delta(&st, &s2, 2 * SEC, &ch), 0, "delta 2: ok");
	is_u64(ch.n, 6, "delta 2: 6 charges");
	/* /a: client 7 gfx +300000, compute +200000 = 500000 (fork child
	 * 101 gone, client still in 100: no reset); new client 8 (pid 800)
	 * opened since: gfx 250000 from zero. 750000.
	 * mem: 2048 KiB + 2048 KiB = 4194304, plus client 8's 100 B */
	is_charge(&ch, "/a", "0000:03:00.0", 750000, 4194404, "delta 2 /a amdgpu");
	/* /b: render 2000000 -> 1500000 is held (0), video 100 -> 500 = 400 */
	is_charge(&ch, "/b", "0000:00:02.0", 400, 12288, "delta 2 /b i915");
	/* /c: rcs 1 s * (25000-1000)/(98000-50000) = 0.5 s;
	 *     ccs 1 s * 96000/48000 = 2 s, within capacity 4: 2.5 s */
	is_charge(&ch, "/c", "0000:04:00.0", 2500000000ull, 1048576,
		  "delta 2 /c xe");
	/* /d: gpu +3000000000 ns in 1 s on one engine: capped to 1 s */
	is_charge(&ch, "/d", "msm/renderD128", SEC, 65536, "delta 2 /d msm");
	/* /e: its process exited: memory charged back to 0 once */
	is_charge(&ch, "/e", "panfrost", 0, 0, "delta 2 /e gone");
	/* /f: i915 client 7 is not amdgpu client 7 (other pdev); new: 1000 */
	is_charge(&ch, "/f", "0000:00:02.0", 1000, 0, "delta 2 /f new i915");
	is_u64(st.backwards, 1, "delta 2: one backwards reading");
	is_u64(st.capped, 1, "delta 2: one capped increase");
	gfd_charges_free(&ch);

	/* the same tree again at t = 3 s: nothing moved */
	is_int(gfd_delta(&st, &s2, 3 * SEC, &ch), 0, "delta 3: ok");
	is_u64(ch.n, 5, "delta 3: /e is not charged again");
	for (i = 0; i < ch.n; i++)
		if (ch.v[i].busy_ns)
			break;
	is_u64(i, ch.n, "delta 3: no busy time");
	/* render still 1500000 below the held 2000000 */
	is_u64(st.backwards, 2, "delta 3: render still held");
	is_charge(&ch, "/a", "0000:03:00.0", 0, 4194404, "delta 3 /a");
	gfd_charges_free(&ch);

	gfd_sample_free(&s1);
	gfd_sample_free(&s2);
	gfd_state_free(&st);
}

/* A hand-made one-client sample. */
static void one(struct gfd_sample *s, struct gfd_seen *e, char *cg,
		uint64_t id, uint64_t ns)
{
	memset(s, 0, sizeof(*s));
	memset(e, 0, sizeof(*e));
	strcpy(e->key, "card");
	strcpy(e->dev, "card");
	e->client_id = id;
	e->cgroup = cg;
	e->c.nr_eng = 1;
	strcpy(e->c.eng[0].name, "gfx");
	e->c.eng[0].has = GFD_ENG_NS;
	e->c.eng[0].ns = ns;
	e->c.eng[0].capacity = 1;
	s->v = e;
	s->n = 1;
}

static void held_and_reset(void)
{
	struct gfd_state st = { 0 };
	struct gfd_sample s = { 0 };
	struct gfd_seen e;
	struct gfd_charges ch;
	char cg[] = "/x";

	one(&s, &e, cg, 1, 1000);
	gfd_delta(&st, &s, 10 * SEC, &ch);
	gfd_charges_free(&ch);
	/* goes back to 400: held at 1000, nothing charged */
	one(&s, &e, cg, 1, 400);
	gfd_delta(&st, &s, 11 * SEC, &ch);
	is_u64(ch.n == 1 ? ch.v[0].busy_ns : 99, 0, "held: backwards charges 0");
	gfd_charges_free(&ch);
	/* catches up to 1600: only 600 above the held 1000 (not 1200) */
	one(&s, &e, cg, 1, 1600);
	gfd_delta(&st, &s, 12 * SEC, &ch);
	is_u64(ch.n == 1 ? ch.v[0].busy_ns : 99, 600, "held: catches up, 600");
	gfd_charges_free(&ch);
	/* client gone in a scan, then id 1 again: a new client, from zero */
	s.n = 0;
	gfd_delta(&st, &s, 13 * SEC, &ch);
	is_u64(ch.n == 1 ? ch.v[0].mem_bytes : 99, 0, "reset: gone, mem 0");
	gfd_charges_free(&ch);
	one(&s, &e, cg, 1, 700);
	gfd_delta(&st, &s, 14 * SEC, &ch);
	is_u64(ch.n == 1 ? ch.v[0].busy_ns : 99, 700,
	       "reset: back as new, 700 from zero");
	gfd_charges_free(&ch);
	/* a giant jump with no time elapsed: capped to 0, never huge */
	one(&s, &e, cg, 1, 700 + 5 * SEC);
	gfd_delta(&st, &s, 14 * SEC, &ch);
	is_u64(ch.n == 1 ? ch.v[0].busy_ns : 99, 0, "cap: zero elapsed, 0");
	is_u64(st.capped, 1, "cap: counted");
	gfd_charges_free(&ch);
	gfd_state_free(&st);
}

int main(void)
{
	sizes();
	parse_amdgpu();
	parse_i915();
	parse_xe_msm_panfrost();
	parse_bad();
	scan1();
	two_samples();
	held_and_reset();
	return tap_done();
}
