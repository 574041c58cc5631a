#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Tables that userspace derives from uapi/cgshare.yaml.

    spec_tables.py SPEC c-header|c-source|man|readme

The spec is the one place where a counter's name, kind, unit and help text
are written.  The YNL schema allows no keys of our own, so the metric facts
ride on the last line of an attribute's doc, in brackets:

    [counter, ns]                 cumulative, nanoseconds
    [gauge, bytes, max]           a level; U64_MAX stands for "max"
    [counter, label event=low]    one sample of a labelled family
    [gauge, col MEM]              also a column of the text tables

Everything else is derived, by rules stated once, here:

* JSON key: the attribute name with '_' for '-', plus "_bytes" for a byte
  value whose name does not end in "bytes" ("mem-current" ->
  "mem_current_bytes").
* Prometheus family: "cgshare_" + the set's prefix + the name with a
  leading "mem" spelled "memory", its unit word ("ns", "us", "bytes")
  dropped, the label value dropped, then "_seconds" for time, "_bytes" for
  bytes, and "_total" for counters ("cpu-usage-ns" ->
  "cgshare_cpu_usage_seconds_total").
* HELP: the doc's prose.  A labelled family takes its first sentence,
  which its members must share.

Output goes to stdout.
"""
import re
import sys

import yaml

# Attribute sets whose tagged attributes are metrics: C prefix of their
# enum, Prometheus prefix, and the label their nests add (none here).
SETS = {
    "cgroup": ("CGS_", "", None),
    "gpu": ("CGS_GPU_", "gpu_", "dev"),
    "status": ("CGS_MOD_", "module_", None),
}
KINDS = ("counter", "gauge")
UNITS = {"ns": "CGS_UNIT_NS", "us": "CGS_UNIT_US", "bytes": "CGS_UNIT_BYTES"}
TAG_RE = re.compile(r"\[([^\]]*)\]\s*$")


class SpecError(Exception):
    pass


class Metric:
    def __init__(self, aset, attr):
        self.set = aset
        self.name = attr["name"]
        self.type = attr["type"]
        doc = attr.get("doc", "").strip()
        m = TAG_RE.search(doc)
        if not m:
            raise SpecError(f"{aset}/{self.name}: no [kind, ...] tag")
        self.prose = " ".join(doc[: m.start()].split())
        self.kind = None
        self.unit = None
        self.max = False
        self.label = None
        self.col = None
        for item in (s.strip() for s in m.group(1).split(",")):
            if item in KINDS and not self.kind:
                self.kind = item
            elif item in UNITS and not self.unit:
                self.unit = item
            elif item == "max":
                self.max = True
            elif item.startswith("label ") and "=" in item:
                self.label = tuple(item[6:].split("=", 1))
            elif item.startswith("col "):
                self.col = item[4:]
            else:
                raise SpecError(f"{aset}/{self.name}: bad tag item '{item}'")
        if not self.kind:
            raise SpecError(f"{aset}/{self.name}: tag names no kind")
        if self.type not in ("uint", "u64", "u32"):
            raise SpecError(f"{aset}/{self.name}: a metric must be uint, u64 or u32")
        if not self.prose:
            raise SpecError(f"{aset}/{self.name}: no doc before the tag")

    @property
    def words(self):
        return self.name.split("-")

    @property
    def enum(self):
        return SETS[self.set][0] + "_".join(self.words).upper()

    @property
    def key(self):
        key = "_".join(self.words)
        if self.unit == "bytes" and self.words[-1] != "bytes":
            key += "_bytes"
        return key

    @property
    def family(self):
        words = list(self.words)
        if words[0] == "mem":
            words[0] = "memory"
        if words[-1] in UNITS:
            words.pop()
        if self.label:
            value = re.split(r"[-_]", self.label[1])
            if words[-len(value):] != value:
                raise SpecError(f"{self.name}: does not end in its label value")
            words = words[: -len(value)]
        name = "cgshare_" + SETS[self.set][1] + "_".join(words)
        if self.unit in ("ns", "us"):
            name += "_seconds"
        elif self.unit == "bytes":
            name += "_bytes"
        if self.kind == "counter":
            name += "_total"
        return name

    @property
    def help(self):
        if not self.label:
            return self.prose
        first = re.match(r"(.*?\.)(\s|$)", self.prose)
        return first.group(1) if first else self.prose


def load(path):
    with open(path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    sets = {s["name"]: s for s in spec["attribute-sets"]}
    metrics = {}
    for aset in SETS:
        metrics[aset] = [
            Metric(aset, a)
            for a in sets[aset]["attributes"]
            if TAG_RE.search(a.get("doc", "").strip())
        ]
    families = {}
    for aset, ms in metrics.items():
        for m in ms:
            f = families.setdefault(m.family, m)
            if f is not m and (f.help != m.help or f.kind != m.kind or f.unit != m.unit):
                raise SpecError(
                    f"{m.name}: family {m.family} is shared with {f.name}, "
                    "but kind, unit or first sentence differ")
            if f is not m and not (f.label and m.label and f.label[0] == m.label[0]):
                raise SpecError(f"{m.name}: family {m.family} is not labelled alike")
    return spec, sets, metrics


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attr_enum(family, aset, name):
    return f"{family.upper()}_A_{aset.upper()}_{name.upper()}".replace("-", "_")


HEAD = ("/* SPDX-License-Identifier: GPL-2.0 */\n"
        "/* Generated by tools/gen/spec_tables.py from uapi/cgshare.yaml:"
        " do not edit. */\n")


def c_header(spec, sets, metrics):
    out = [HEAD, "#ifndef CGS_MODEL_ATTRS_GEN_H", "#define CGS_MODEL_ATTRS_GEN_H", ""]
    counts = {"cgroup": "CGS_NR_CTR", "gpu": "CGS_NR_GPU_CTR", "status": "CGS_NR_STATUS_CTR"}
    tables = {"cgroup": "cgs_ctr_info", "gpu": "cgs_gpu_ctr_info", "status": "cgs_status_ctr_info"}
    names = {"cgroup": "cgs_ctr", "gpu": "cgs_gpu_ctr", "status": "cgs_status_ctr"}
    for aset in SETS:
        out.append(f"enum {names[aset]} {{")
        out += [f"\t{m.enum}," for m in metrics[aset]]
        out.append(f"\t{counts[aset]}")
        out.append("};")
        out.append("")
    for aset in SETS:
        out.append(f"extern const struct cgs_metric {tables[aset]}[{counts[aset]}];")
    out.append("")
    out.append("/* Spec name of attribute @type of @set, or NULL. */")
    out.append("const char *cgs_spec_attr_name(enum cgs_attr_set set, int type);")
    out.append("/* The attribute set command @cmd carries. */")
    out.append("enum cgs_attr_set cgs_spec_cmd_set(int cmd);")
    out.append("")
    out.append("#endif")
    return "\n".join(out) + "\n"


def c_source(spec, sets, metrics):
    fam = spec["name"]
    out = [HEAD.replace("/* SPDX-License-Identifier: GPL-2.0 */",
                        "// SPDX-License-Identifier: GPL-2.0"),
           "#include <stddef.h>", "", '#include "model/attrs.h"', ""]
    tables = {"cgroup": ("cgs_ctr_info", "CGS_NR_CTR"),
              "gpu": ("cgs_gpu_ctr_info", "CGS_NR_GPU_CTR"),
              "status": ("cgs_status_ctr_info", "CGS_NR_STATUS_CTR")}
    for aset in SETS:
        name, count = tables[aset]
        out.append(f"const struct cgs_metric {name}[{count}] = {{")
        for m in metrics[aset]:
            out.append(f"\t[{m.enum}] = {{")
            out.append(f"\t\t.attr = {attr_enum(fam, aset, m.name)},")
            out.append(f"\t\t.name = {c_str(m.name)},")
            out.append(f"\t\t.key = {c_str(m.key)},")
            out.append(f"\t\t.family = {c_str(m.family)},")
            out.append(f"\t\t.help = {c_str(m.help)},")
            out.append(f"\t\t.kind = CGS_{m.kind.upper()},")
            out.append(f"\t\t.unit = {UNITS.get(m.unit, 'CGS_UNIT_COUNT')},")
            if m.type == "u32":
                out.append("\t\t.u32 = true,")
            if m.max:
                out.append("\t\t.max_is_unlimited = true,")
            if m.label:
                out.append(f"\t\t.label = {c_str(m.label[0])},")
                out.append(f"\t\t.label_value = {c_str(m.label[1])},")
            if m.col:
                out.append(f"\t\t.col = {c_str(m.col)},")
            out.append("\t},")
        out.append("};")
        out.append("")
    for aset, s in sets.items():
        out.append(f"static const char *const {aset.replace('-', '_')}_names[] = {{")
        for a in s["attributes"]:
            out.append(f"\t[{attr_enum(fam, aset, a['name'])}] = {c_str(a['name'])},")
        out.append("};")
        out.append("")
    out.append("#define NAME(tbl, t) \\")
    out.append("\t((t) >= 0 && (size_t)(t) < sizeof(tbl) / sizeof(tbl[0]) ? tbl[t] : NULL)")
    out.append("")
    out.append("const char *cgs_spec_attr_name(enum cgs_attr_set set, int type)")
    out.append("{")
    out.append("\tswitch (set) {")
    for aset in sets:
        out.append(f"\tcase CGS_SET_{aset.upper().replace('-', '_')}:")
        out.append(f"\t\treturn NAME({aset.replace('-', '_')}_names, type);")
    out.append("\tcase CGS_SET_NONE:")
    out.append("\t\tbreak;")
    out.append("\t}")
    out.append("\treturn NULL;")
    out.append("}")
    out.append("")
    out.append("enum cgs_attr_set cgs_spec_cmd_set(int cmd)")
    out.append("{")
    out.append("\tswitch (cmd) {")
    for op in spec["operations"]["list"]:
        cmd = f"{fam.upper()}_CMD_{op['name'].upper().replace('-', '_')}"
        out.append(f"\tcase {cmd}:")
        out.append(f"\t\treturn CGS_SET_{op['attribute-set'].upper().replace('-', '_')};")
    out.append("\t}")
    out.append("\treturn CGS_SET_NONE;")
    out.append("}")
    return "\n".join(out) + "\n"


UNIT_WORDS = {"ns": "nanoseconds", "us": "microseconds", "bytes": "bytes", None: "count"}


def man(spec, sets, metrics):
    out = ['.\\" Generated by tools/gen/spec_tables.py from uapi/cgshare.yaml']
    for aset, title in (("cgroup", "per cgroup"), ("gpu", "per cgroup and device (label dev)"),
                        ("status", "of the module")):
        if not metrics[aset]:
            continue
        out.append(f".SS Counters {title}")
        for m in metrics[aset]:
            out.append(".TP")
            fam = m.family + (f'{{{m.label[0]}="{m.label[1]}"}}' if m.label else "")
            out.append(f".BR {m.name} \" (JSON \" {m.key} \", Prometheus \" {fam} )")
            text = m.prose.replace("\\", "\\\\")
            out.append(f"{m.kind}, {UNIT_WORDS[m.unit]}"
                       f"{'; U64_MAX means max' if m.max else ''}: {text}")
    return "\n".join(out) + "\n"


def readme(spec, sets, metrics):
    out = ["<!-- generated by tools/gen/spec_tables.py from uapi/cgshare.yaml -->",
           "",
           "| attribute | kind, unit | JSON key | Prometheus family | meaning |",
           "|---|---|---|---|---|"]
    for aset in SETS:
        for m in metrics[aset]:
            where = "" if aset == "cgroup" else f"{aset}: "
            fam = m.family + (f'{{{m.label[0]}="{m.label[1]}"}}' if m.label else "")
            if SETS[aset][2]:
                fam += f"{{{SETS[aset][2]}}}" if not m.label else ""
            out.append(f"| {where}`{m.name}` | {m.kind}, {UNIT_WORDS[m.unit]}"
                       f"{' (max: U64_MAX)' if m.max else ''} | `{m.key}` | `{fam}` | {m.prose} |")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("c-header", "c-source", "man", "readme"):
        sys.stderr.write(__doc__)
        return 2
    try:
        spec, sets, metrics = load(sys.argv[1])
        sys.stdout.write(globals()[sys.argv[2].replace("-", "_")](spec, sets, metrics))
    except SpecError as e:
        sys.stderr.write(f"spec_tables.py: {sys.argv[1]}: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
