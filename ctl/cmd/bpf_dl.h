/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libbpf, opened with dlopen(3) by the commands that load or inspect BPF
 * programs (bpf, gpu enable|disable|status) rather than linked: linked,
 * libbpf.so.1 and with it libelf and zlib are loaded and bound at every
 * start of every command, some 1.1 M instructions (exec of a program
 * that links libnl and libm against one that also links libbpf, 200 runs
 * each under QEMU's icount), which stats, top, plan and export --once
 * paid for nothing. The read path needs three bpf(2) calls and makes
 * them itself (ledger/iter.c).
 *
 * Include this after libbpf's headers and before a skeleton: each
 * function of the list is then called through a pointer of the type
 * libbpf declares for it. The list and the defines below name the same
 * functions; a function missing from the list does not compile, one
 * missing from the defines does not link (libbpf is not linked).
 */
#ifndef CGSHARECTL_BPF_DL_H
#define CGSHARECTL_BPF_DL_H

#include <stdbool.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define CGS_LIBBPF_FUNCS(X)			\
	X(bpf_link__destroy)			\
	X(bpf_link__disconnect)			\
	X(bpf_link__pin)			\
	X(bpf_map__fd)				\
	X(bpf_map__pin)				\
	X(bpf_map__set_max_entries)		\
	X(bpf_map_lookup_elem)			\
	X(bpf_map_update_elem)			\
	X(bpf_obj_get)				\
	X(bpf_obj_get_info_by_fd)		\
	X(bpf_object__destroy_skeleton)		\
	X(bpf_object__find_program_by_name)	\
	X(bpf_object__load_skeleton)		\
	X(bpf_object__next_program)		\
	X(bpf_object__open_skeleton)		\
	X(bpf_prog_get_fd_by_id)		\
	X(bpf_program__attach)			\
	X(bpf_program__attach_iter)		\
	X(bpf_program__autoload)		\
	X(bpf_program__fd)			\
	X(bpf_program__name)			\
	X(bpf_program__section_name)		\
	X(bpf_program__set_autoload)		\
	X(btf__find_by_name_kind)		\
	X(btf__free)				\
	X(btf__load_module_btf)			\
	X(btf__load_vmlinux_btf)		\
	X(libbpf_num_possible_cpus)		\
	X(libbpf_set_print)

#define CGS_LIBBPF_PTR(f) extern __typeof__(f) *cgs_dl_##f;
CGS_LIBBPF_FUNCS(CGS_LIBBPF_PTR)
#undef CGS_LIBBPF_PTR

/*
 * Opens libbpf.so.1 and finds each function, once; false, said as WHO
 * ("cgsharectl: WHO: ..."), when it cannot.
 */
bool bpf_lib_open(const char *who);

#ifndef CGS_BPF_DL_IMPL
#define bpf_link__destroy		(*cgs_dl_bpf_link__destroy)
#define bpf_link__disconnect		(*cgs_dl_bpf_link__disconnect)
#define bpf_link__pin			(*cgs_dl_bpf_link__pin)
#define bpf_map__fd			(*cgs_dl_bpf_map__fd)
#define bpf_map__pin			(*cgs_dl_bpf_map__pin)
#define bpf_map__set_max_entries	(*cgs_dl_bpf_map__set_max_entries)
#define bpf_map_lookup_elem		(*cgs_dl_bpf_map_lookup_elem)
#define bpf_map_update_elem		(*cgs_dl_bpf_map_update_elem)
#define bpf_obj_get			(*cgs_dl_bpf_obj_get)
#define bpf_obj_get_info_by_fd		(*cgs_dl_bpf_obj_get_info_by_fd)
#define bpf_object__destroy_skeleton	(*cgs_dl_bpf_object__destroy_skeleton)
#define bpf_object__find_program_by_name (*cgs_dl_bpf_object__find_program_by_name)
#define bpf_object__load_skeleton	(*cgs_dl_bpf_object__load_skeleton)
#define bpf_object__next_program	(*cgs_dl_bpf_object__next_program)
#define bpf_object__open_skeleton	(*cgs_dl_bpf_object__open_skeleton)
#define bpf_prog_get_fd_by_id		(*cgs_dl_bpf_prog_get_fd_by_id)
#define bpf_program__attach		(*cgs_dl_bpf_program__attach)
#define bpf_program__attach_iter	(*cgs_dl_bpf_program__attach_iter)
#define bpf_program__autoload		(*cgs_dl_bpf_program__autoload)
#define bpf_program__fd			(*cgs_dl_bpf_program__fd)
#define bpf_program__name		(*cgs_dl_bpf_program__name)
#define bpf_program__section_name	(*cgs_dl_bpf_program__section_name)
#define bpf_program__set_autoload	(*cgs_dl_bpf_program__set_autoload)
#define btf__find_by_name_kind		(*cgs_dl_btf__find_by_name_kind)
#define btf__free			(*cgs_dl_btf__free)
#define btf__load_module_btf		(*cgs_dl_btf__load_module_btf)
#define btf__load_vmlinux_btf		(*cgs_dl_btf__load_vmlinux_btf)
#define libbpf_num_possible_cpus	(*cgs_dl_libbpf_num_possible_cpus)
#define libbpf_set_print		(*cgs_dl_libbpf_set_print)
#endif

#endif
