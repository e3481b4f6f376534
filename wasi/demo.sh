#!/usr/bin/env bash
# The README's main command: builds a Rust std::thread program for
# wasm32-wasip1-threads (wasi/tests/programs/src/bin/primes.rs) and runs it
# under `weft run`. Arguments go to the program: [THREADS] [N].
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip1-threads >/dev/null 2>&1 || true
# Its own target dir, as the tests use: the guest is not a workspace member.
cargo build --release --quiet --target wasm32-wasip1-threads \
    --manifest-path wasi/tests/programs/Cargo.toml \
    --target-dir target/wasi-programs --bin primes
cargo run --release --quiet -p weft-cli -- \
    run target/wasi-programs/wasm32-wasip1-threads/release/primes.wasm "$@"
