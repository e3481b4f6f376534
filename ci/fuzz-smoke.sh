#!/usr/bin/env bash
# Fuzz smoke test: builds every cargo-fuzz target and runs each briefly.
# Fails on any finding (libFuzzer exits non-zero and leaves the input under
# fuzz/artifacts/<target>/). See docs/fuzzing.md.
#
# Runs from any directory. Needs the nightly toolchain that is already
# installed (it never downloads one) and installs cargo-fuzz if missing.
#
# Budget: the build dominates. The smoke build uses no sanitizer and more
# codegen units than cargo-fuzz's default so that a cold build stays within
# a few minutes on two cores; long campaigns should use the default
# (AddressSanitizer) build described in docs/fuzzing.md.
set -euxo pipefail
cd "$(dirname "$0")/.."

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz-smoke: no nightly toolchain installed; cargo-fuzz needs one" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Separate from target/ (the stable dev build) and from target/fuzz (the
# sanitizer build), so that none of the three invalidates another.
target_dir=target/fuzz-smoke
build_flags=(--sanitizer none --codegen-units 16 --target-dir "$target_dir")

cargo +nightly fuzz build "${build_flags[@]}"

# Each target gets a fixed number of seconds; the fast ones get more runs
# in that time, the threaded ones fewer. `-timeout` turns a hang (a lost
# wake-up, a deadlock) into a finding well before CI's limit; the targets'
# own deadline (20 s per threaded run) reports it with context first.
run() {
    local target=$1 seconds=$2
    cargo +nightly fuzz run "${build_flags[@]}" "$target" -- \
        -max_total_time="$seconds" -max_len=8192 -len_control=0 -timeout=60 -rss_limit_mb=4096 \
        -print_final_stats=1
}

# 150 s in all; bounds_loops's 20 came from compile, instantiate,
# differential and differential_threads (5 each).
run compile 25
run instantiate 25
run shared_memory_ops 20
run differential 35
run differential_threads 25
run bounds_loops 20
