#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
The kernel's own YNL CLI (tools/net/ynl from linux-source-6.12, unpacked by
tools/fetch-kernels.sh into $BUILD/src-6.12) talks to the family with
nothing but uapi/cgshare.yaml, and the policy the kernel reports for the
family (CTRL_CMD_GETPOLICY through the nlctrl spec) has exactly the request
attributes and types the spec declares.  TAP on stdout; --list names cases.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get('BUILD', os.path.join(ROOT, 'build'))
SRC = os.environ.get('CGSHARE_KSRC', os.path.join(BUILD, 'src-6.12'))
SPEC = os.path.join(ROOT, 'uapi', 'cgshare.yaml')
SCHEMA = os.path.join(SRC, 'Documentation', 'netlink', 'genetlink.yaml')
NLCTRL = os.path.join(SRC, 'Documentation', 'netlink', 'specs', 'nlctrl.yaml')
NLCTRL_SCHEMA = os.path.join(SRC, 'Documentation', 'netlink',
                             'genetlink-legacy.yaml')
CG = '/sys/fs/cgroup'

# How the kernel's policy dump names the NLA_* type a spec type maps to
# (ynl-gen-c: string -> NLA_NUL_STRING unless unterminated-ok).
POLICY_TYPE = {
    'u8': 'u8', 'u16': 'u16', 'u32': 'u32', 'u64': 'u64',
    's8': 's8', 's16': 's16', 's32': 's32', 's64': 's64',
    'uint': 'uint', 'sint': 'sint', 'flag': 'flag', 'binary': 'binary',
    'nest': 'nested',
}


class Skip(Exception):
    pass


def cli_path():
    for rel in ('tools/net/ynl/cli.py', 'tools/net/ynl/pyynl/cli.py'):
        p = os.path.join(SRC, rel)
        if os.path.exists(p):
            return p
    raise Skip(f'no YNL cli.py under {SRC} (run tools/fetch-kernels.sh)')


def diag(msg):
    for line in str(msg).splitlines():
        print(f'# {line}', flush=True)


