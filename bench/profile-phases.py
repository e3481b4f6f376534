#!/usr/bin/env python3
"""Sorts the samples of `perf script` output into compile phases.

Reads the text of `perf script --no-inline -F comm,tid,ip,sym` (from a
`perf record --call-graph dwarf` of one compile) and prints one line per
phase: samples and share. Each sample's phase is the first frame, from the
leaf upwards, that a rule below recognizes. Kernel frames are skipped, so a
page fault counts towards the user code that touched the page; a sample
whose leaf is the allocator counts as allocation whatever called it.
Generic helpers (hash maps, sorting, memcpy) have no rule of their own and
so count towards the phase that called them. Used by
`bench/profile-compile.sh`; see "Compile time on real modules" in
`docs/jit.md`.
"""

import re
import sys

# Allocator entry points and internals (glibc malloc, Rust's shims).
ALLOCATOR = re.compile(
    r"^(_?_?libc_)?(malloc|calloc|realloc|free|cfree)(@.*)?$|^_int_(malloc|free|realloc)"
    r"|^malloc_consolidate|^unlink_chunk|^sysmalloc|^tcache_|^__rust_(alloc|dealloc|realloc)"
    r"|^alloc::raw_vec::|^alloc::alloc::"
)

# (phase, pattern), tried in this order on every frame.
RULES = [
    ("regalloc (regalloc2)", r"^regalloc2::"),
    (
        "emission (MachBuffer, x64 encoding)",
        r"cranelift_codegen::machinst::vcode::VCode<.*>::emit|cranelift_codegen::machinst::buffer::"
        r"|cranelift_codegen::isa::x64::inst::emit|cranelift_assembler_x64::",
    ),
    (
        "lowering (CLIF -> VCode)",
        r"cranelift_codegen::machinst::lower::|cranelift_codegen::isa::x64::lower"
        r"|cranelift_codegen::machinst::vcode::VCodeBuilder|cranelift_codegen::machinst::blockorder",
    ),
    ("verifier", r"cranelift_codegen::verifier::"),
    (
        "mid-end (egraph, alias analysis, legalize, CFG/domtree)",
        r"cranelift_codegen::(egraph|opts|ctxhash|scoped_hash_map|alias_analysis"
        r"|remove_constant_phis|legalizer|unreachable_code|dce|loop_analysis|flowgraph"
        r"|dominator_tree|nan_canonicalization|context::Context::optimize"
        r"|context::Context::legalize|context::Context::compute_)",
    ),
    (
        "weft analyses (memory growth, fuel segments)",
        r"weft::translate::memory_growth::|weft::translate::interrupt::segment_costs",
    ),
    (
        "translation (wasm -> CLIF, incl. cranelift-frontend SSA)",
        r"(^|<)weft::translate::|(^|<)cranelift_frontend::"
        r"|(^|<)wasmtime_internal_cranelift::(translate|func_environ|bounds_checks|alias_region)",
    ),
    ("parse + validate (wasmparser)", r"(^|<)wasmparser::"),
    (
        "placement + relocation (cranelift-jit / wasmtime object)",
        r"(^|<)cranelift_jit::|(^|<)cranelift_module::|(^|<)cranelift_object::|(^|<)object::"
        r"|wasmtime_internal_cranelift::obj::|wasmtime_environ::compile::Compiler>::append_code"
        r"|(^|<)wasmtime::runtime::code_memory",
    ),
    (
        "Cranelift backend driver (machinst::compile, ABI)",
        r"cranelift_codegen::machinst::compile::compile|cranelift_codegen::machinst::abi::",
    ),
]
# Tried only when no frame of the sample matches a rule above: IR helpers
# (`DataFlowGraph::value_def` and the like) belong to whichever pass called
# them.
FALLBACK = [
    ("other Cranelift (Context, IR helpers)", r"(^|<)cranelift_(codegen|entity|bforest|bitset)::"),
    ("runtime driver (weft / wasmtime)", r"(^|<)(weft|wasmtime\w*)::"),
]
RULES = [(name, re.compile(pattern)) for name, pattern in RULES]
FALLBACK = [(name, re.compile(pattern)) for name, pattern in FALLBACK]


def samples(lines):
    """Yields each sample's user-space frames (symbol names), leaf first."""
    frames = None
    for line in lines:
        if not line.strip():
            if frames is not None:
                yield frames
            frames = None
        elif not line[0].isspace():
            frames = []
        elif frames is not None:
            parts = line.split(None, 1)
            if len(parts) == 2 and not parts[0].startswith("ffffffff"):
                frames.append(parts[1].strip())
    if frames is not None:
        yield frames


def phase(frames):
    if not frames:
        return "kernel only"
    if ALLOCATOR.search(frames[0]):
        return "allocation (malloc/free)"
    for rules in (RULES, FALLBACK):
        for frame in frames:
            for name, pattern in rules:
                if pattern.search(frame):
                    return name
    return "unattributed"


def main():
    counts = {}
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        p = phase(frames)
        counts[p] = counts.get(p, 0) + 1
    print(f"{total} samples")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{100.0 * n / max(total, 1):6.1f}%  {n:7d}  {name}")


if __name__ == "__main__":
    main()
