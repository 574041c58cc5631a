#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""k8s_walk.py MANIFEST...: a strict walk of Kubernetes manifests.

Each document's fields are walked against the typed models of the
Kubernetes API in Debian's python3-kubernetes (attribute_map: the JSON
names; openapi_types: each field's type). An unknown key, a value of the
wrong type and a missing required field are errors; the client's own
deserialiser would drop unknown keys silently, so it is not used. A field
is required when the model's setter refuses None under client-side
validation; each scalar also goes through its setter, so whatever else
the model checks is checked too. Fields typed 'object' are IntOrString
in every kind walked here: a string or an integer.

Prints one line per document, "ok FILE#N KIND NAME" or "error FILE#N:
PATH: what"; exit status 1 when anything is wrong.
"""

import datetime
import re
import sys

import yaml
from kubernetes import client
from kubernetes.client import models

LIST = re.compile(r"^list\[(.+)\]$")
DICT = re.compile(r"^dict\(str, (.+)\)$")
SCALARS = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "datetime": (str, datetime.datetime),
    "date": (str, datetime.date),
    "object": (str, int),
}
CONF = client.Configuration()
CONF.client_side_validation = True


def model_for(api_version, kind):
    """The model class of apiVersion/kind: apps/v1 DaemonSet -> V1DaemonSet."""
    version = api_version.rsplit("/", 1)[-1]
    cls = getattr(models, version[:1].upper() + version[1:] + kind, None)
    if cls is None or "kind" not in getattr(cls, "attribute_map", {}):
        return None
    return cls


def bare(cls):
    """An instance whose setters can be called one by one."""
    obj = cls.__new__(cls)
    obj.local_vars_configuration = CONF
    return obj


def required(cls):
    out = []
    for attr in cls.openapi_types:
        try:
            setattr(bare(cls), attr, None)
        except ValueError:
            out.append(attr)
    return out


def type_name(v):
    return {dict: "a mapping", list: "a list", str: "a string",
            bool: "a boolean", int: "an integer", float: "a number",
            type(None): "null"}.get(type(v), type(v).__name__)


def walk(value, typ, path, errors):
    m = LIST.match(typ)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: want a list of {m.group(1)}, got {type_name(value)}")
            return
        for i, v in enumerate(value):
            walk(v, m.group(1), f"{path}[{i}]", errors)
        return
    m = DICT.match(typ)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: want a mapping of {m.group(1)}, got {type_name(value)}")
            return
        for k, v in value.items():
            if not isinstance(k, str):
                errors.append(f"{path}: key {k!r} is not a string")
            walk(v, m.group(1), f"{path}.{k}", errors)
        return
    if typ in SCALARS:
        ok = SCALARS[typ]
        if isinstance(value, bool) and bool not in ok:
            ok = ()
        if not isinstance(value, ok):
            errors.append(f"{path}: want {typ}, got {type_name(value)} {value!r}")
        return
    cls = getattr(models, typ, None)
    if cls is None:
        errors.append(f"{path}: the models have no type {typ}")
        return
    walk_model(value, cls, path, errors)


def walk_model(value, cls, path, errors):
    if not isinstance(value, dict):
        errors.append(f"{path}: want a {cls.__name__} mapping, got {type_name(value)}")
        return
    attr_of = {json: attr for attr, json in cls.attribute_map.items()}
    for key, v in value.items():
        attr = attr_of.get(key)
        if attr is None:
            errors.append(f"{path}.{key}: unknown field of {cls.__name__}")
            continue
        typ = cls.openapi_types[attr]
        walk(v, typ, f"{path}.{key}", errors)
        if typ in SCALARS and v is not None:
            try:
                setattr(bare(cls), attr, v)
            except ValueError as e:
                errors.append(f"{path}.{key}: {e}")
    for attr in required(cls):
        if value.get(cls.attribute_map[attr]) is None:
            errors.append(f"{path}.{cls.attribute_map[attr]}: required by {cls.__name__}, missing")


def check_doc(doc, where):
    """Errors of one document (a list of strings), and its name."""
    if not isinstance(doc, dict):
        return [f"{where}: not a mapping"], "?"
    api, kind = doc.get("apiVersion"), doc.get("kind")
    name = (doc.get("metadata") or {}).get("name", "?")
    if not isinstance(api, str) or not isinstance(kind, str):
        return [f"{where}: apiVersion and kind must be strings"], name
    cls = model_for(api, kind)
    if cls is None:
        return [f"{where}: no model for {api} {kind} in python3-kubernetes"], name
    errors = []
    walk_model(doc, cls, f"{where}:{kind}", errors)
    return errors, name


def main(paths):
    if not paths:
        print("usage: k8s_walk.py MANIFEST...", file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            print(f"error {path}: {e}")
            bad += 1
            continue
        if not docs:
            print(f"error {path}: no document")
            bad += 1
        for i, doc in enumerate(docs):
            where = f"{path}#{i + 1}"
            errors, name = check_doc(doc, where)
            for e in errors:
                print(f"error {e}")
            if errors:
                bad += 1
            else:
                print(f"ok {where} {doc['kind']} {name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
