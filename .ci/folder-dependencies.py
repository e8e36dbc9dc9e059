#!/usr/bin/env python3
"""Which feature folder of Sources/Cancellation uses which, and whether any two depend on each other.

A folder depends on another when one of its files names a declaration (type, function, property, case) that
only the other folder declares. It is a text-level check — names in comments and strings are skipped, and a
name declared in several folders counts for none — so it can miss a dependency through a name two folders
share, but it does not invent one. Prints the graph, and exits 1 on a cycle.

    python3 .ci/folder-dependencies.py [Sources/Cancellation]
"""
import os, re, sys
from collections import defaultdict

root = sys.argv[1] if len(sys.argv) > 1 else "Sources/Cancellation"

def folder_of(path):
    rel = os.path.relpath(path, root).split(os.sep)
    return rel[0] if len(rel) > 1 else "."

def strip(source):
    source = re.sub(r'/\*.*?\*/', ' ', source, flags=re.S)
    source = re.sub(r'//[^\n]*', ' ', source)
    source = re.sub(r'"""[\s\S]*?"""', '""', source)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', source)

files = {}
for directory, _, names in os.walk(root):
    for name in names:
        if name.endswith(".swift"):
            path = os.path.join(directory, name)
            files[path] = strip(open(path, encoding="utf-8").read())

# Declarations at the top level (no indentation) and members of top-level types and extensions (four spaces);
# deeper ones are locals or belong to nested types. A member typealias only names something for its type
# (`Element`, `Failure`), so it is not counted.
modifiers = r'(?:(?:@\w+(?:\([^)]*\))?|public|package|internal|fileprivate|private|final|static|class|mutating|nonisolated(?:\(\w+\))?|override|indirect|convenience|consuming|borrowing)\s+)*'
top_level = re.compile(r'^' + modifiers + r'(?:class|struct|enum|protocol|actor|typealias|func|var|let)\s+([A-Za-z_][A-Za-z0-9_]*)', re.M)
member = re.compile(r'^    ' + modifiers + r'(?:class|struct|enum|protocol|actor|func|var|let|case)\s+([A-Za-z_][A-Za-z0-9_]*)', re.M)
declared = defaultdict(set)
for path, text in files.items():
    for name in top_level.findall(text) + member.findall(text):
        declared[name].add(folder_of(path))
# Names the standard library's protocols use for associated types: a type may declare its own (a queue's
# `AsyncIterator`), and code elsewhere names the protocol's (`Base.AsyncIterator`).
associated = {"AsyncIterator", "Iterator", "Element", "Failure", "Instant", "Duration", "Index", "SubSequence"}
# Names declared in one folder only, and long enough not to be a local variable's name by chance.
owner = {name: next(iter(folders)) for name, folders in declared.items()
         if len(folders) == 1 and name not in associated and (name[0].isupper() or len(name) >= 12)}

edges = defaultdict(set)
for path, text in files.items():
    here = folder_of(path)
    for word in set(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', text)):
        there = owner.get(word)
        if there and there != here:
            edges[here].add(there)

for folder in sorted(set(map(folder_of, files))):
    print(f"{folder:12} -> {', '.join(sorted(edges[folder])) or '(nothing)'}")

# Every cycle, found by walking the graph depth first.
cycles = set()
def walk(folder, path):
    for next_folder in edges[folder]:
        if next_folder in path:
            cycle = path[path.index(next_folder):]
            start = cycle.index(min(cycle))
            cycles.add(tuple(cycle[start:] + cycle[:start]))
        else:
            walk(next_folder, path + [next_folder])
for folder in list(edges):
    walk(folder, [folder])
for cycle in sorted(cycles):
    print("cycle: " + " -> ".join(cycle + (cycle[0],)))
sys.exit(1 if cycles else 0)
