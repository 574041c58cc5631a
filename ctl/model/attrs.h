/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGS_MODEL_ATTRS_H
#define CGS_MODEL_ATTRS_H

#include <stdbool.h>
#include <linux/cgshare.h>

/*
 * What uapi/cgshare.yaml says of each attribute, as tables generated from
 * it (attrs.gen.[ch], by tools/gen/spec_tables.py; tools/check-uapi.sh
 * fails when they differ from the spec). Decoding, JSON keys, text
 * columns and Prometheus families all read these; none spells a counter's
 * name itself.
 */

enum cgs_attr_set {
	CGS_SET_NONE,
	CGS_SET_CGROUP,
	CGS_SET_GPU,
	CGS_SET_CHARGE,
	CGS_SET_STATUS,
};

enum cgs_kind {
	CGS_COUNTER,		/* only grows while the cgroup lives */
	CGS_GAUGE,		/* a current level */
};

enum cgs_unit {
	CGS_UNIT_COUNT,
	CGS_UNIT_NS,
	CGS_UNIT_US,
	CGS_UNIT_BYTES,
};

struct cgs_metric {
	int attr;		/* netlink attribute type */
	const char *name;	/* the spec's: "cpu-usage-ns" */
	const char *key;	/* JSON key, base units: "cpu_usage_ns" */
	const char *family;	/* Prometheus: "cgshare_cpu_usage_seconds_total" */
	const char *help;	/* Prometheus HELP */
	enum cgs_kind kind;
	enum cgs_unit unit;
	bool u32;		/* a u32 attribute; else uint or u64 */
	bool max_is_unlimited;	/* UINT64_MAX stands for "max" */
	const char *label;	/* of a labelled family: "event" */
	const char *label_value;	/* "low" */
	const char *col;	/* text column heading, or NULL */
};

#include "model/attrs.gen.h"

#endif
