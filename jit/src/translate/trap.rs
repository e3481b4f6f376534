//! Trap plumbing: how translated code leaves a function with a trap code.
//!
//! weft has no signal handlers (see `DESIGN.md`, "Traps without signals"):
//! every trap is an explicit branch to a cold exit block that records where
//! the trap happened and returns the code. [`TrapSink`] is the narrow view
//! the numeric family gets (it only needs "trap if"); [`TrapExit`] is the
//! function translator's implementation, which also owns the exits that
//! calls and bounds checks branch to.

use cranelift_codegen::ir::{self, Block, BlockArg, InstBuilder, types};
use cranelift_frontend::FunctionBuilder;

use crate::trap::TrapCode;

/// Where translated code sends a trap.
///
/// The function translator owns the trap exit (one cold block per function
/// that takes the code as a block parameter); numeric code only says when
/// and why to go there.
pub(crate) trait TrapSink {
    /// Emits "if `cond` != 0, leave the function with `code`" at the builder's
    /// current position and leaves the builder in the block where execution
    /// continues when `cond` is zero. `cond` may be any integer type.
    fn trap_if(&mut self, builder: &mut FunctionBuilder, cond: ir::Value, code: TrapCode);
}

/// Where traps leave the function. Two cold blocks, both taking the code as
/// a block parameter: `raise` records where the trap happened and returns,
/// `propagate` returns a code a callee already recorded. A third,
/// `out_of_bounds`, takes nothing and raises "out of bounds memory access":
/// the many bounds checks of a function branch there without each building
/// the code as a block argument.
#[derive(Default)]
pub(super) struct TrapExit {
    pub(super) raise: Option<Block>,
    pub(super) propagate: Option<Block>,
    pub(super) out_of_bounds: Option<Block>,
}

impl TrapExit {
    /// Whether any trap goes to these exits.
    pub(super) fn is_used(&self) -> bool {
        self.raise.is_some() || self.propagate.is_some() || self.out_of_bounds.is_some()
    }

    pub(super) fn raise_block(&mut self, builder: &mut FunctionBuilder) -> Block {
        cold_exit(&mut self.raise, builder, true)
    }

    pub(super) fn propagate_block(&mut self, builder: &mut FunctionBuilder) -> Block {
        cold_exit(&mut self.propagate, builder, true)
    }

    pub(super) fn out_of_bounds_block(&mut self, builder: &mut FunctionBuilder) -> Block {
        cold_exit(&mut self.out_of_bounds, builder, false)
    }

    /// Branches to `raise` with `code` (an `i32` value) if it is non-zero.
    pub(super) fn raise_if_nonzero(&mut self, builder: &mut FunctionBuilder, code: ir::Value) {
        let raise = self.raise_block(builder);
        exit_if(builder, code, raise, code);
    }

    /// Branches to `propagate` with `code` if it is non-zero.
    pub(super) fn propagate_if_nonzero(&mut self, builder: &mut FunctionBuilder, code: ir::Value) {
        let propagate = self.propagate_block(builder);
        exit_if(builder, code, propagate, code);
    }

    /// Leaves unconditionally with `code`.
    pub(super) fn raise(&mut self, builder: &mut FunctionBuilder, code: TrapCode) {
        let raise = self.raise_block(builder);
        let code = builder.ins().iconst(types::I32, i64::from(code.as_u32()));
        builder.ins().jump(raise, &[BlockArg::Value(code)]);
    }
}

impl TrapSink for TrapExit {
    fn trap_if(&mut self, builder: &mut FunctionBuilder, cond: ir::Value, code: TrapCode) {
        let raise = self.raise_block(builder);
        let code = builder.ins().iconst(types::I32, i64::from(code.as_u32()));
        exit_if(builder, cond, raise, code);
    }
}

/// The exit block in `slot`, created cold on first use, with an `i32`
/// parameter for the trap code if `takes_code`.
fn cold_exit(slot: &mut Option<Block>, builder: &mut FunctionBuilder, takes_code: bool) -> Block {
    *slot.get_or_insert_with(|| {
        let b = builder.create_block();
        if takes_code {
            builder.append_block_param(b, types::I32);
        }
        builder.set_cold_block(b);
        b
    })
}

/// Branches to `exit` with `code` if `cond` is non-zero and continues in a
/// new block otherwise.
fn exit_if(builder: &mut FunctionBuilder, cond: ir::Value, exit: Block, code: ir::Value) {
    let cont = builder.create_block();
    builder
        .ins()
        .brif(cond, exit, &[BlockArg::Value(code)], cont, &[]);
    builder.seal_block(cont);
    builder.switch_to_block(cont);
}
