//! `differential`: a wasm-smith module on weft's JIT and on the reference
//! interpreter, every export called with arguments drawn from the input,
//! results, traps, globals, memories and tables compared after each call.
//!
//! The module (see [`smith::differential_config`]) has threads and shared
//! memories on, bulk memory, reference types, multi-value, sign extension
//! and saturating conversions, fixed-width SIMD; memories bounded and small; NaNs
//! canonicalized (so float bits are compared exactly); fuel from
//! `ensure_termination` so every call ends; waits bounded to a zero timeout
//! ([`smith::bound_waits`]). The comparison itself is
//! [`weft_verify::diff`]; stack or resource exhaustion ends a run without a
//! verdict.

use anyhow::bail;
use arbitrary::Unstructured;
use weft_verify::diff::{Arg, DiffConfig, Differential, Setup, Verdict};
use weft_verify::interp::ValType;

use crate::smith;

/// The most calls per module: the fuel is shared by all of them anyway.
const MAX_CALLS: usize = 24;

/// Checks one input; see the module docs.
pub fn run(u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    let Ok(config) = smith::differential_config(u) else {
        return Ok(());
    };
    let Ok(generated) = smith::generate(config, u, Some(smith::DIFF_FUEL)) else {
        return Ok(());
    };
    let bytes = generated?;
    check(&bytes, u)
}

/// Runs `bytes` on both engines, calling exports as `u` says.
pub fn check(bytes: &[u8], u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    let report = |m: &dyn std::fmt::Display, calls: &[String]| {
        let text =
            wasmprinter::print_bytes(bytes).unwrap_or_else(|e| format!("(unprintable: {e})"));
        format!("{m}\ncalls so far: {calls:?}\nmodule:\n{text}")
    };
    // Half the runs are metered, with a small tank: then both engines must
    // agree on the fuel left after every call and on where it runs out.
    let fuel = match u.arbitrary::<u8>() {
        Ok(b) if b & 1 == 1 => Some(u64::from(u.arbitrary::<u16>().unwrap_or(0))),
        _ => None,
    };
    let config = DiffConfig {
        exact_nans: true,
        fuel,
    };
    let mut diff = match Differential::start(bytes, config) {
        Ok(Setup::Ready(diff)) => diff,
        Ok(Setup::Skipped(_)) => return Ok(()),
        Err(m) => bail!(report(&m, &[])),
    };
    if diff.functions().is_empty() {
        return Ok(());
    }
    let mut calls = Vec::new();
    for _ in 0..MAX_CALLS {
        if u.is_empty() {
            break;
        }
        let Ok(index) = u.choose_index(diff.functions().len()) else {
            break;
        };
        let func = diff.functions()[index].clone();
        let args = func.params.iter().map(|t| arg(u, *t)).collect::<Vec<_>>();
        calls.push(format!("{}({args:?})", func.name));
        match diff.call(&func.name, &args) {
            Ok(Verdict::Agree) => {}
            Ok(Verdict::Inconclusive(_)) => return Ok(()),
            Err(m) => bail!(report(&m, &calls)),
        }
    }
    Ok(())
}

/// An argument of type `ty`: mostly edge values, which find more than
/// uniform ones (zero, ones, extremes, values near a page boundary).
fn arg(u: &mut Unstructured<'_>, ty: ValType) -> Arg {
    let pick = |u: &mut Unstructured<'_>, edges: &[u64]| -> u64 {
        if u.ratio(1, 2).unwrap_or(true) {
            *u.choose(edges).unwrap_or(&0)
        } else {
            u.arbitrary().unwrap_or(0)
        }
    };
    const INT_EDGES: [u64; 10] = [
        0,
        1,
        2,
        7,
        u64::MAX,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000 - 4,
        0x8000_0000_0000_0000,
    ];
    match ty {
        ValType::I32 => Arg::I32(pick(u, &INT_EDGES) as i32),
        ValType::I64 => Arg::I64(pick(u, &INT_EDGES) as i64),
        ValType::F32 => {
            let edges = [
                0,
                0x8000_0000,
                0x3f80_0000,
                0x7f80_0000,
                0xff80_0000,
                0x7fc0_0000,
                0x4f00_0000,
                0xcf00_0000,
            ];
            Arg::F32(pick(u, &edges) as u32)
        }
        ValType::F64 => {
            let edges = [
                0,
                1 << 63,
                0x3ff0_0000_0000_0000,
                0x7ff0_0000_0000_0000,
                0x7ff8_0000_0000_0000,
                0x41e0_0000_0000_0000,
                0xc3e0_0000_0000_0000,
            ];
            Arg::F64(pick(u, &edges))
        }
        // Vectors: a lane-pattern edge (each 32-bit lane the same f32 or
        // integer edge) or arbitrary bits.
        ValType::V128 => {
            let lane = pick(
                u,
                &[0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x7fc0_0000],
            );
            if u.ratio(1, 2).unwrap_or(true) {
                Arg::V128(u128::from(lane as u32) * 0x0000_0001_0000_0001_0000_0001_0000_0001)
            } else {
                Arg::V128(u.arbitrary().unwrap_or(0))
            }
        }
        ValType::Ref(r) if r.is_extern_ref() => Arg::NullExternRef,
        ValType::Ref(_) => Arg::NullFuncRef,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn seeded_inputs_agree() {
        seeds::for_each_input(300, 256..4096, |data| {
            if let Err(finding) = run(&mut Unstructured::new(data)) {
                panic!("{finding:#}");
            }
        });
    }
}
