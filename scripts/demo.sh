#!/usr/bin/env bash
# Builds the d Shopping and Rakuten plugins and runs `mallhost demo`: a full cycle of both malls
# in one host, against the bundled
# emulators, on a fresh SQLite database in ./mallhost-demo/. Extra arguments go to `mallhost`.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
cargo build -p plugin-dshopping -p plugin-rakuten --target wasm32-wasip2 --release
cargo run -q -p mallhost --features demo -- demo "$@"
