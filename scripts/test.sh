#!/usr/bin/env bash
# Runs every test: the plugins' native unit tests, the host's, and the end-to-end tests (host +
# compiled plugins + the mall emulators on loopback; what to build is plugins.toml's list), the
# latter three times: with the shipped
# plugins on SQLite, with the frozen 0.1.0 d Shopping build, and with the shipped plugins on
# PostgreSQL (each test in a database of its own, dropped after). Installs the wasm32-wasip2
# target, and Debian's chromium and chromium-driver for the console's browser tests, if needed.
#
# PostgreSQL: MALLHOST_TEST_POSTGRES names the server (default: the local one, trust auth). If
# none answers, the PostgreSQL pass is skipped with a warning — except in CI (CI=true), where
# it is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
# The console's browser tests drive Debian's Chromium through chromedriver (tests/all/console.rs).
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    install_browser() {
        $sudo apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
            || { $sudo apt-get update -q >/dev/null 2>&1 \
                && $sudo apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; }
    }
    if ! install_browser; then
        if [ "${CI:-}" = "true" ]; then
            echo "chromium and chromium-driver cannot be installed: the browser tests cannot run" >&2
            exit 1
        fi
        echo "warning: chromium and chromium-driver cannot be installed; the browser tests skip" >&2
    fi
fi
# Every plugin of the one list (plugins.toml), and its mall's emulator binary.
# shellcheck disable=SC2046 # the list's words are `-p PACKAGE` pairs
cargo build $(scripts/plugins.sh packages) --target wasm32-wasip2 --release
# shellcheck disable=SC2046
cargo build $(scripts/plugins.sh emulators)
# The CLI tests run the binary with `demo`, and with the crash points (`failpoints`).
cargo build -p mallhost --features demo,failpoints
cargo test --workspace "$@"
# The end-to-end suite again against the d Shopping plugin as it was on contract 0.1.0 (frozen in
# tests/plugins/dshopping-v0_1_0): an old plugin must keep working. Tests of 0.2.0 features skip;
# the modules that do not run the d Shopping plugin's calls (the console, accounts, labels, the
# other malls' and the test plugins', the crash points of the host's own steps) ran above.
old_plugin_modules=(contract:: cycle:: exactly_once:: export:: faults:: guarantees:: rules::
    calendar:: cli:: lifecycle:: sandbox:: health::)
old_args=("$@")
if [ "$#" -eq 0 ]; then old_args=(-- "${old_plugin_modules[@]}"); fi
MALLHOST_TEST_PLUGIN="$PWD/target/wasm32-wasip2/release/plugin_dshopping_v0_1_0.wasm" \
    cargo test -p mallhost-tests "${old_args[@]}"
# And on PostgreSQL: the same suite, plus the several-hosts trial and the database copy.
pg="${MALLHOST_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
if ! command -v pg_isready >/dev/null || pg_isready -q -d "$pg"; then
    MALLHOST_TEST_POSTGRES="$pg" cargo test -p mallhost --lib store:: "$@"
    MALLHOST_TEST_POSTGRES="$pg" cargo test -p mallhost-tests "$@"
elif [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL does not answer at $pg: the PostgreSQL pass cannot run" >&2
    exit 1
else
    echo "warning: PostgreSQL does not answer at $pg; the PostgreSQL pass is skipped" >&2
fi
