// SPDX-License-Identifier: GPL-2.0
#include <dlfcn.h>
#include <stdio.h>

#define CGS_BPF_DL_IMPL
#include "cmd/bpf_dl.h"

#define CGS_LIBBPF_DEF(f) __typeof__(f) *cgs_dl_##f;
CGS_LIBBPF_FUNCS(CGS_LIBBPF_DEF)
#undef CGS_LIBBPF_DEF

#define STR_(x) #x
#define STR(x) STR_(x)
/* the soname of the libbpf built against: libbpf.so.1 */
#define LIBBPF_SONAME "libbpf.so." STR(LIBBPF_MAJOR_VERSION)

bool bpf_lib_open(const char *who)
{
	static void *lib;
	void *h;

	if (lib)
		return true;
	h = dlopen(LIBBPF_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "cgsharectl: %s: %s (the BPF commands need "
			"libbpf %d.x: Debian's libbpf1)\n", who, dlerror(),
			LIBBPF_MAJOR_VERSION);
		return false;
	}
#define CGS_LIBBPF_SYM(f)						\
	cgs_dl_##f = (__typeof__(f) *)dlsym(h, #f);			\
	if (!cgs_dl_##f) {						\
		fprintf(stderr, "cgsharectl: %s: %s has no %s (libbpf "	\
			"too old?)\n", who, LIBBPF_SONAME, #f);		\
		dlclose(h);						\
		return false;						\
	}
	CGS_LIBBPF_FUNCS(CGS_LIBBPF_SYM)
#undef CGS_LIBBPF_SYM
	lib = h;
	return true;
}
