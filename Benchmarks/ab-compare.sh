#!/usr/bin/env bash
# Compares two builds of cancellation-benchmarks, round by round in alternating order (A B, B A, A B, …),
# so that drift in the machine's speed falls on both sides alike. Prints each round's figures and the
# medians of B1 (ratio, and withTimeout's µs per call), B4 (p50, p99), B5 (ratio, and µs per 1,000
# reschedules) and B6 (shield, cancel scope and actor-caller ratios, and withTimeout's µs on an actor) for
# each side.
#
#     Benchmarks/ab-compare.sh OLD_BINARY NEW_BINARY [ROUNDS]
#
# Build each side with `swift build -c release --package-path Benchmarks --product cancellation-benchmarks`
# in a checkout of the commit to compare (a `git worktree` of the old commit, say).
set -euo pipefail
old=$1 new=$2 rounds=${3:-5}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run() {   # side binary
    local text
    text=$("$2")
    python3 - "$1" "$text" >>"$results" <<'PY'
import re, sys
side, text = sys.argv[1], sys.argv[2]
def find(pattern):
    match = re.search(pattern, text)
    if not match:
        sys.exit(f"no match for {pattern!r} in the benchmark's output")
    return match.groups()
b1, per_call = find(r"B1 [^:]*: ([0-9.]+) .*?withTimeout ([0-9.]+) µs")
p50, p99 = find(r"B4 [^:]*: p50 ([0-9.]+) ms, p99 ([0-9.]+) ms")
b5, reschedules = find(r"B5 [^:]*: ([0-9.]+) .*?— ([0-9.]+) µs vs")
shield, scope, on_actor, actor_us = find(r"B6 [^:]*: withCancellationShield ([0-9.]+), withCancelScope with a deadline ([0-9.]+); withTimeout called on an actor [^0-9]*([0-9.]+) — ([0-9.]+) µs")
print(side, b1, per_call, p50, p99, b5, reschedules, shield, scope, on_actor, actor_us)
PY
    tail -1 "$results"
}

for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then run old "$old"; run new "$new"; else run new "$new"; run old "$old"; fi
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for side in ("old", "new"):
    values = [list(map(float, row[1:])) for row in rows if row[0] == side]
    columns = list(zip(*values))
    medians = [statistics.median(column) for column in columns]
    ranges = [f"{min(c):.3g}–{max(c):.3g}" for c in columns]
    names = ["B1", "withTimeout µs", "B4 p50 ms", "B4 p99 ms", "B5", "1,000 reschedules µs",
             "B6 shield", "B6 cancel scope", "B6 on actor", "withTimeout on actor µs"]
    print(f"{side}: " + ", ".join(f"{name} {median:.3f} ({span})" for name, median, span in zip(names, medians, ranges)))
PY
