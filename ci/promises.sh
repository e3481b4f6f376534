#!/usr/bin/env bash
# Runs what the README and the test files promise but `cargo test` alone
# does not: the demo (run, not only compiled, at a small size), the
# large-frame stack test that is `#[ignore]`d in plain `cargo test`, and
# the benchmark crate's own unit tests (`bench/` is its own workspace, so
# `cargo test --workspace` never builds it).
#
# Runs from any directory, on the stable toolchain. Budget: the demo and
# the stack test reuse the dev build of ci/test.sh (dependencies are
# optimized even in dev, see the root Cargo.toml, so Cranelift's register
# allocation over the stack test's 40,000 values runs at release speed;
# the test turns the IR verifier off itself). The bench tests build
# wasmtime once, unoptimized, in their own target directory.
set -euxo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS

# 1. The demo: two threads over 1 MiB. It checks its histogram against a
# sequential run and exits non-zero on any difference.
# Built with the whole workspace's features (`cargo test --workspace` has
# built it already): `-p weft` alone would resolve features differently and
# rebuild Cranelift.
cargo build --workspace --locked --examples
target/debug/examples/demo --threads 2 --mib 1

# 2. Frames larger than the host reserve trap instead of crashing.
cargo test --workspace --locked --test stack -- --ignored --exact \
    frames_larger_than_the_host_reserve_trap_instead_of_crashing

# 3. The benchmark harness's unit tests (statistics, units, kernels parse,
# native reference results).
CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-bench/target}" \
    cargo test --locked --manifest-path bench/Cargo.toml

echo "ci/promises.sh: passed in $((SECONDS - start)) s"
