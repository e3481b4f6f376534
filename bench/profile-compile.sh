#!/usr/bin/env bash
# Where compile time goes on the real modules, weft against wasmtime.
#
# For each module (default: sqljs esbuild ffmpeg) and each runtime, records
# one serial compile (`--serial-compile`: one thread does all the work) with
# `perf record --call-graph dwarf` and sorts the samples into phases with
# `bench/profile-phases.py`. Sample counts are on-CPU time of the compiling
# thread, so on a shared machine compare counts and shares, not seconds.
# With CALLGRIND=1, also counts instructions of sql.js's compile under
# valgrind's callgrind (slow: minutes) and prints the inclusive counts of
# each phase's entry point.
#
#   bash bench/profile-compile.sh [MODULE...]   # from the repository root
#
# Needs the release bench binary (`cargo build --release --manifest-path
# bench/Cargo.toml`) and the modules (`bash bench/fetch-modules.sh`).
# Output goes to target/profile-compile/ (never committed). The results
# and how to read them are in docs/jit.md, "Compile time on real modules".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bench/target/release/weft-bench"
out="$root/target/profile-compile"
freq=${FREQ:-499}
mkdir -p "$out"
[[ -x $bin ]] || { echo "build the bench first: cargo build --release --manifest-path bench/Cargo.toml" >&2; exit 1; }

modules=("$@")
[[ ${#modules[@]} -gt 0 ]] || modules=(sqljs esbuild ffmpeg)

for m in "${modules[@]}"; do
    for side in weft wasmtime; do
        data="$out/$m-$side.data"
        nice perf record -q -F "$freq" --call-graph dwarf,16384 -o "$data" \
            "$bin" --only "$side" --serial-compile --reps 1 "compile_${m}_serial" \
            >"$out/$m-$side.bench.txt" 2>&1
        perf script --no-inline -F comm,tid,ip,sym -i "$data" 2>/dev/null \
            | python3 "$root/bench/profile-phases.py" >"$out/$m-$side.phases.txt"
        echo "== $m, $side ($(grep "compile_${m}_serial" "$out/$m-$side.bench.txt" | awk '{print $3, $4, $5, $6}'))"
        cat "$out/$m-$side.phases.txt"
    done
done

if [[ ${CALLGRIND:-0} == 1 ]]; then
    for side in weft wasmtime; do
        cg="$out/sqljs-$side.callgrind"
        nice valgrind --tool=callgrind --callgrind-out-file="$cg" \
            "$bin" --only "$side" --serial-compile --reps 1 compile_sqljs_serial \
            >"$out/sqljs-$side.callgrind.log" 2>&1
        echo "== sqljs, $side: callgrind inclusive instruction counts"
        callgrind_annotate --inclusive=yes "$cg" 2>/dev/null \
            | grep -E "Context::compile\b|Context::optimize|machinst::compile::compile|regalloc2::run_with_ctx|VCode<.*>::emit\b|Lower<.*>::lower\b|weft::translate::translate_function|weft::translate::translate_array_entry|FuncTranslator::translate_body|define_function_bytes|finalize_definitions|memory_growth::may_grow_memory|segment_costs|Validator::payload|PROGRAM TOTALS|wasmtime_environ::compile::Compiler>::compile_function|append_code|compile_trampoline" \
            | head -40
    done
fi
