#!/usr/bin/env bash
# The project's test command (the README's): formatting, lints, every test.
#
# Runs from any directory; uses the stable toolchain pinned by the workspace.
set -euxo pipefail
cd "$(dirname "$0")/.."

rustup component add rustfmt clippy >/dev/null 2>&1 || true
# weft-wasi's tests build Rust guest programs for this target.
rustup target add wasm32-wasip1-threads

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
