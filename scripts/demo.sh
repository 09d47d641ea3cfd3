#!/usr/bin/env bash
# Builds the d Shopping plugin and runs `mallhost demo`: a full cycle against the bundled
# emulator on a fresh SQLite database in ./mallhost-demo/. Extra arguments go to `mallhost`.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
cargo build -p plugin-dshopping --target wasm32-wasip2 --release
cargo run -q -p mallhost --features demo -- demo "$@"
