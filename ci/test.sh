#!/usr/bin/env bash
# The project's test command (the README's): formatting, lints, every test.
#
# Runs from any directory; uses the stable toolchain pinned by the workspace.
set -euxo pipefail
cd "$(dirname "$0")/.."

rustup component add rustfmt clippy >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
