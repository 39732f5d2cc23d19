#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn KUnit KTAP output into one "PASS:/FAIL:/SKIP: kunit: <path>" line per
test case (parameterised cases give one line per parameter).

    tests/vm/ktap-parse.py [--prefix kunit] FILE.ktap...

Reads KTAP v1 as written to /sys/kernel/debug/kunit/<suite>/results (or to
the kernel log; printk timestamps are stripped).  Nesting comes from the
indentation: a result line closes the subtests indented below it.  Also
reported as FAIL: a failed suite whose cases all passed, a plan ("1..N")
that does not match the number of results (a crash mid-suite), results that
never got their parent's result line, and input with no test case at all.
Exit status: 0 if every case passed or was skipped, 1 otherwise.
"""
import re
import sys

RESULT = re.compile(r"^(not ok|ok) (\d+)(?: -)?(?: ([^#]*?))?\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")
SUBTEST = re.compile(r"^# Subtest: (.*)$")
STAMP = re.compile(r"^\[\s*[0-9.]+\]\s?")


class Node:
    def __init__(self, name, ok, directive):
        self.name = name
        self.ok = ok
        self.skip = directive.upper().startswith("SKIP")
        self.children = []


def parse(lines):
    """Return (roots, problems): the top-level result nodes, and a list of
    (path, message) structural failures."""
    pending = {}   # indent -> results seen at that indent, not yet adopted
    plans = {}     # indent -> announced plan
    names = {}     # indent -> "# Subtest:" name announced at that indent
    problems = []
    top = None     # indent of the outermost KTAP line
    for raw in lines:
        line = STAMP.sub("", raw.rstrip("\n"))
        body = line.lstrip(" \t")
        indent = len(line) - len(body)
        if body.startswith("KTAP version") or PLAN.match(body) or \
                SUBTEST.match(body) or RESULT.match(body):
            top = indent if top is None else min(top, indent)
        m = SUBTEST.match(body)
        if m:
            names[indent] = m.group(1).strip()
            continue
        m = PLAN.match(body)
        if m:
            plans[indent] = int(m.group(1))
            continue
        m = RESULT.match(body)
        if not m:
            continue
        name = (m.group(3) or "").strip() or "#" + m.group(2)
        node = Node(name, m.group(1) == "ok", m.group(4) or "")
        # Adopt every deeper result: those are this node's subtests.
        for depth in sorted(d for d in pending if d > indent):
            node.children.extend(pending.pop(depth))
            plan = plans.pop(depth, None)
            if plan is not None and plan != len(node.children):
                problems.append((name, "plan 1..%d but %d results" %
                                 (plan, len(node.children))))
            names.pop(depth, None)
        pending.setdefault(indent, []).append(node)
    roots = []
    for depth in sorted(pending):
        if depth == top:
            roots.extend(pending[depth])
        else:
            # A crash mid-suite: keep the cases seen, under the suite name.
            suite = Node(names.get(depth, "?"), True, "")
            suite.children = pending[depth]
            roots.append(suite)
            problems.append((suite.name, "suite did not finish (no result line)"))
        plan = plans.get(depth)
        if plan is not None and plan != len(pending[depth]):
            problems.append((names.get(depth, "top level"),
                             "plan 1..%d but %d results" % (plan, len(pending[depth]))))
    return roots, problems


def leaves(node, path):
    path = path + [node.name]
    if not node.children:
        yield ".".join(path), node
        return
    for child in node.children:
        yield from leaves(child, path)
    if not node.ok and not node.skip and all(c.ok for c in node.children):
        yield ".".join(path) + " (suite)", node


def main(argv):
    prefix = "kunit"
    if len(argv) > 2 and argv[1] == "--prefix":
        prefix = argv[2]
        argv = argv[2:]
    files = argv[1:]
    if not files:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    cases = failed = 0
    for path in files:
        try:
            with open(path, errors="replace") as f:
                roots, problems = parse(f)
        except OSError as e:
            print("FAIL: %s: cannot read %s: %s" % (prefix, path, e.strerror))
            failed += 1
            continue
        for root in roots:
            for name, node in leaves(root, []):
                cases += 1
                if node.skip:
                    verdict = "SKIP"
                elif node.ok:
                    verdict = "PASS"
                else:
                    verdict = "FAIL"
                    failed += 1
                print("%s: %s: %s" % (verdict, prefix, name))
        for name, msg in problems:
            print("FAIL: %s: %s: %s" % (prefix, name, msg))
            failed += 1
    if cases == 0:
        print("FAIL: %s: no test case parsed from %s" % (prefix, " ".join(files)))
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
