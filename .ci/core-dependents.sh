#!/usr/bin/env bash
# Checks what a package that depends only on the `Cancellation` library resolves.
#
# Makes a throwaway package in a temporary folder that depends on this repository by path, with no traits
# enabled, and one target that imports `Cancellation`; runs `swift package resolve` in it (from the same
# package sources as the repository's own build); prints every pin of its Package.resolved and fails unless
# the pins are exactly swift-log. So depending on the library never resolves the linter's swift-syntax or
# swift-argument-parser (they are in Lint/, a package of its own), nor the dependencies of the gRPC, HTTP
# server and HTTP client integrations, which are behind package traits that are off by default.
#
# Usage: bash .ci/core-dependents.sh [REPOSITORY]     (default: the repository this script is in)
set -euo pipefail

repo="$(cd "${1:-$(dirname "$0")/..}" && pwd -P)"
[[ -f "$repo/Package.swift" ]] || { echo "core-dependents: no Package.swift in $repo" >&2; exit 2; }
command -v swift >/dev/null 2>&1 || { echo "core-dependents: no swift on PATH" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "core-dependents: no python3 on PATH" >&2; exit 2; }

expected="swift-log"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A path dependency's identity is its folder's name; a link with a fixed name keeps the manifest below the
# same whatever the clone's folder is called.
ln -s "$repo" "$work/swift-cancellation"
mkdir -p "$work/dependent/Sources/Dependent"
cat >"$work/dependent/Package.swift" <<EOF
// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "dependent",
    platforms: [.macOS(.v13), .iOS(.v16), .tvOS(.v16), .watchOS(.v9), .visionOS(.v1)],
    dependencies: [
        .package(path: "$work/swift-cancellation"),
    ],
    targets: [
        .target(
            name: "Dependent",
            dependencies: [.product(name: "Cancellation", package: "swift-cancellation")]
        ),
    ]
)
EOF
cat >"$work/dependent/Sources/Dependent/Dependent.swift" <<'EOF'
import Cancellation

public func fetchWithinOneSecond() async throws -> Int {
    try await withTimeout(.seconds(1)) { 42 }
}
EOF

echo "core-dependents: a package depending on $repo (no traits), product Cancellation"
if ! (cd "$work/dependent" && swift package resolve); then
    echo "core-dependents: swift package resolve failed" >&2
    exit 1
fi

resolved="$work/dependent/Package.resolved"
pins=""
if [[ -f "$resolved" ]]; then
    pins="$(python3 - "$resolved" <<'EOF'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as file:
    resolved = json.load(file)
for pin in sorted(resolved.get("pins", []), key=lambda pin: pin["identity"]):
    state = pin.get("state", {})
    print(pin["identity"], state.get("version") or state.get("branch") or state.get("revision", "?"))
EOF
)"
fi

echo "core-dependents: Package.resolved pins:"
if [[ -n "$pins" ]]; then
    sed 's/^/    /' <<<"$pins"
else
    echo "    (nothing)"
fi

identities="$(cut -d' ' -f1 <<<"$pins" | sed '/^$/d' | tr '\n' ' ' | sed 's/ $//')"
if [[ "$identities" != "$expected" ]]; then
    echo "core-dependents: expected exactly: $expected; got: ${identities:-nothing}" >&2
    echo "core-dependents: where each comes from:" >&2
    (cd "$work/dependent" && swift package show-dependencies) >&2 || true
    exit 1
fi
echo "core-dependents: OK, depending on Cancellation pins $expected only"
