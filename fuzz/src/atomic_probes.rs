//! Small modules that aim atomics, bulk memory and table operations and
//! indirect calls at one memory and one table, for `differential`.
//!
//! wasm-smith can generate every atomic operator on shared and unshared
//! memories, but in its modules an atomic rarely executes with an address
//! that is in bounds, and a `memory.atomic.wait32/64` or `notify` almost
//! never does: the coverage counts showed none on an unshared memory in the
//! seeded corpus. The trap precedence of exactly those cases (misaligned
//! and unshared, misaligned and out of bounds) is where the engines parted.
//! A probe module has one memory, shared or not, 1-2 pages, and a few
//! exported functions `(param $a i32) (param $v i64) (result i32)`, each a
//! short sequence of atomic (and plain) accesses at `$a` plus a small
//! constant and a static offset, both drawn from the input, so that the
//! harness's edge-valued arguments (0, 1, 2, 7, 0xfffc, ...) land in
//! bounds, misaligned, at the end of memory and past it. Every wait's
//! timeout is 0, so a run never blocks. The same functions also reach the
//! bulk-memory and table operators, `call_indirect` (to probes, to a
//! function of another type, to null entries and past the table) and
//! division by zero, which the seeded wasm-smith corpus never executed
//! (`docs/fuzzing.md` lists the counts).

use arbitrary::Unstructured;
use std::fmt::Write as _;

/// The most functions in one probe module.
const MAX_FUNCS: usize = 4;
/// The most accesses in one function.
const MAX_OPS: usize = 6;

/// Static offsets: aligned and misaligned for every width, and ones that
/// put an access at or past the end of a one-page memory.
const OFFSETS: [u32; 12] = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0xfffc, 0x1_0000];

/// Generates a probe module's text from `u`.
pub fn generate_text(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let shared = u.arbitrary::<bool>()?;
    let minimum = u.int_in_range(1..=2)?;
    let maximum = u.int_in_range(minimum..=2)?;
    let mut text = String::from("(module\n");
    let _ = writeln!(
        text,
        "  (memory (export \"m\") {minimum} {maximum}{})",
        if shared { " shared" } else { "" }
    );
    // What the bulk, table and indirect-call accesses use: a table of the
    // probe functions' type (index 0..funcs are the probes, the rest
    // null), a passive data and a passive element segment, and one
    // function of another type for `call_indirect` to mismatch on.
    let funcs = u.int_in_range(1..=MAX_FUNCS)?;
    let _ = writeln!(text, "  (type $probe (func (param i32 i64) (result i32)))");
    let _ = writeln!(text, "  (table $t (export \"t\") {} 8 funcref)", funcs + 2);
    let names = (0..funcs).map(|f| format!("$p{f}")).collect::<Vec<_>>();
    let _ = writeln!(
        text,
        "  (elem (i32.const 0) func {} $other)",
        names.join(" ")
    );
    let _ = writeln!(text, "  (elem $e func {})", names.join(" "));
    let _ = writeln!(text, "  (data $d \"\\01\\02\\03\\04\\05\\06\\07\\08\")");
    let _ = writeln!(text, "  (func $other (result i32) (i32.const 9))");
    for f in 0..funcs {
        let _ = writeln!(
            text,
            "  (func $p{f} (export \"p{f}\") (type $probe) (param $a i32) (param $v i64) (result i32) (local $acc i32)"
        );
        let ops = u.int_in_range(1..=MAX_OPS)?;
        for _ in 0..ops {
            let op = access(u)?;
            let _ = writeln!(text, "    (local.set $acc (i32.xor (local.get $acc) {op}))");
        }
        text.push_str("    (local.get $acc))\n");
    }
    text.push(')');
    Ok(text)
}

/// Generates a probe module; `Err` only if the input ran out.
pub fn generate(u: &mut Unstructured<'_>) -> arbitrary::Result<anyhow::Result<Vec<u8>>> {
    let text = generate_text(u)?;
    Ok(wat::parse_str(&text)
        .map_err(|e| anyhow::anyhow!("a probe module does not assemble: {e}\n{text}")))
}

