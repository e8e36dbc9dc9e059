#!/usr/bin/env bash
# Speed benchmark for cancellation-lint (not a test).
#
# Extracts the Sources of swift-nio 2.101.3 from the local package mirror, builds cancellation-lint (the
# package in Lint/) in release mode, then times cancellation-lint and `swift format lint -r` on the same
# tree in the same run and prints both times and their ratio. The target: cancellation-lint takes under 1/5
# of swift-format's time.
#
# Usage: bash Benchmarks/lint-speed.sh [path-to-swift-nio.git] [tag]
set -euo pipefail

cd "$(dirname "$0")/.."
repo="${1:-/opt/swift-packages/apple/swift-nio.git}"
tag="${2:-2.101.3}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git -C "$repo" archive "$tag" Sources | tar -x -C "$work"
files=$(find "$work/Sources" -name '*.swift' | wc -l)
lines=$(find "$work/Sources" -name '*.swift' -print0 | xargs -0 cat | wc -l)
echo "corpus: swift-nio $tag Sources: $files files, $lines lines"

swift build -c release --package-path Lint --product cancellation-lint >/dev/null
bin="$(swift build -c release --package-path Lint --show-bin-path)/cancellation-lint"

if swift format --version >/dev/null 2>&1; then
    format=(swift format)
elif command -v swift-format >/dev/null 2>&1; then
    format=(swift-format)
else
    echo "swift-format not found in the toolchain" >&2
    exit 2
fi

now() { date +%s.%N; }

# Warm the file cache once so neither tool pays for cold reads.
find "$work/Sources" -name '*.swift' -print0 | xargs -0 cat >/dev/null

start=$(now)
status=0
"$bin" --quiet "$work/Sources" >/dev/null || status=$?
end=$(now)
if [ "$status" -gt 1 ]; then
    echo "cancellation-lint failed with status $status" >&2
    exit 2
fi
ours=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')

start=$(now)
"${format[@]}" lint -r "$work/Sources" >/dev/null 2>&1 || true
end=$(now)
theirs=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')

awk -v ours="$ours" -v theirs="$theirs" 'BEGIN {
    ratio = ours / theirs
    printf "cancellation-lint: %.2f s\n", ours
    printf "swift-format lint: %.2f s\n", theirs
    printf "ratio: %.3f (target < 0.200) -> %s\n", ratio, (ratio < 0.2 ? "PASS" : "FAIL")
}'
