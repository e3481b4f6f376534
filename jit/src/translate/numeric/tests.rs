//! Tests of the numeric translator: each operator is compiled by a tiny
//! harness JIT (`harness`) and run on the spec's edge cases; this file checks
//! the contract with the function translator and the "no faulting
//! instructions" promise.

mod convert;
mod float;
mod golden;
mod harness;
mod int;

use cranelift_codegen::ir::{self, InstBuilder, types};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wasmparser::{MemArg, MemArgTarget, Operator as O};

use super::{TrapSink, translate_numeric};
use crate::translate::error::{TranslateError, TranslateResult};
use crate::trap::TrapCode;
use harness::Val::{self, F32, F64, I32, I64};

/// A sink that records requests and emits nothing; for tests that never
/// compile the function.
#[derive(Default)]
struct RecordedTraps(Vec<TrapCode>);

impl TrapSink for RecordedTraps {
    fn trap_if(&mut self, _: &mut FunctionBuilder, _: ir::Value, code: TrapCode) {
        self.0.push(code);
    }
}

/// What [`translate_alone`] reports: the answer, the stack's types
/// afterwards, the number of instructions added and the traps asked for.
type Translated = (TranslateResult<()>, Vec<ir::Type>, usize, Vec<TrapCode>);

/// Runs `translate_numeric` on a fresh function whose stack holds opaque
/// values (block parameters) of `operand_tys`.
fn translate_alone(op: &O, operand_tys: &[ir::Type]) -> Translated {
    translate_on(op, |b, block| {
        operand_tys
            .iter()
            .map(|&ty| b.append_block_param(block, ty))
            .collect()
    })
}

/// Runs `translate_numeric` on a fresh function whose stack holds the
/// constants `operands`.
fn translate_with_constants(op: &O, operands: &[Val]) -> Translated {
    translate_on(op, |b, _| {
        operands
            .iter()
            .map(|&operand| match operand {
                I32(x) => b.ins().iconst(types::I32, i64::from(x as u32)),
                I64(x) => b.ins().iconst(types::I64, x),
                F32(x) => b.ins().f32const(f32::from_bits(x)),
                F64(x) => b.ins().f64const(f64::from_bits(x)),
            })
            .collect()
    })
}

fn translate_on(
    op: &O,
    operands: impl FnOnce(&mut FunctionBuilder, ir::Block) -> Vec<ir::Value>,
) -> Translated {
    let mut func = ir::Function::new();
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let block = b.create_block();
    b.switch_to_block(block);
    let mut stack = operands(&mut b, block);
    let before = b.func.dfg.num_insts();
    let mut traps = RecordedTraps::default();
    let answer = translate_numeric(op, &mut b, &mut stack, &mut traps, true);
    let added = b.func.dfg.num_insts() - before;
    let stack_tys = stack.iter().map(|&v| b.func.dfg.value_type(v)).collect();
    (answer, stack_tys, added, traps.0)
}

#[test]
fn other_operators_are_translator_bugs_and_emit_nothing() {
    let memarg = MemArg {
        align: 2,
        max_align: 2,
        offset: 0,
        target: MemArgTarget::Memory(0),
        ordering: None,
    };
    for op in [
        O::Nop,
        O::Drop,
        O::LocalGet { local_index: 0 },
        O::I32Load { memarg },
        O::I32AtomicLoad { memarg },
        O::MemoryGrow { mem: 0 },
        O::Select,
    ] {
        let (answer, stack, added, traps) = translate_alone(&op, &[types::I32, types::I32]);
        // The dispatch never routes these here: getting one is a bug in
        // weft, reported as such, not as something weft does not support.
        let Err(TranslateError::Internal(message)) = answer else {
            panic!("{op:?}: {answer:?}");
        };
        assert!(
            message.contains("routed to the numeric family"),
            "{message}"
        );
        assert_eq!(stack, [types::I32, types::I32], "{op:?} leaves the stack");
        assert_eq!(added, 0, "{op:?} emits nothing");
        assert!(traps.is_empty(), "{op:?}");
    }
}

#[test]
fn operands_are_popped_in_wasm_order() {
    // `i32.sub` of [5, 3] is 2, not -2: the top of the stack is the right
    // operand.
    assert_eq!(harness::run(O::I32Sub, &[I32(5), I32(3)]), Ok(I32(2)));
    let (answer, stack, _, _) = translate_alone(&O::I64Add, &[types::I32, types::I64, types::I64]);
    assert_eq!(answer, Ok(()));
    assert_eq!(stack, [types::I32, types::I64], "two popped, one pushed");
}

#[test]
fn missing_or_mistyped_operands_are_errors() {
    let (answer, _, _, _) = translate_alone(&O::I32Add, &[types::I32]);
    let err = answer.expect_err("one operand short");
    assert!(err.to_string().contains("operand stack is empty"), "{err}");

    let (answer, _, _, _) = translate_alone(&O::F64Sqrt, &[types::F32]);
    let err = answer.expect_err("wrong type");
    assert!(
        err.to_string().contains("f32") && err.to_string().contains("f64"),
        "{err}"
    );

    let (answer, _, _, _) = translate_alone(&O::I64ExtendI32U, &[]);
    assert!(
        matches!(answer, Err(TranslateError::Internal(_))),
        "a translator bug, not an unsupported operator: {answer:?}"
    );
}