/// One access as an expression of type `i32`.
fn access(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let offset = *u.choose(&OFFSETS)?;
    let bump = u.int_in_range(0..=7)?;
    let address = if bump == 0 {
        "(local.get $a)".to_owned()
    } else {
        format!("(i32.add (local.get $a) (i32.const {bump}))")
    };
    let at = format!("offset={offset} {address}");
    let v32 = "(i32.wrap_i64 (local.get $v))";
    let v64 = "(local.get $v)";
    let small = "(i32.and (i32.wrap_i64 (local.get $v)) (i32.const 15))";
    Ok(match u.int_in_range(0..=27)? {
        0 | 1 => format!("(memory.atomic.wait32 {at} {v32} (i64.const 0))"),
        2 | 3 => format!("(memory.atomic.wait64 {at} {v64} (i64.const 0))"),
        4 | 5 => format!("(memory.atomic.notify {at} {v32})"),
        6 => format!("(i32.atomic.rmw.add {at} {v32})"),
        7 => format!("(i32.wrap_i64 (i64.atomic.rmw.cmpxchg {at} {v64} (i64.const 7)))"),
        8 => format!("(i32.atomic.load16_u {at})"),
        9 => format!("(i32.atomic.store {at} {v32}) (i32.const 0)"),
        10 => format!("(i32.wrap_i64 (i64.atomic.rmw8.xchg_u {at} {v64}))"),
        11 => format!("(i32.store8 {at} {v32}) (i32.const 0)"),
        12 => format!("(memory.fill {address} {v32} {small}) (i32.const 0)"),
        13 => format!("(memory.copy {address} (i32.const {bump}) {small}) (i32.const 0)"),
        14 => format!("(memory.init $d {address} (i32.const {bump}) {small}) (i32.const 0)"),
        15 => format!("(table.init $t $e {address} (i32.const 0) (i32.const 1)) (i32.const 0)"),
        16 => format!("(table.copy $t $t {address} (i32.const 0) (i32.const 1)) (i32.const 0)"),
        17 => format!("(table.fill $t {address} (ref.null func) (i32.const 1)) (i32.const 0)"),
        18 => format!("(table.grow $t (ref.null func) {small})"),
        // Index 0.. are probes (recursion is bounded by the stack, an
        // explained exhaustion), `funcs` is `$other` (a type mismatch),
        // past it null entries, past the size undefined elements.
        19 => {
            format!("(call_indirect $t (type $probe) (i32.const {bump}) (local.get $v) {address})")
        }
        20 => format!("(i32.div_u (local.get $a) {small})"),
        // Within the table's 8 elements or past them; the reference is
        // `$other`, so a later `call_indirect` there mismatches.
        21 => format!("(table.set $t {address} (ref.func $other)) (i32.const 0)"),
        22 => format!("(ref.is_null (table.get $t {address}))"),
        // The memory's maximum is at most 2 pages, so most grows fail
        // (`-1`), and a later access sees the new length when one succeeds.
        23 => format!("(memory.grow {small})"),
        24 => format!("(i32.load16_s {at})"),
        25 => format!("(i32.wrap_i64 (i64.load32_u {at}))"),
        // Every bit pattern: NaNs trap as invalid conversions, large
        // magnitudes as overflows, the rest convert.
        26 => format!("(i32.trunc_f32_u (f32.reinterpret_i32 {v32}))"),
        _ => "(data.drop $d) (elem.drop $e) (i32.const 0)".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn probe_modules_assemble_and_validate() {
        let mut made = 0;
        seeds::for_each_input(100, 64..512, |data| {
            let mut u = Unstructured::new(data);
            let Ok(bytes) = generate(&mut u) else {
                return;
            };
            let bytes = bytes.expect("assembles");
            wasmparser::Validator::new_with_features(crate::smith::weft_features(true, false))
                .validate_all(&bytes)
                .expect("valid");
            made += 1;
        });
        assert!(made > 90, "only {made} probe modules");
    }
}
