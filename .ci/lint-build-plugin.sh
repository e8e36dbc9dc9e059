#!/usr/bin/env bash
# lint-build-plugin.sh — checks cancellation-lint's build-tool plugin end to end: a throwaway package in a
# temporary folder uses CancellationLintBuildPlugin (from this repository's Lint/ package, by path) on a
# target, and `swift build` must
#   1. succeed and print the warning finding of a file with a swallowed sleep, as a compiler diagnostic;
#   2. fail, printing the error finding, once a file with `try? Task.checkCancellation()` is added.
set -euo pipefail

repo="$(cd "${1:-$(dirname "$0")/..}" && pwd -P)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/Sources/App"
cat >"$work/Package.swift" <<PACKAGE
// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "uses-build-plugin",
    dependencies: [.package(path: "$repo/Lint")],
    targets: [
        .target(name: "App", plugins: [.plugin(name: "CancellationLintBuildPlugin", package: "Lint")]),
    ]
)
PACKAGE
cat >"$work/Sources/App/App.swift" <<'SWIFT'
public func poll() async {
    try? await Task.sleep(for: .seconds(1))
    await work()
}

func work() async {}
SWIFT

log="$work/build.log"
if ! swift build --package-path "$work" >"$log" 2>&1; then
    cat "$log"
    echo "lint-build-plugin: the build with a warning finding failed" >&2
    exit 1
fi
grep -q "App.swift:2:5: warning: .*\[try-sleep\]" "$log" || {
    cat "$log"
    echo "lint-build-plugin: the warning finding was not printed" >&2
    exit 1
}
echo "lint-build-plugin: a warning finding is printed and the build succeeds"

cat >"$work/Sources/App/Bad.swift" <<'SWIFT'
func bad() {
    try? Task.checkCancellation()
}
SWIFT
if swift build --package-path "$work" >"$log" 2>&1; then
    cat "$log"
    echo "lint-build-plugin: the build with an error finding succeeded" >&2
    exit 1
fi
grep -q "Bad.swift:2:5: error: .*\[try-check-cancellation\]" "$log" || {
    cat "$log"
    echo "lint-build-plugin: the error finding was not printed" >&2
    exit 1
}
echo "lint-build-plugin: an error finding is printed and fails the build"
