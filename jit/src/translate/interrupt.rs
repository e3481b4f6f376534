//! Epoch/interrupt checks and fuel charges (`docs/interruption.md`).
//!
//! Both are explicit code, emitted only when the engine's `Config` asks:
//! with `epoch_interruption` and `consume_fuel` off, nothing here emits an
//! instruction and generated code is what it was without this module.
//!
//! - The **epoch check**, at function entry (after the stack check) and at
//!   every loop header: `epoch >= deadline` through the two pointers of the
//!   `VMStoreContext`, then a cold call of the `epoch_interrupt` builtin,
//!   which traps (`interrupt`) or runs the deadline callback. An interrupt
//!   sets the deadline to 0, so this one compare serves both.
//! - The **fuel charge**, at the start of every segment of straight-line
//!   code: each segment costs its operator count (see [`segment_costs`]),
//!   subtracted from `VMStoreContext::fuel` on entry, trapping
//!   `all fuel consumed by WebAssembly` with the fuel unchanged when less
//!   is left.

use cranelift_codegen::ir::{InstBuilder, condcodes::IntCC, types};
use wasmparser::{FunctionBody, Operator};

use weft_core::vm::{
    VMSTORE_CONTEXT_EPOCH_COUNTER_OFFSET, VMSTORE_CONTEXT_EPOCH_DEADLINE_OFFSET,
    VMSTORE_CONTEXT_FUEL_OFFSET,
};

use super::trap::TrapSink;
use super::{FuncTranslator, trusted};
use crate::builtins::Builtin;
use crate::error::Result;
use crate::trap::TrapCode;

/// Whether `op` ends a fuel segment: every operator that can transfer
/// control or is a branch target's edge. Calls do not: the callee charges
/// its own segments and control comes back to the next operator.
pub(crate) fn ends_segment(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable
    )
}

/// The cost of each segment of `body`, in order: the operators from the
/// segment's first through the next one that [`ends_segment`] (or the end
/// of the body). The last entry, after the body's final `end`, is 0.
pub(crate) fn segment_costs(body: &FunctionBody<'_>) -> Result<Vec<u64>> {
    let mut reader = body.get_operators_reader()?;
    let mut costs = Vec::new();
    let mut current = 0u64;
    while !reader.eof() {
        let op = reader.read()?;
        current += 1;
        if ends_segment(&op) {
            costs.push(current);
            current = 0;
        }
    }
    costs.push(current);
    Ok(costs)
}

impl FuncTranslator<'_, '_> {
    /// The check at function entry; then the first segment's charge.
    pub(super) fn entry_checks(&mut self) {
        if self.env.epoch_interruption {
            self.epoch_check();
        }
        self.start_segment();
    }

    /// After each operator: an operator that ends a segment starts the
    /// next one (charged if reachable); a loop's header gets an epoch check
    /// first.
    pub(super) fn interrupt_after_operator(&mut self, op: &Operator<'_>) {
        if !ends_segment(op) {
            return;
        }
        if self.env.epoch_interruption && self.reachable && matches!(op, Operator::Loop { .. }) {
            self.epoch_check();
        }
        self.start_segment();
    }

    /// Consumes the next segment's cost and charges it if control can get
    /// here.
    fn start_segment(&mut self) {
        if !self.env.consume_fuel {
            return;
        }
        let cost = self.fuel_costs.get(self.next_segment).copied().unwrap_or(0);
        self.next_segment += 1;
        if cost == 0 || !self.reachable {
            return;
        }
        let fuel = self.builder.ins().load(
            types::I64,
            trusted(),
            self.store_ctx,
            VMSTORE_CONTEXT_FUEL_OFFSET as i32,
        );
        // A body has fewer than 2^63 operators.
        let cost = i64::try_from(cost).unwrap_or(i64::MAX);
        let short = self
            .builder
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, fuel, cost);
        self.traps
            .trap_if(&mut self.builder, short, TrapCode::OutOfFuel);
        let left = self.builder.ins().iadd_imm_s(fuel, -cost);
        self.builder.ins().store(
            trusted(),
            left,
            self.store_ctx,
            VMSTORE_CONTEXT_FUEL_OFFSET as i32,
        );
    }

    /// `epoch >= deadline`, and if so the cold call that decides.
    fn epoch_check(&mut self) {
        let pointer = self.env.pointer;
        let counter = self.builder.ins().load(
            pointer,
            trusted().with_readonly(),
            self.store_ctx,
            VMSTORE_CONTEXT_EPOCH_COUNTER_OFFSET as i32,
        );
        let epoch = self.builder.ins().load(types::I64, trusted(), counter, 0);
        let deadline_ptr = self.builder.ins().load(
            pointer,
            trusted().with_readonly(),
            self.store_ctx,
            VMSTORE_CONTEXT_EPOCH_DEADLINE_OFFSET as i32,
        );
        let deadline = self
            .builder
            .ins()
            .load(types::I64, trusted(), deadline_ptr, 0);
        let reached = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
        let slow = self.builder.create_block();
        let cont = self.builder.create_block();
        self.builder.set_cold_block(slow);
        self.builder.ins().brif(reached, slow, &[], cont, &[]);
        self.builder.seal_block(slow);
        self.builder.switch_to_block(slow);
        self.call_builtin(Builtin::epoch_interrupt, &[]);
        // The deadline callback had the store: it may have grown a memory.
        self.reload_unshared_lengths();
        self.builder.ins().jump(cont, &[]);
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
    }
}
