#!/usr/bin/env bash
# Reads plugins.toml, the one list of the workspace's connector plugins, for the scripts and
# the Containerfile. Prints:
#   scripts/plugins.sh packages [--shipped]    -p <package> … (for cargo, the wasm32 build)
#   scripts/plugins.sh emulators [--shipped]   -p <emulator package> … (native binaries)
#   scripts/plugins.sh wasm [--shipped]        target/wasm32-wasip2/release/<file>.wasm …
#   scripts/plugins.sh list                    one line per plugin: package mall emulator ship
# The list's format is one `key = "value"` a line under `[[plugin]]` (see plugins.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-list}"
shipped="no"
[ "${2:-}" = "--shipped" ] && shipped="yes"
awk -v what="$what" -v shipped="$shipped" '
    function flush() {
        if (package == "") return
        if (shipped == "yes" && ship != "yes") { package = ""; return }
        if (what == "packages") printf "-p %s ", package
        else if (what == "emulators") { if (emulator != "") printf "-p %s ", emulator }
        else if (what == "wasm") { f = package; gsub("-", "_", f); printf "target/wasm32-wasip2/release/%s.wasm ", f }
        else if (what == "list") printf "%s %s %s %s\n", package, mall, (emulator == "" ? "-" : emulator), ship
        package = ""; mall = ""; emulator = ""; ship = "no"
    }
    /^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
    /^\[\[plugin\]\]/ { flush(); next }
    /^[[:space:]]*[a-z]+[[:space:]]*=/ {
        key = $0; sub(/[[:space:]]*=.*/, "", key); gsub(/[[:space:]]/, "", key)
        value = $0; sub(/^[^=]*=[[:space:]]*"/, "", value); sub(/".*/, "", value)
        if (key == "package") package = value
        else if (key == "mall") mall = value
        else if (key == "emulator") emulator = value
        else if (key == "ship") ship = value
        next
    }
    END { flush() }
' plugins.toml
[ "$what" = "list" ] || echo
