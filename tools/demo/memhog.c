// SPDX-License-Identifier: GPL-2.0
/*
 * demo-memhog MIB: allocates MIB MiB, writes to every page so that all of
 * it is charged to our cgroup, says so on stdout, and sleeps until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE), mib;
	size_t len, off;
	char *p;

	if (argc != 2 || (mib = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: %s MIB\n", argv[0]);
		return 2;
	}
	len = (size_t)mib << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* Fewer faults, far quicker under emulation; fine if THP is off. */
	madvise(p, len, MADV_HUGEPAGE);
	/* One byte per page is enough to make the kernel back and charge it. */
	for (off = 0; off < len; off += page)
		p[off] = 1;
	printf("demo-memhog: %ld MiB touched\n", mib);
	fflush(stdout);
	for (;;)
		pause();
}
