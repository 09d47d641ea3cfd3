#!/usr/bin/env bash
# Runs every test: the plugin's native unit tests, the host's, and the end-to-end tests (host +
# compiled plugin + d Shopping emulator on loopback), the latter twice: with the shipped plugin
# and with its frozen 0.1.0 build. Installs the wasm32-wasip2 target if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
cargo build -p plugin-dshopping -p plugin-dshopping-v0-1-0 -p hostile-plugin -p hostile-traversal-plugin -p probe-plugin -p probe-oauth-plugin -p plugin-rakuten --target wasm32-wasip2 --release
cargo build -p mallhost --features demo   # the CLI tests run the binary (with `demo`)
cargo test --workspace "$@"
# The end-to-end suite again against the d Shopping plugin as it was on contract 0.1.0 (frozen in
# tests/plugins/dshopping-v0_1_0): an old plugin must keep working. Tests of 0.2.0 features skip.
MALLHOST_TEST_PLUGIN="$PWD/target/wasm32-wasip2/release/plugin_dshopping_v0_1_0.wasm" \
    cargo test -p mallhost-tests "$@"
