#!/usr/bin/env bash
# CI steps for cancellation-lint. Run from the repository root after the main build:
#   bash .ci/lint.sh
# Builds the linter (debug, so it reuses the main build's products), then lints the package's own
# sources strictly: any finding, warning or error, fails the job.
set -euo pipefail

cd "$(dirname "$0")/.."

swift build --product cancellation-lint -Xswiftc -warnings-as-errors
bin="$(swift build --show-bin-path)/cancellation-lint"

# The repository's .cancellation-lint.yml excludes the deliberately bad test fixtures.
targets=()
for dir in Sources Tests Examples Plugins Benchmarks; do
    [ -d "$dir" ] && targets+=("$dir")
done
echo "cancellation-lint --strict ${targets[*]}"
"$bin" --strict "${targets[@]}"

# The whole repository too (catches stray Swift files outside the usual folders, e.g. Package.swift).
echo "cancellation-lint --strict ."
"$bin" --strict .
