#!/usr/bin/env bash
# Builds the shipped plugins of plugins.toml and their malls' emulators, and runs `mallhost demo`:
# a full cycle of every shipped mall in one host, each against its emulator, on a fresh SQLite
# database in ./mallhost-demo/. Extra arguments go to `mallhost`.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
# shellcheck disable=SC2046 # the list's words are `-p PACKAGE` pairs
cargo build $(scripts/plugins.sh packages --shipped) --target wasm32-wasip2 --release
# shellcheck disable=SC2046
cargo build -q $(scripts/plugins.sh emulators --shipped)
cargo run -q -p mallhost --features demo -- demo "$@"
