#!/usr/bin/env bash
# Builds the DocC documentation of the library's catalogs with the toolchain's own `docc`, without adding
# swift-docc-plugin to the package (which every user of the library would then resolve).
#
#   scripts/build-docs.sh [--check] [output-directory]
#
# --check fails when DocC reports a warning (an unresolved link, a missing parameter), as CI runs it.
# Output defaults to .build/docs/<Module>.doccarchive.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
if [[ "${1:-}" == "--check" ]]; then check=1; shift; fi
out="${1:-.build/docs}"
graphs=.build/symbol-graphs
rm -rf "$graphs"
mkdir -p "$graphs" "$out"

docc=$(command -v docc || true)
if [[ -z "$docc" ]] && command -v xcrun >/dev/null; then
    docc=$(xcrun --find docc 2>/dev/null || true)  # Xcode's toolchain
fi
if [[ -z "$docc" ]]; then
    docc="$(dirname "$(command -v swift)")/docc"
fi

status=0
for module in Cancellation CancellationWire; do
    mkdir -p "$graphs/$module"
    swift build --target "$module" >/dev/null
    bin=$(swift build --show-bin-path)
    swift symbolgraph-extract -module-name "$module" -I "$bin/Modules" -I "$bin" \
        -target "$(swiftc -print-target-info | python3 -c 'import json,sys; print(json.load(sys.stdin)["target"]["triple"])')" \
        -minimum-access-level public -emit-extension-block-symbols -output-dir "$graphs/$module"
    log=$(mktemp)
    "$docc" convert "Sources/$module/$module.docc" \
        --additional-symbol-graph-dir "$graphs/$module" \
        --fallback-display-name "$module" --fallback-bundle-identifier "org.swift-cancellation.$module" \
        --output-path "$out/$module.doccarchive" 2>&1 | tee "$log" | grep -E "warning|error" || true
    if (( check )) && grep -qE "warning:|error:" "$log"; then
        echo "DocC reported problems in $module" >&2
        status=1
    fi
    rm -f "$log"
done
echo "Documentation archives in $out"
exit $status
