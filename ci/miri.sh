#!/usr/bin/env bash
# Runs weft-core's unit tests (threaded wait/notify included) under Miri,
# which checks every unsafe block they reach for undefined behaviour and
# data races. Under Miri memories use the heap reservation (no mmap).
set -euxo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup component add --toolchain nightly miri rust-src
fi

# Nightly artifacts must not mix with the stable build's.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/miri}"
# Several schedules for the threaded tests: Miri picks thread switches
# pseudo-randomly per seed.
export MIRIFLAGS="${MIRIFLAGS:-}"

start=$SECONDS
cargo +nightly miri setup
cargo +nightly miri test -p weft-core
# The threaded wait/notify, growth and termination tests again, over more schedules.
for seed in 1 2 3 4; do
    MIRIFLAGS="$MIRIFLAGS -Zmiri-seed=$seed" \
        cargo +nightly miri test -p weft-core --lib -- wait:: concurrent_grows exit::
done
echo "ci/miri.sh: passed in $((SECONDS - start)) s"
