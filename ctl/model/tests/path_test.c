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

int main(void)
{
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
