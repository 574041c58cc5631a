// SPDX-License-Identifier: GPL-2.0
/* Pods and containers from cgroup paths: each layout, and look-alikes. */
#include <string.h>

#include "model/k8s.h"
#include "tests/tap.h"

#define UID "7f3e5a52-1c0d-4b6f-9a33-0d2c6e8b1f44"
#define UID_ "7f3e5a52_1c0d_4b6f_9a33_0d2c6e8b1f44"
#define CID "4c1b1a0f9d2e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"

static void want(const char *path, bool kubelet, const char *qos,
		 const char *pod, const char *cid, const char *runtime)
{
	struct cgs_k8s k;
	bool any = cgs_k8s_parse(path, &k);
	const char *q = cgs_qos_name(k.qos);
	bool same = any == (kubelet || cid || runtime) &&
		    k.kubelet == kubelet &&
		    !strcmp(q ? q : "", qos ? qos : "") &&
		    !strcmp(k.pod_uid, pod ? pod : "") &&
		    !strcmp(k.container_id, cid ? cid : "") &&
		    !strcmp(k.runtime ? k.runtime : "", runtime ? runtime : "");

	ok(same, "%s", path);
	if (!same)
		printf("#   got kubelet %d qos %s pod '%s' id '%s' runtime %s\n",
		       k.kubelet, q ? q : "-", k.pod_uid, k.container_id,
		       k.runtime ? k.runtime : "-");
}

int main(void)
{
	/* the systemd driver */
	want("/kubepods.slice", true, NULL, NULL, NULL, NULL);
	want("/kubepods.slice/kubepods-burstable.slice", true, "burstable",
	     NULL, NULL, NULL);
	want("/kubepods.slice/kubepods-burstable.slice/"
	     "kubepods-burstable-pod" UID_ ".slice", true, "burstable", UID,
	     NULL, NULL);
	want("/kubepods.slice/kubepods-burstable.slice/"
	     "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" CID ".scope",
	     true, "burstable", UID, CID, "containerd");
	want("/kubepods.slice/kubepods-besteffort.slice/"
	     "kubepods-besteffort-pod" UID_ ".slice/crio-" CID ".scope",
	     true, "besteffort", UID, CID, "crio");
	want("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" CID ".scope",
	     true, "guaranteed", UID, CID, "docker");
	want("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" CID ".scope/"
	     "inner", true, "guaranteed", UID, CID, "docker");
	want("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" CID
	     ".scope", true, "guaranteed", UID, NULL, NULL);
	/* a cgroup root: the slice names carry the parents' names */
	want("/kubelet.slice/kubelet-kubepods.slice/"
	     "kubelet-kubepods-burstable.slice/"
	     "kubelet-kubepods-burstable-pod" UID_ ".slice/"
	     "cri-containerd-" CID ".scope", true, "burstable", UID, CID,
	     "containerd");
	/* the cgroupfs driver */
	want("/kubepods", true, NULL, NULL, NULL, NULL);
	want("/kubepods/besteffort/pod" UID "/" CID, true, "besteffort", UID,
	     CID, NULL);
	want("/kubepods/burstable/pod" UID, true, "burstable", UID, NULL, NULL);
	want("/kubepods/pod" UID "/" CID, true, "guaranteed", UID, CID, NULL);
	/* podman */
	want("/machine.slice/libpod-" CID ".scope", false, NULL, NULL, CID,
	     "podman");
	want("/machine.slice/libpod-" CID ".scope/container", false, NULL, NULL,
	     CID, "podman");
	/* look-alikes get nothing they do not prove */
	want("/", false, NULL, NULL, NULL, NULL);
	want("/system.slice/sshd.service", false, NULL, NULL, NULL, NULL);
	want("/kubepods.slice/kubepods-burstable.slice/"
	     "kubepods-burstable-pod" UID ".slice", true, "burstable", NULL,
	     NULL, NULL);			/* dashes: not the systemd form */
	want("/kubepods.slice/kubepods-pod7f3e5a52.slice", true, NULL, NULL,
	     NULL, NULL);			/* a short UID */
	want("/kubepods/pod" UID "/abc", true, "guaranteed", UID, NULL, NULL);
	want("/kubepods/other", true, NULL, NULL, NULL, NULL);
	want("/machine.slice/libpod-" CID "0.scope", false, NULL, NULL, NULL,
	     NULL);				/* 65 hex digits */
	want("/machine.slice/libpod-" "4C1B1A0F9D2E8A7B6C5D4E3F2A1B0C9D8E7F6A5B4C"
	     "3D2E1F0A9B8C7D6E5F4A3B.scope", false, NULL, NULL, NULL, NULL);
	want("/mykubepods.slice/mykubepods-burstable.slice", false, NULL, NULL,
	     NULL, NULL);
	return tap_done();
}
