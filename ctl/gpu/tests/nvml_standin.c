// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in libnvidia-ml.so.1 for the unit tests: exactly the NVML
 * functions gpu_nvml.c calls, with the documented ABI, and values read
 * from the file named by NVML_STANDIN_SCRIPT, re-read on every call so a
 * test rewrites it between collects. One directive a line:
 *
 *   init-fail CODE         nvmlInit_v2 returns CODE
 *   uninit                 device calls return NVML_ERROR_UNINITIALIZED
 *   nofilter               samples ignore lastSeenTimeStamp (bad clock)
 *   dev BUSID              a device (index = order of dev lines)
 *   proc DEV PID MEM       a running compute process and its used memory
 *   sample DEV PID TS SM   a utilisation sample (TS in microseconds)
 *
 * Built with -DSTANDIN_NO_PROCUTIL it lacks nvmlDeviceGetProcessUtilization
 * (an old driver: a missing symbol).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OK 0
#define E_UNINIT 1
#define E_INVAL 2
#define E_NOT_FOUND 6
#define E_SIZE 7

#define MAXDEV 8
#define MAXENT 64

typedef struct {
	char busIdLegacy[16];
	unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
	char busId[32];
} pci_t;

typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
} proc_t;

typedef struct {
	unsigned int pid;
	unsigned long long timeStamp;
	unsigned int smUtil, memUtil, encUtil, decUtil;
} sample_t;

static struct {
	int init_fail, uninit, nofilter;
	unsigned int ndev, nproc, nsample;
	char bus[MAXDEV][32];
	struct { unsigned int dev, pid; unsigned long long mem; } p[MAXENT];
	struct {
		unsigned int dev, pid, sm;
		unsigned long long ts;
	} s[MAXENT];
} sc;

static int inited;
static int handles[MAXDEV];

static void load(void)
{
	const char *path = getenv("NVML_STANDIN_SCRIPT");
	char line[256], a[32];
	unsigned int d, pid, sm;
	unsigned long long v;
	FILE *f;

	memset(&sc, 0, sizeof(sc));
	if (!path || !(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "init-fail %d", &sc.init_fail) == 1)
			continue;
		if (!strncmp(line, "uninit", 6))
			sc.uninit = 1;
		else if (!strncmp(line, "nofilter", 8))
			sc.nofilter = 1;
		else if (sscanf(line, "dev %31s", a) == 1 && sc.ndev < MAXDEV)
			memcpy(sc.bus[sc.ndev++], a, 32);
		else if (sscanf(line, "proc %u %u %llu", &d, &pid, &v) == 3 &&
			 sc.nproc < MAXENT) {
			sc.p[sc.nproc].dev = d;
			sc.p[sc.nproc].pid = pid;
			sc.p[sc.nproc++].mem = v;
		} else if (sscanf(line, "sample %u %u %llu %u", &d, &pid, &v,
				  &sm) == 4 && sc.nsample < MAXENT) {
			sc.s[sc.nsample].dev = d;
			sc.s[sc.nsample].pid = pid;
			sc.s[sc.nsample].ts = v;
			sc.s[sc.nsample++].sm = sm;
		}
	}
	fclose(f);
}

/* Device index of a handle, or -1; loads the script. */
static int dev_of(void *h)
{
	load();
	if (!inited || sc.uninit)
		return -E_UNINIT;
	for (unsigned int i = 0; i < sc.ndev; i++)
		if (h == &handles[i])
			return (int)i;
	return -E_INVAL;
}

int nvmlInit_v2(void)
{
	load();
	if (sc.init_fail)
		return sc.init_fail;
	inited = 1;
	return OK;
}

int nvmlShutdown(void)
{
	if (!inited)
		return E_UNINIT;
	inited = 0;
	return OK;
}

const char *nvmlErrorString(int r)
{
	switch (r) {
	case OK: return "Success";
	case E_UNINIT: return "Uninitialized";
	case E_INVAL: return "Invalid Argument";
	case E_NOT_FOUND: return "Not Found";
	case E_SIZE: return "Insufficient Size";
	default: return "Unknown Error";
	}
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
	load();
	if (!inited || sc.uninit)
		return E_UNINIT;
	*n = sc.ndev;
	return OK;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h)
{
	load();
	if (!inited || sc.uninit)
		return E_UNINIT;
	if (i >= sc.ndev)
		return E_INVAL;
	*h = &handles[i];
	return OK;
}

int nvmlDeviceGetPciInfo_v3(void *h, pci_t *pci)
{
	int d = dev_of(h);

	if (d < 0)
		return -d;
	memset(pci, 0, sizeof(*pci));
	snprintf(pci->busId, sizeof(pci->busId), "%s", sc.bus[d]);
	return OK;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned int *cnt,
					    proc_t *out)
{
	int d = dev_of(h);
	unsigned int i, n = 0;

	if (d < 0)
		return -d;
	for (i = 0; i < sc.nproc; i++)
		n += sc.p[i].dev == (unsigned int)d;
	if (*cnt < n || (!out && n)) {
		*cnt = n;
		return E_SIZE;
	}
	n = 0;
	for (i = 0; i < sc.nproc; i++) {
		if (sc.p[i].dev != (unsigned int)d)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].pid = sc.p[i].pid;
		out[n++].usedGpuMemory = sc.p[i].mem;
	}
	*cnt = n;
	return OK;
}

#ifndef STANDIN_NO_PROCUTIL
int nvmlDeviceGetProcessUtilization(void *h, sample_t *out,
				    unsigned int *cnt,
				    unsigned long long last)
{
	int d = dev_of(h);
	unsigned int i, n = 0;

	if (d < 0)
		return -d;
	for (i = 0; i < sc.nsample; i++)
		n += sc.s[i].dev == (unsigned int)d &&
		     (sc.nofilter || sc.s[i].ts > last);
	if (!n)
		return E_NOT_FOUND;
	if (!out || *cnt < n) {
		*cnt = n;
		return E_SIZE;
	}
	n = 0;
	for (i = 0; i < sc.nsample; i++) {
		if (sc.s[i].dev != (unsigned int)d ||
		    !(sc.nofilter || sc.s[i].ts > last))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].pid = sc.s[i].pid;
		out[n].timeStamp = sc.s[i].ts;
		out[n++].smUtil = sc.s[i].sm;
	}
	*cnt = n;
	return OK;
}
#endif
