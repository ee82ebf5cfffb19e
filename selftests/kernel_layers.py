#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Check that the module's files call each other one way only.

Builds the file-level call graph of kernel/*.c (a call from file A to a
function defined, non-static, in file B is an edge A -> B) and fails if
any files call each other in a loop, naming the calls that close it.
With -v, prints the files bottom layer first and each edge.

Usage: selftests/kernel_layers.py [-v] [DIR]   (DIR defaults to kernel/)
Ends with "N passed, N failed" for check.sh.
"""
import glob
import os
import re
import sys

verbose = "-v" in sys.argv[1:]
args = [a for a in sys.argv[1:] if a != "-v"]
root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "kernel")
files = sorted(f for f in glob.glob(os.path.join(root, "*.c")) if not f.endswith(".mod.c"))


def strip(text):
    """Drop comments and string literals, which may name functions."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


source = {f: strip(open(f, encoding="utf-8").read()) for f in files}
# A definition: at the start of a line, not static, a name, a parameter
# list, then the opening brace.
DEF = re.compile(r"^(?!static\b)[A-Za-z_][\w \t*]*?\b(\w+)\(([^;{)]*)\)\s*\{", re.M)
defined = {}
for f, text in source.items():
    for m in DEF.finditer(text):
        defined.setdefault(m.group(1), f)

edges = {}
for f, text in source.items():
    called = set(re.findall(r"\b(\w+)\s*\(", text))
    for name in sorted(called):
        owner = defined.get(name)
        if owner and owner != f:
            edges.setdefault(f, {}).setdefault(owner, []).append(name)

name = os.path.basename
# Kahn's algorithm from the bottom: a file whose callees are all placed.
placed, layers = set(), []
while len(placed) < len(files):
    layer = [f for f in files if f not in placed and set(edges.get(f, {})) <= placed]
    if not layer:
        break
    layers.append(layer)
    placed.update(layer)

left = [f for f in files if f not in placed]
if verbose:
    for i, layer in enumerate(layers):
        print(f"layer {i}: {' '.join(name(f) for f in layer)}")
    for a in files:
        for b, names in sorted(edges.get(a, {}).items()):
            print(f"  {name(a)} -> {name(b)}: {', '.join(names)}")
if left:
    print("kernel/ files that call each other in a loop:", " ".join(name(f) for f in left))
    for a in left:
        for b, names in sorted(edges.get(a, {}).items()):
            if b in left:
                print(f"  {name(a)} -> {name(b)}: {', '.join(names)}")
    print("0 passed, 1 failed")
    sys.exit(1)
print(f"kernel/: {len(files)} files in {len(layers)} layers, no loop")
print("1 passed, 0 failed")
