/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cAdvisor-style collector in C, the baseline of the whole-path
 * benchmark: it walks the cgroup2 tree and, for every cgroup, reads and
 * parses the files whose values cgsharectl's sample carries (cpu.stat,
 * cpu.max, cpu.weight, cpu.pressure, memory.current, memory.stat,
 * memory.high, memory.max, memory.pressure, io.pressure), each by its
 * full path, open, read to EOF, close, as cAdvisor's cgroup handlers do;
 * then renders them as Prometheus text.
 */
#ifndef CGSHARE_BENCH_CADVISOR_H
#define CGSHARE_BENCH_CADVISOR_H

#include <stddef.h>
#include <stdint.h>

struct cadv;

struct cadv *cadv_new(const char *mount);
/* Walks the tree and reads every cgroup; the number of cgroups. */
int cadv_collect(struct cadv *c);
/* Prometheus text of the last collection into @fd; bytes written. */
size_t cadv_render(struct cadv *c, int fd);
void cadv_free(struct cadv *c);

#endif
