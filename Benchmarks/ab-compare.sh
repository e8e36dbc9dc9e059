#!/usr/bin/env bash
# Compares two builds of cancellation-benchmarks, round by round in alternating order (A B, B A, A B, …),
# so that drift in the machine's speed falls on both sides alike. Reads each run's --json and prints each
# round's figures and, for each side, the medians and ranges of B1 (ratio, and withTimeout's µs per call) for
# both operation shapes, B4 (p50, p99), B5 (ratio, and µs per 1,000 reschedules) and B6 (shield, cancel scope
# and actor-caller ratios, and withTimeout's µs on an actor). Both builds must print the JSON keys of this
# version of the benchmark.
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
    text=$("$2" --json)
    python3 - "$1" "$text" >>"$results" <<'PY'
import json, sys
side, figures = sys.argv[1], json.loads(sys.argv[2])
row = [
    figures["B1"], figures["B1_us"]["withTimeout"], figures["B1_suspending"],
    figures["B1_us"]["withTimeout_suspending"], figures["B4"]["p50_ms"], figures["B4"]["p99_ms"],
    figures["B5"], figures["B5_us"]["reschedules"], figures["B6"]["shield"], figures["B6"]["cancel_scope"],
    figures["B6"]["with_timeout_on_actor"], figures["B6"]["with_timeout_on_actor_us"],
]
print(side, *row)
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
    names = ["B1", "withTimeout µs", "B1 suspending", "withTimeout suspending µs", "B4 p50 ms", "B4 p99 ms",
             "B5", "1,000 reschedules µs", "B6 shield", "B6 cancel scope", "B6 on actor", "withTimeout on actor µs"]
    print(f"{side}: " + ", ".join(f"{name} {median:.3f} ({span})" for name, median, span in zip(names, medians, ranges)))
PY
