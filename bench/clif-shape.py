#!/usr/bin/env python3
"""The shape of CLIF text dumps: what weft and wasmtime hand Cranelift.

    clif-shape.py count FILE...     instructions and blocks per file, and the total
    clif-shape.py diff A B          opcode counts of two functions, largest excess of A first
    clif-shape.py checks FILE...    weft's bounds checks: how many an earlier check
                                    implies, how many could share the next one's branch

Reads the text `Function::display` prints (weft's CLIF, or the files of
`wasmtime compile --emit-clif DIR`, whose lines may start with a source
location). An instruction is a line inside a block that is not a block
header, a value alias (`v5 -> v3`) or a declaration. Used for "Compile
time on real modules" in docs/jit.md.
"""

import collections
import re
import sys

BLOCK = re.compile(r"^(block\d+)(\(.*\))?( cold)?:$")
DECLARATION = re.compile(r"^(ss|gv|sig|fn|jt|dss|mt|const|region)\d+\s*=")
ALIAS = re.compile(r"^v\d+ -> v\d+")
SOURCE_LOCATION = re.compile(r"^@[0-9a-f]+\s+")
RESULTS = re.compile(r"^v\d+(, v\d+)* = ")


def lines(path):
    """Yields each meaningful line of a CLIF file, stripped of source locations."""
    with open(path) as f:
        for line in f:
            text = SOURCE_LOCATION.sub("", line.strip())
            if not text or text.startswith(";") or text.startswith("function") or text == "}":
                continue
            if DECLARATION.match(text) or ALIAS.match(text):
                continue
            yield text


def opcodes(path):
    """Counts of each opcode (`load.i32` counts as `load`) and the block count."""
    ops = collections.Counter()
    blocks = 0
    for text in lines(path):
        if BLOCK.match(text):
            blocks += 1
        else:
            ops[RESULTS.sub("", text).split()[0].split(".")[0]] += 1
    return ops, blocks


def count(paths):
    total_insts = total_blocks = 0
    for path in paths:
        ops, blocks = opcodes(path)
        insts = sum(ops.values())
        total_insts += insts
        total_blocks += blocks
        print(f"{insts:8d} {blocks:7d}  {path}")
    print(f"{total_insts:8d} {total_blocks:7d}  total of {len(paths)} functions")


def diff(a, b):
    ops_a, blocks_a = opcodes(a)
    ops_b, blocks_b = opcodes(b)
    print(f"{'opcode':20} {'A':>7} {'B':>7} {'A-B':>7}")
    for op in sorted(set(ops_a) | set(ops_b), key=lambda op: ops_b[op] - ops_a[op]):
        if ops_a[op] != ops_b[op]:
            print(f"{op:20} {ops_a[op]:7d} {ops_b[op]:7d} {ops_a[op] - ops_b[op]:7d}")
    print(f"{'instructions':20} {sum(ops_a.values()):7d} {sum(ops_b.values()):7d}")
    print(f"{'blocks':20} {blocks_a:7d} {blocks_b:7d}")


def checks(paths):
    """weft's bounds check is `end = iadd idx, K; c = icmp ugt end, len;
    brif c, TRAP, next`. A trap target is a block at least three `brif`s
    jump to. A chain is a run of blocks each entered only as the `next` of
    the previous one's check, so no merge point lies in between."""
    total = implied = shareable = 0
    for path in paths:
        text = list(lines(path))
        targets = collections.Counter(
            m.group(1) for t in text for m in [re.match(r"brif v\d+, (block\d+)", t)] if m
        )
        traps = {block for block, n in targets.items() if n >= 3}
        defs = {}
        checked = {}
        chain_next = None
        # True once a check is followed by loads only, None after anything observable.
        only_loads = None
        for t in text:
            header = BLOCK.match(t)
            if header:
                if header.group(1) != chain_next:
                    checked = {}
                chain_next = None
                continue
            if m := re.match(r"(v\d+) = iconst\.i64 (\d+)", t):
                defs[m.group(1)] = ("const", int(m.group(2)))
            elif m := re.match(r"(v\d+) = iadd(\.i64)? (v\d+), (v\d+)", t):
                defs[m.group(1)] = ("add", m.group(3), m.group(4))
            elif m := re.match(r"(v\d+) = icmp ugt (v\d+), (v\d+)", t):
                defs[m.group(1)] = ("cmp", m.group(2), m.group(3))
            elif (m := re.match(r"brif (v\d+), (block\d+)(\(.*?\))?, (block\d+)", t)) and (
                m.group(2) in traps and defs.get(m.group(1), ("",))[0] == "cmp"
            ):
                _, end, length = defs[m.group(1)]
                key, offset = (end, length), 0
                add = defs.get(end)
                if add and add[0] == "add" and defs.get(add[2], ("",))[0] == "const":
                    key, offset = (add[1], length), defs[add[2]][1]
                total += 1
                implied += checked.get(key, -1) >= offset
                checked[key] = max(checked.get(key, -1), offset)
                shareable += only_loads is True
                only_loads = False
                chain_next = m.group(4)
                continue
            if m := re.match(r"brif v\d+, (block\d+)(\(.*?\))?, (block\d+)", t):
                # Another trap exit (a call's status, a division check):
                # the chain goes on, nothing observable has happened yet.
                if m.group(1) in traps:
                    chain_next = m.group(3)
            if only_loads is False and re.search(r"= [us]?load", t):
                only_loads = True
            elif re.match(r"(store|istore|call|brif|jump|br_table|return)", t) or "= call" in t:
                only_loads = None
    print(f"bounds checks: {total}")
    print(f"implied by an earlier check of the same index in the chain: {implied}")
    print(f"could share the branch of the next check (only loads between): {shareable}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "count":
        count(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "checks":
        checks(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