#[test]
fn trapping_operators_ask_for_their_traps_in_spec_order() {
    use TrapCode::{BadConversionToInteger, IntegerDivisionByZero, IntegerOverflow};
    let cases: [(O, &[ir::Type], &[TrapCode]); 6] = [
        (
            O::I32DivS,
            &[types::I32, types::I32],
            &[IntegerDivisionByZero, IntegerOverflow],
        ),
        (
            O::I64DivU,
            &[types::I64, types::I64],
            &[IntegerDivisionByZero],
        ),
        (
            O::I64RemS,
            &[types::I64, types::I64],
            &[IntegerDivisionByZero],
        ),
        (
            O::I32RemU,
            &[types::I32, types::I32],
            &[IntegerDivisionByZero],
        ),
        (
            O::I32TruncF64U,
            &[types::F64],
            &[BadConversionToInteger, IntegerOverflow],
        ),
        (O::I64TruncSatF32S, &[types::F32], &[]),
    ];
    for (op, operands, want) in cases {
        let (answer, _, _, traps) = translate_alone(&op, operands);
        assert_eq!(answer, Ok(()), "{op:?}");
        assert_eq!(traps, want, "{op:?}");
    }
}

#[test]
fn constant_divisors_decide_their_guards_at_compile_time() {
    use TrapCode::{IntegerDivisionByZero, IntegerOverflow};
    let cases: [(O, [Val; 2], &[TrapCode]); 8] = [
        (O::I32DivS, [I32(7), I32(10)], &[]),
        (O::I32DivS, [I32(7), I32(-1)], &[IntegerOverflow]),
        (O::I32DivS, [I32(7), I32(0)], &[IntegerDivisionByZero]),
        (O::I64DivS, [I64(7), I64(-1)], &[IntegerOverflow]),
        (O::I64DivS, [I64(7), I64(i64::MIN)], &[]),
        (O::I32RemS, [I32(7), I32(-1)], &[]),
        (O::I64DivU, [I64(7), I64(-1)], &[]),
        (O::I32RemU, [I32(7), I32(0)], &[IntegerDivisionByZero]),
    ];
    for (op, operands, want) in cases {
        let (answer, _, _, traps) = translate_with_constants(&op, &operands);
        assert_eq!(answer, Ok(()), "{op:?}");
        assert_eq!(traps, want, "{op:?}{operands:?}");
    }
    // And the results stay right, including the traps that remain.
    assert_eq!(
        harness::run(O::I32DivS, &[I32(i32::MIN), I32(-1)]),
        Err(IntegerOverflow)
    );
    assert_eq!(harness::run(O::I64DivS, &[I64(-70), I64(10)]), Ok(I64(-7)));
    assert_eq!(
        harness::run(O::I32DivU, &[I32(-1), I32(10)]),
        Ok(I32(429_496_729))
    );
    assert_eq!(
        harness::run(O::I32RemS, &[I32(i32::MIN), I32(-1)]),
        Ok(I32(0))
    );
    assert_eq!(
        harness::run(O::I64RemU, &[I64(5), I64(0)]),
        Err(IntegerDivisionByZero)
    );
}