def cli(*args, spec=SPEC, schema=SCHEMA):
    cmd = [sys.executable, cli_path(), '--spec', spec, '--schema', schema,
           '--output-json', *args]
    diag('$ ' + ' '.join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        diag(p.stdout[-2000:])
        diag(p.stderr[-2000:])
        raise AssertionError(f'cli.py exited with status {p.returncode}')
    out = p.stdout.strip()
    return json.loads(out) if out else None


def expect(cond, what, want=None, got=None):
    if not cond:
        if want is not None or got is not None:
            raise AssertionError(f'{what}: expected {want!r}, got {got!r}')
        raise AssertionError(what)


def walk_ids():
    ids = set()
    for d, _, _ in os.walk(CG):
        ids.add(os.stat(d).st_ino)
    return ids


def test_cli_dump():
    """cli.py --dump cgroup-get returns the root (id, "/") and every cgroup."""
    recs = cli('--dump', 'cgroup-get')
    expect(isinstance(recs, list), 'dump output is a list', 'list', type(recs))
    root = os.stat(CG).st_ino
    roots = [r for r in recs if r.get('id') == root]
    expect(len(roots) == 1, 'records with the root id', 1, len(roots))
    expect(roots[0].get('path') == '/', 'root path', '/', roots[0].get('path'))
    expect('cpu-usage-ns' in roots[0], 'root has cpu-usage-ns')
    got = {r['id'] for r in recs}
    want = walk_ids()
    expect(got == want, 'dumped ids vs cgroupfs walk',
           f'{len(want)} ids', f'{len(got)} ids, missing '
           f'{sorted(want - got)[:5]}, extra {sorted(got - want)[:5]}')
    diag(f'{len(recs)} records, root {roots[0]}')


def test_cli_do():
    """cli.py --do cgroup-get by path and by id, and --do status-get."""
    root = os.stat(CG).st_ino
    r = cli('--do', 'cgroup-get', '--json', json.dumps({'path': '/'}))
    expect(r.get('id') == root, 'id of path /', root, r.get('id'))
    r = cli('--do', 'cgroup-get', '--json', json.dumps({'id': root}))
    expect(r.get('path') == '/', 'path of the root id', '/', r.get('path'))
    s = cli('--do', 'status-get')
    diag(f'status: {s}')
    expect(s.get('version'), 'status-get has a version')
    expect('cpu' in s.get('features', []), 'features include cpu',
           'cpu', s.get('features'))


def spec_family():
    sys.path.insert(0, os.path.dirname(cli_path()))
    from lib import SpecFamily  # noqa: E402 (the kernel's own YNL library)
    return SpecFamily(SPEC, SCHEMA)


def want_policy(fam, op, mode):
    """{attr-id: policy type} the spec asks for in op's mode request."""
    attrs = op.yaml[mode].get('request', {}).get('attributes', [])
    aset = fam.attr_sets[op.yaml['attribute-set']]
    want = {}
    for name in attrs:
        a = aset[name]
        if a.type == 'pad':
            continue
        if a.type == 'string':
            t = 'string' if a.yaml.get('checks', {}).get('unterminated-ok') \
                else 'nul-string'
        else:
            t = POLICY_TYPE.get(a.type, a.type)
        want[a.value] = t
    return want


def test_policy():
    """The kernel's policy for each request equals the spec's attributes."""
    fam = spec_family()
    dump = cli('--dump', 'getpolicy', '--json',
               json.dumps({'family-name': 'cgshare'}),
               spec=NLCTRL, schema=NLCTRL_SCHEMA)
    op_pol, pols = {}, {}
    for m in dump:
        if 'op-policy' in m:
            p = m['op-policy']
            op_pol[p['op-id']] = p
        if 'policy' in m:
            p = m['policy']
            pols.setdefault(p['policy-id'], {})[p['attr-id']] = p
    diag(f'op policies: {op_pol}')
    checked = 0
    for op in fam.ops.values():
        for mode in ('do', 'dump'):
            if mode not in op.yaml or 'request' not in op.yaml[mode]:
                continue
            want = want_policy(fam, op, mode)
            kp = op_pol.get(op.req_value, {})
            if mode not in kp:
                expect(not want, f'{op.name} {mode}: kernel has no policy '
                       f'but the spec has request attributes', {}, want)
                continue
            got = {a: p['type'] for a, p in pols.get(kp[mode], {}).items()}
            expect(got == want, f'{op.name} {mode} policy (attr id: type)',
                   want, got)
            diag(f'{op.name} {mode}: {got} '
                 f'{ {a: p for a, p in pols.get(kp[mode], {}).items()} }')
            checked += 1
        if op.is_call and op.yaml.get('flags') and 'admin-perm' in op.yaml['flags']:
            pass  # GENL_ADMIN_PERM is not in the policy dump; charge tests it
    expect(checked >= 3, 'request policies compared (cgroup-get do, dump, '
           'charge do)', '>= 3', checked)


CASES = [
    ('ynl_cli_dump_cgroup_get', test_cli_dump),
    ('ynl_cli_do_cgroup_get_status_get', test_cli_do),
    ('policy_matches_spec', test_policy),
]


def main():
    if sys.argv[1:] == ['--list']:
        for name, _ in CASES:
            print(name)
        return 0
    print('TAP version 13')
    print(f'1..{len(CASES)}', flush=True)
    failed = 0
    for i, (name, fn) in enumerate(CASES, 1):
        diag(f'--- {name}')
        try:
            fn()
            print(f'ok {i} {name}', flush=True)
        except Skip as e:
            print(f'ok {i} {name} # SKIP {e}', flush=True)
        except Exception as e:  # noqa: BLE001 (any failure is a TAP failure)
            diag(f'FAIL {type(e).__name__}: {e}')
            print(f'not ok {i} {name}', flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
