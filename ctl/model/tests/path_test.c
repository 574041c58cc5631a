// SPDX-License-Identifier: GPL-2.0
/* Cgroup arguments: ids, paths and their normal form. */
#include <errno.h>

#include "model/model.h"
#include "tests/tap.h"

static void target(const char *s, int want_ret, const char *path, uint64_t id)
{
	struct cgs_target t;
	char buf[64], name[96];
	int ret = parse_target(s, &t, buf, sizeof(buf));

	snprintf(name, sizeof(name), "target '%s' returns %d", s, want_ret);
	is_int(ret, want_ret, name);
	if (want_ret)
		return;
	snprintf(name, sizeof(name), "target '%s'", s);
	if (path) {
		ok(!t.by_id, "%s is a path", name);
		is_str(t.path, path, name);
	} else {
		ok(t.by_id, "%s is an id", name);
		is_u64(t.id, id, name);
	}
}

/* The order by definition: byte by byte, '/' taken as 1. */
static int by_definition(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = *a == '/' ? 1 : *a;
		unsigned char y = *b == '/' ? 1 : *b;

		if (x != y || !x)
			return x - y;
	}
}

/* cgs_path_cmp against the definition on every pair of short strings. */
static void path_order(void)
{
	static const char alpha[] = { '/', 'a', '-', '\x01', '\xff' };
	char s[781][5];
	int n = 0, bad = 0;

	/* every string of up to four bytes of alpha: 1 + 5 + ... + 625 */
	for (int len = 0; len <= 4; len++) {
		int count = 1;

		for (int i = 0; i < len; i++)
			count *= 5;
		for (int k = 0; k < count; k++, n++) {
			for (int i = 0, v = k; i < len; i++, v /= 5)
				s[n][i] = alpha[v % 5];
			s[n][len] = '\0';
		}
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			int got = cgs_path_cmp(s[i], s[j]);
			int want = by_definition(s[i], s[j]);

			bad += (got > 0) != (want > 0) || (got < 0) != (want < 0);
		}
	ok(n == 781 && !bad, "cgs_path_cmp orders %d strings as its definition "
	   "(%d pairs differ)", n, bad);
	ok(cgs_path_cmp("/a/b", "/a-b") < 0 && cgs_path_cmp("/a", "/a/b") < 0,
	   "a subtree follows its root, before its root's siblings");
}

int main(void)
{
	path_order();
	struct cgs_target t;
	char tiny[4];

	target("/", 0, "/", 0);
	target("/a/b", 0, "/a/b", 0);
	target("a/b", 0, "/a/b", 0);
	target("//a//b/", 0, "/a/b", 0);
	target("///", 0, "/", 0);
	target("/a/..b/c.", 0, "/a/..b/c.", 0);
	target("/svc/1", 0, "/svc/1", 0);
	target("1234", 0, NULL, 1234);
	target("18446744073709551615", 0, NULL, UINT64_MAX);
	target("18446744073709551616", -ERANGE, NULL, 0);
	target("12ab", -EINVAL, NULL, 0);
	target("", -EINVAL, NULL, 0);
	target("/a/./b", -EINVAL, NULL, 0);
	target("/a/../b", -EINVAL, NULL, 0);
	target("..", -EINVAL, NULL, 0);
	is_int(parse_target("/abcdef", &t, tiny, sizeof(tiny)), -ERANGE,
	       "path longer than the buffer");
	is_int(parse_target("/abc", &t, tiny, sizeof(tiny)), -ERANGE,
	       "path that needs the last byte for its NUL");
	is_int(parse_target("/ab", &t, tiny, sizeof(tiny)), 0,
	       "path that just fits");


	return tap_done();
}
