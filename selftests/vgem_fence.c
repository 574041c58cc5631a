// SPDX-License-Identifier: GPL-2.0
/*
 * vgem_fence HOLD_MS [COUNT]: a GPU job without a GPU. Opens the vgem
 * device, makes a dumb buffer, and COUNT times (default 1) attaches a
 * fence to it through vgem's fence ioctls, holds it HOLD_MS milliseconds
 * (0: signal at once) and signals it. Each dma_fence is real: it is
 * created by dma_fence_init() in this task and signalled by
 * dma_fence_signal(), so the BPF collectors see a job of this task's
 * cgroup that lasted the hold.
 *
 * Prints "fences=N held_ns=T" where T is the sum over fences of the time
 * from before the attach ioctl to after the signal ioctl, CLOCK_MONOTONIC
 * (the clock bpf_ktime_get_ns() reads). Exit 0, or 1 with a message.
 *
 * The ioctl layouts are those of the kernel's uapi drm.h, drm_mode.h and
 * vgem_drm.h (stable ABI), declared here because Debian's userspace
 * headers do not carry vgem_drm.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct drm_version_args {
	int major, minor, patch;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct create_dumb_args {
	uint32_t height, width, bpp, flags;
	uint32_t handle, pitch;
	uint64_t size;
};

struct vgem_attach_args {
	uint32_t handle;
	uint32_t flags;		/* bit 0: exclusive (write) fence */
	uint32_t out_fence;
	uint32_t pad;
};

struct vgem_signal_args {
	uint32_t fence;
	uint32_t flags;
};

#define DRM_IOCTL_BASE		'd'
#define DRM_COMMAND_BASE	0x40
#define IOCTL_VERSION		_IOWR(DRM_IOCTL_BASE, 0x00, struct drm_version_args)
#define IOCTL_CREATE_DUMB	_IOWR(DRM_IOCTL_BASE, 0xB2, struct create_dumb_args)
#define IOCTL_VGEM_ATTACH	_IOWR(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 0x1, struct vgem_attach_args)
#define IOCTL_VGEM_SIGNAL	_IOWR(DRM_IOCTL_BASE, DRM_COMMAND_BASE + 0x2, struct vgem_signal_args)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The first /dev/dri/card* whose driver is vgem, open; -1 if none. */
static int open_vgem(void)
{
	struct dirent *de;
	DIR *d = opendir("/dev/dri");
	int fd = -1;

	while (d && (de = readdir(d))) {
		struct drm_version_args v = {};
		char path[300], name[32] = "";

		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (ioctl(fd, IOCTL_VERSION, &v) == 0 && !strcmp(name, "vgem"))
			break;
		close(fd);
		fd = -1;
	}
	if (d)
		closedir(d);
	return fd;
}

int main(int argc, char **argv)
{
	struct create_dumb_args bo = { .height = 1, .width = 1024, .bpp = 32 };
	unsigned long hold_ms, count = 1, i;
	uint64_t held = 0, t0;
	struct timespec hold;
	char *end;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vgem_fence HOLD_MS [COUNT]\n");
		return 2;
	}
	hold_ms = strtoul(argv[1], &end, 10);
	if (*end || hold_ms > 9000) {
		fprintf(stderr, "vgem_fence: HOLD_MS must be 0..9000 (vgem signals by itself after 10 s)\n");
		return 2;
	}
	if (argc == 3) {
		count = strtoul(argv[2], &end, 10);
		if (*end || !count) {
			fprintf(stderr, "vgem_fence: bad COUNT '%s'\n", argv[2]);
			return 2;
		}
	}
	hold.tv_sec = hold_ms / 1000;
	hold.tv_nsec = (hold_ms % 1000) * 1000000;

	fd = open_vgem();
	if (fd < 0) {
		fprintf(stderr, "vgem_fence: no vgem device in /dev/dri (modprobe vgem)\n");
		return 1;
	}
	if (ioctl(fd, IOCTL_CREATE_DUMB, &bo)) {
		fprintf(stderr, "vgem_fence: creating a buffer: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < count; i++) {
		struct vgem_attach_args at = { .handle = bo.handle, .flags = 1 };
		struct vgem_signal_args sig = {};

		t0 = now_ns();
		if (ioctl(fd, IOCTL_VGEM_ATTACH, &at)) {
			fprintf(stderr, "vgem_fence: attaching a fence: %s\n", strerror(errno));
			return 1;
		}
		if (hold_ms)
			nanosleep(&hold, NULL);
		sig.fence = at.out_fence;
		if (ioctl(fd, IOCTL_VGEM_SIGNAL, &sig)) {
			fprintf(stderr, "vgem_fence: signalling fence %u: %s\n", at.out_fence,
				strerror(errno));
			return 1;
		}
		held += now_ns() - t0;
	}
	printf("fences=%lu held_ns=%llu\n", count, (unsigned long long)held);
	close(fd);
	return 0;
}
