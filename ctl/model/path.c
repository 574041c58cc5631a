// SPDX-License-Identifier: GPL-2.0
/* Cgroup paths as users type them and as the ledger orders them. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "model/model.h"
#include "util/args.h"

int parse_target(const char *s, struct cgs_target *t, char *buf, size_t len)
{
	size_t n = 0;
	const char *c, *e;

	memset(t, 0, sizeof(*t));
	if (isdigit((unsigned char)*s)) {
		t->by_id = true;
		return parse_u64(s, &t->id);
	}
	if (!*s)
		return -EINVAL;
	for (c = s; *c; c = e) {
		while (*c == '/')
			c++;
		e = strchrnul(c, '/');
		if (e == c)
			break;
		if ((e - c == 1 && c[0] == '.') ||
		    (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return -EINVAL;
		if (n + 1 + (e - c) + 1 > len)
			return -ERANGE;
		buf[n++] = '/';
		memcpy(buf + n, c, e - c);
		n += e - c;
	}
	if (!n) {
		if (len < 2)
			return -ERANGE;
		buf[n++] = '/';
	}
	buf[n] = '\0';
	t->path = buf;
	return 0;
}

/* '/' sorts before every other byte, so a subtree follows its root. */
int cgs_path_cmp(const char *a, const char *b)
{
	unsigned char x, y;

	for (;; a++, b++) {
		while (*a == *b && *a)
			a++, b++;
		x = *a == '/' ? 1 : *a;
		y = *b == '/' ? 1 : *b;
		if (x != y || !x)	/* equal only for '/' against \x01 */
			return x - y;
	}
}
