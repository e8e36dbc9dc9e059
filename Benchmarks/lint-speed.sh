#!/usr/bin/env bash
# Speed and memory benchmark for cancellation-lint (not a test).
#
# Builds cancellation-lint (the package in Lint/) in release mode, then, in one run:
#   - times cancellation-lint and `swift format lint -r` on the Sources of swift-nio 2.101.3 and of
#     swift-protobuf 1.39.0 (the largest package in the mirror), from the local package mirror, and prints
#     both times and their ratio (target: under 0.2 on both);
#   - measures cancellation-lint's peak memory (GNU time's maximum resident set) on one generated 5 MB file,
#     swift-protobuf's descriptor.pb.swift repeated with renamed types, against the file's size (target:
#     20×), and on an empty file (the process's own floor).
#
# Usage: bash Benchmarks/lint-speed.sh [mirror-root]
set -euo pipefail

cd "$(dirname "$0")/.."
mirror="${1:-/opt/swift-packages}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

swift build -c release --package-path Lint --product cancellation-lint >/dev/null
bin="$(swift build -c release --package-path Lint --show-bin-path)/cancellation-lint"
printf 'excluded: []\n' >"$work/empty.yml"

if swift format --version >/dev/null 2>&1; then
    format=(swift format)
elif command -v swift-format >/dev/null 2>&1; then
    format=(swift-format)
else
    echo "swift-format not found in the toolchain" >&2
    exit 2
fi

now() { date +%s.%N; }

for corpus in "apple/swift-nio 2.101.3" "apple/swift-protobuf 1.39.0"; do
    read -r repo tag <<<"$corpus"
    dir="$work/$(basename "$repo")"
    mkdir -p "$dir"
    git -C "$mirror/$repo.git" archive "$tag" Sources | tar -x -C "$dir"
    files=$(find "$dir/Sources" -name '*.swift' | wc -l)
    lines=$(find "$dir/Sources" -name '*.swift' -print0 | xargs -0 cat | wc -l)
    # Warm the file cache once so neither tool pays for cold reads.
    find "$dir/Sources" -name '*.swift' -print0 | xargs -0 cat >/dev/null

    start=$(now)
    status=0
    "$bin" --quiet --config "$work/empty.yml" "$dir/Sources" >/dev/null || status=$?
    end=$(now)
    if [ "$status" -gt 1 ]; then
        echo "cancellation-lint failed with status $status" >&2
        exit 2
    fi
    ours=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')

    start=$(now)
    "${format[@]}" lint -r "$dir/Sources" >/dev/null 2>&1 || true
    end=$(now)
    theirs=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')

    awk -v name="$repo $tag Sources ($files files, $lines lines)" -v ours="$ours" -v theirs="$theirs" 'BEGIN {
        ratio = ours / theirs
        printf "%s: cancellation-lint %.2f s, swift-format lint %.2f s, ratio %.3f (target < 0.200) -> %s\n",
            name, ours, theirs, ratio, (ratio < 0.2 ? "PASS" : "FAIL")
    }'
done

if [ -x /usr/bin/time ]; then
    python3 - "$work/swift-protobuf/Sources/SwiftProtobuf/descriptor.pb.swift" "$work/big/Generated.swift" <<'PY'
import os, sys
source = open(sys.argv[1]).read()
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
parts, size, index = [], 0, 0
while size < 5 * 1024 * 1024:
    parts.append(source.replace("Google_Protobuf_", f"G{index}_Protobuf_"))
    size += len(parts[-1])
    index += 1
open(sys.argv[2], "w").write("".join(parts))
PY
    printf '\n' >"$work/big/Empty.swift"
    size=$(stat -c %s "$work/big/Generated.swift")
    /usr/bin/time -f "%M" -o "$work/peak" "$bin" --quiet --config "$work/empty.yml" "$work/big/Generated.swift" >/dev/null || true
    /usr/bin/time -f "%M" -o "$work/floor" "$bin" --quiet --config "$work/empty.yml" "$work/big/Empty.swift" >/dev/null || true
    awk -v size="$size" -v peak="$(tail -1 "$work/peak")" -v floor="$(tail -1 "$work/floor")" 'BEGIN {
        ratio = peak * 1024 / size
        printf "peak memory on a %.1f MB generated file: %.0f MB = %.0f x its size (target 20 x) -> %s; an empty file: %.0f MB\n",
            size / 1048576, peak / 1024, ratio, (ratio <= 20 ? "PASS" : "FAIL"), floor / 1024
    }'
else
    echo "GNU time (/usr/bin/time) not found: memory not measured"
fi
