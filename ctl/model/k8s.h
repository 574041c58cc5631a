/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_MODEL_K8S_H
#define CGS_MODEL_K8S_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Who made a cgroup, read from its path alone (no API server): the
 * kubelet's pod and container cgroups, with the systemd and the cgroupfs
 * cgroup drivers, under containerd, CRI-O and docker; and podman's
 * containers. A path of any other layout gets no labels, never wrong ones.
 *
 *   systemd:  .../kubepods.slice/kubepods-burstable.slice/
 *             kubepods-burstable-pod<UID_>.slice/cri-containerd-<ID>.scope
 *             (Guaranteed pods sit directly in kubepods.slice; the UID's
 *             dashes are underscores in the unit name)
 *   cgroupfs: .../kubepods/besteffort/pod<UID>/<ID>
 *   podman:   .../machine.slice/libpod-<ID>.scope (and docker's
 *             docker-<ID>.scope outside the kubelet)
 *
 * Labels hold for the cgroups below the one that gave them, too.
 */

#define CGS_POD_UID_LEN 36		/* 8-4-4-4-12 */
#define CGS_CONTAINER_ID_LEN 64		/* hex */

enum cgs_qos {
	CGS_QOS_NONE,			/* not a kubelet cgroup */
	CGS_QOS_GUARANTEED,
	CGS_QOS_BURSTABLE,
	CGS_QOS_BESTEFFORT,
};

struct cgs_k8s {
	bool kubelet;			/* below the kubelet's kubepods */
	enum cgs_qos qos;		/* NONE on kubepods itself */
	char pod_uid[CGS_POD_UID_LEN + 1];		/* "" above a pod */
	char container_id[CGS_CONTAINER_ID_LEN + 1];	/* "" above one */
	const char *runtime;		/* "containerd", "crio", "docker",
					 * "podman"; NULL without a container */
};

/* Fills @k from @path ("/a/b"); false (and @k empty) for other layouts. */
bool cgs_k8s_parse(const char *path, struct cgs_k8s *k);
/* "guaranteed", "burstable", "besteffort"; NULL for none. */
const char *cgs_qos_name(enum cgs_qos q);

#endif
