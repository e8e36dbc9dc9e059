#!/usr/bin/env bash
# CI steps for cancellation-lint, the package in Lint/. Run from the repository root:
#   bash .ci/lint.sh
# Checks that the linter and its tests build with warnings as errors, that its tests pass, and that the
# whole repository lints clean in strict mode: any finding, warning or error, fails the job. The linter
# builds in Lint/.build, apart from the library's build (the library does not depend on swift-syntax).
set -euo pipefail

cd "$(dirname "$0")/.."

swift build --package-path Lint --build-tests -Xswiftc -warnings-as-errors
swift test --package-path Lint --skip-build
bin="$(swift build --package-path Lint --show-bin-path)/cancellation-lint"

# The repository's .cancellation-lint.yml excludes the deliberately bad test fixtures
# (Lint/Tests/CancellationLintTests/Fixtures).
targets=()
for dir in Sources Tests Examples Lint Benchmarks; do
    [ -d "$dir" ] && targets+=("$dir")
done
echo "cancellation-lint --strict ${targets[*]}"
"$bin" --strict "${targets[@]}"

# The whole repository too (catches stray Swift files outside the usual folders, e.g. Package.swift).
echo "cancellation-lint --strict ."
"$bin" --strict .
