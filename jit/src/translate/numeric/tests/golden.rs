//! Golden CLIF for the numeric operators whose translation is more than one
//! instruction: the guarded divisions, the checked and saturating
//! conversions, NaN canonicalization. Each case is checked in under
//! `golden/<name>.clif` and compared by the shared harness
//! (`translate::golden`, as the whole-module goldens are); a change to what
//! the translator emits shows up in review as a diff of those files.
//! `WEFT_BLESS=1 cargo test -p weft translate::numeric` rewrites them.
//!
//! The function around the operator is minimal: its parameters are the
//! operands, it returns `(result, trap code)`, and its trap block returns a
//! zero result with the code, as the real translator's trap exit does.

use std::path::Path;

use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{self, AbiParam, InstBuilder, types};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wasmparser::Operator as O;

use super::super::translate_numeric;
use super::harness::BlockTraps;
use crate::translate::golden::check_golden;

/// An operand of a golden case: an opaque parameter or a constant.
#[derive(Clone, Copy)]
enum Operand {
    Param(ir::Type),
    ConstI32(i32),
}

/// The CLIF of `op` on `operands`, checked by Cranelift's verifier.
fn golden_clif(op: &O, operands: &[Operand], canonicalize_nans: bool) -> String {
    let mut func = ir::Function::new();
    // Fixed, so the golden text does not depend on the host.
    func.signature.call_conv = CallConv::SystemV;
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let entry = b.create_block();
    let trap_block = b.create_block();
    b.set_cold_block(trap_block);
    b.switch_to_block(entry);
    let mut stack = Vec::new();
    for operand in operands {
        let value = match *operand {
            Operand::Param(ty) => {
                b.func.signature.params.push(AbiParam::new(ty));
                b.append_block_param(entry, ty)
            }
            Operand::ConstI32(x) => b.ins().iconst(types::I32, i64::from(x as u32)),
        };
        stack.push(value);
    }
    let code = b.append_block_param(trap_block, types::I32);
    let mut traps = BlockTraps { trap_block };
    translate_numeric(op, &mut b, &mut stack, &mut traps, canonicalize_nans)
        .unwrap_or_else(|e| panic!("{op:?} is numeric and its operands match: {e}"));
    let result = stack.pop().expect("one result");
    let result_ty = b.func.dfg.value_type(result);
    b.func.signature.returns.push(AbiParam::new(result_ty));
    b.func.signature.returns.push(AbiParam::new(types::I32));
    let no_trap = b.ins().iconst(types::I32, 0);
    b.ins().return_(&[result, no_trap]);

    b.switch_to_block(trap_block);
    let zero = match result_ty {
        types::F32 => b.ins().f32const(Ieee32::with_bits(0)),
        types::F64 => b.ins().f64const(Ieee64::with_bits(0)),
        ty => b.ins().iconst(ty, 0),
    };
    b.ins().return_(&[zero, code]);
    b.seal_all_blocks();
    let isa = super::harness::isa();
    b.finalize(isa.frontend_config());

    cranelift_codegen::verify_function(&func, isa.as_ref())
        .unwrap_or_else(|e| panic!("{op:?}: invalid CLIF: {e}\n{}", func.display()));
    func.display().to_string()
}

#[test]
fn generated_clif_matches_the_golden_files() {
    use Operand::{ConstI32, Param};
    use types::{F32, F64, I32, I64};
    let cases: Vec<(&str, O<'static>, Vec<Operand>, bool)> = vec![
        ("i32_div_s", O::I32DivS, vec![Param(I32), Param(I32)], false),
        (
            "i32_div_s_by_10",
            O::I32DivS,
            vec![Param(I32), ConstI32(10)],
            false,
        ),
        (
            "i32_div_s_by_minus_1",
            O::I32DivS,
            vec![Param(I32), ConstI32(-1)],
            false,
        ),
        ("i64_rem_s", O::I64RemS, vec![Param(I64), Param(I64)], false),
        ("i64_div_u", O::I64DivU, vec![Param(I64), Param(I64)], false),
        ("i32_trunc_f32_s", O::I32TruncF32S, vec![Param(F32)], false),
        ("i32_trunc_f64_s", O::I32TruncF64S, vec![Param(F64)], false),
        ("i64_trunc_f64_u", O::I64TruncF64U, vec![Param(F64)], false),
        (
            "i32_trunc_sat_f32_u",
            O::I32TruncSatF32U,
            vec![Param(F32)],
            false,
        ),
        ("f32_min", O::F32Min, vec![Param(F32), Param(F32)], false),
        (
            "f32_min_canonical",
            O::F32Min,
            vec![Param(F32), Param(F32)],
            true,
        ),
        (
            "f64_nearest_canonical",
            O::F64Nearest,
            vec![Param(F64)],
            true,
        ),
        (
            "f64_copysign_canonical",
            O::F64Copysign,
            vec![Param(F64), Param(F64)],
            true,
        ),
        (
            "f32_demote_f64_canonical",
            O::F32DemoteF64,
            vec![Param(F64)],
            true,
        ),
        ("i32_lt_u", O::I32LtU, vec![Param(I32), Param(I32)], false),
        ("i64_extend8_s", O::I64Extend8S, vec![Param(I64)], false),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/translate/numeric/tests/golden");
    let cases = cases.into_iter().map(|(name, op, operands, canonicalize)| {
        let clif = golden_clif(&op, &operands, canonicalize);
        let text = format!(";; {op:?}, canonicalize_nans = {canonicalize}\n{clif}");
        (name.to_owned(), text)
    });
    check_golden(&dir, cases);
}