/// A sample operand list of the right types for each numeric operator, so
/// the audit below covers all of them.
fn every_numeric_operator() -> Vec<(O<'static>, Vec<Val>)> {
    let (i, l, f, d) = (I32(0), I64(0), F32(0), F64(0));
    let mut ops: Vec<(O<'static>, Vec<Val>)> = vec![
        (O::I32Const { value: 1 }, vec![]),
        (O::I64Const { value: 1 }, vec![]),
        (
            O::F32Const {
                value: 1.0f32.into(),
            },
            vec![],
        ),
        (
            O::F64Const {
                value: 1.0f64.into(),
            },
            vec![],
        ),
    ];
    let unary = |ops: &mut Vec<(O<'static>, Vec<Val>)>, arg: Val, list: Vec<O<'static>>| {
        ops.extend(list.into_iter().map(|op| (op, vec![arg])));
    };
    let binary = |ops: &mut Vec<(O<'static>, Vec<Val>)>, arg: Val, list: Vec<O<'static>>| {
        ops.extend(list.into_iter().map(|op| (op, vec![arg, arg])));
    };
    unary(
        &mut ops,
        i,
        vec![
            O::I32Eqz,
            O::I32Clz,
            O::I32Ctz,
            O::I32Popcnt,
            O::I32Extend8S,
            O::I32Extend16S,
            O::I64ExtendI32S,
            O::I64ExtendI32U,
            O::F32ConvertI32S,
            O::F32ConvertI32U,
            O::F64ConvertI32S,
            O::F64ConvertI32U,
            O::F32ReinterpretI32,
        ],
    );
    unary(
        &mut ops,
        l,
        vec![
            O::I64Eqz,
            O::I64Clz,
            O::I64Ctz,
            O::I64Popcnt,
            O::I64Extend8S,
            O::I64Extend16S,
            O::I64Extend32S,
            O::I32WrapI64,
            O::F32ConvertI64S,
            O::F32ConvertI64U,
            O::F64ConvertI64S,
            O::F64ConvertI64U,
            O::F64ReinterpretI64,
        ],
    );
    unary(
        &mut ops,
        f,
        vec![
            O::F32Abs,
            O::F32Neg,
            O::F32Ceil,
            O::F32Floor,
            O::F32Trunc,
            O::F32Nearest,
            O::F32Sqrt,
            O::I32TruncF32S,
            O::I32TruncF32U,
            O::I64TruncF32S,
            O::I64TruncF32U,
            O::I32TruncSatF32S,
            O::I32TruncSatF32U,
            O::I64TruncSatF32S,
            O::I64TruncSatF32U,
            O::F64PromoteF32,
            O::I32ReinterpretF32,
        ],
    );
    unary(
        &mut ops,
        d,
        vec![
            O::F64Abs,
            O::F64Neg,
            O::F64Ceil,
            O::F64Floor,
            O::F64Trunc,
            O::F64Nearest,
            O::F64Sqrt,
            O::I32TruncF64S,
            O::I32TruncF64U,
            O::I64TruncF64S,
            O::I64TruncF64U,
            O::I32TruncSatF64S,
            O::I32TruncSatF64U,
            O::I64TruncSatF64S,
            O::I64TruncSatF64U,
            O::F32DemoteF64,
            O::I64ReinterpretF64,
        ],
    );
    binary(
        &mut ops,
        i,
        vec![
            O::I32Eq,
            O::I32Ne,
            O::I32LtS,
            O::I32LtU,
            O::I32GtS,
            O::I32GtU,
            O::I32LeS,
            O::I32LeU,
            O::I32GeS,
            O::I32GeU,
            O::I32Add,
            O::I32Sub,
            O::I32Mul,
            O::I32DivS,
            O::I32DivU,
            O::I32RemS,
            O::I32RemU,
            O::I32And,
            O::I32Or,
            O::I32Xor,
            O::I32Shl,
            O::I32ShrS,
            O::I32ShrU,
            O::I32Rotl,
            O::I32Rotr,
        ],
    );
    binary(
        &mut ops,
        l,
        vec![
            O::I64Eq,
            O::I64Ne,
            O::I64LtS,
            O::I64LtU,
            O::I64GtS,
            O::I64GtU,
            O::I64LeS,
            O::I64LeU,
            O::I64GeS,
            O::I64GeU,
            O::I64Add,
            O::I64Sub,
            O::I64Mul,
            O::I64DivS,
            O::I64DivU,
            O::I64RemS,
            O::I64RemU,
            O::I64And,
            O::I64Or,
            O::I64Xor,
            O::I64Shl,
            O::I64ShrS,
            O::I64ShrU,
            O::I64Rotl,
            O::I64Rotr,
        ],
    );
    binary(
        &mut ops,
        f,
        vec![
            O::F32Eq,
            O::F32Ne,
            O::F32Lt,
            O::F32Gt,
            O::F32Le,
            O::F32Ge,
            O::F32Add,
            O::F32Sub,
            O::F32Mul,
            O::F32Div,
            O::F32Min,
            O::F32Max,
            O::F32Copysign,
        ],
    );
    binary(
        &mut ops,
        d,
        vec![
            O::F64Eq,
            O::F64Ne,
            O::F64Lt,
            O::F64Gt,
            O::F64Le,
            O::F64Ge,
            O::F64Add,
            O::F64Sub,
            O::F64Mul,
            O::F64Div,
            O::F64Min,
            O::F64Max,
            O::F64Copysign,
        ],
    );
    ops
}

#[test]
fn only_division_leaves_faulting_instructions() {
    // DESIGN.md: with our own checks in front, the only machine
    // instructions that can still fault are the divide instructions (whose
    // faults our guards make unreachable). Conversions in particular must
    // compile without a single trap site.
    let ops = every_numeric_operator();
    assert_eq!(
        ops.len(),
        4 + 13 * 2 + 17 * 2 + 25 * 2 + 13 * 2,
        "all operators listed"
    );
    for (op, args) in ops {
        let sites = harness::trap_sites(op.clone(), &args);
        let is_division = matches!(
            op,
            O::I32DivS
                | O::I32DivU
                | O::I32RemS
                | O::I32RemU
                | O::I64DivS
                | O::I64DivU
                | O::I64RemS
                | O::I64RemU
        );
        if is_division {
            assert!(sites <= 2, "{op:?} has {sites} trap sites");
        } else {
            assert_eq!(sites, 0, "{op:?} can fault");
        }
    }
}
