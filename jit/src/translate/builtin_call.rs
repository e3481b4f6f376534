//! Calls from generated code into the runtime's builtins.
//!
//! A builtin is named by its index ([`Builtin`]), never by an address: the
//! call loads the builtin table's pointer from the `VMContext` header, the
//! entry at the builtin's index from the table, and calls it indirectly with
//! the caller's `vmctx` first. What comes back is checked here, by the
//! row's [`BuiltinResult`], so no call site decodes a result on its own.

use cranelift_codegen::ir::{self, InstBuilder, condcodes::IntCC, types};

use super::error::{TranslateError, TranslateResult};
use super::{FuncTranslator, trusted};
use crate::builtins::{Builtin, BuiltinResult};

impl FuncTranslator<'_, '_> {
    /// Calls `builtin` with `args` (after the caller's `vmctx`) and checks
    /// its result: a trap code is raised if non-zero; a value-or-trap raises
    /// a negative result and yields the `i32` value otherwise. Returns the
    /// value, for the builtins that have one.
    pub(super) fn call_builtin(
        &mut self,
        builtin: Builtin,
        args: &[ir::Value],
    ) -> Option<ir::Value> {
        let sig = self.builtin_signature(builtin);
        let pointer = self.env.pointer;
        let flags = trusted().with_readonly();
        let table = self.builder.ins().load(
            pointer,
            flags,
            self.vmctx,
            self.env.offsets.builtin_functions() as i32,
        );
        let callee = self.builder.ins().load(
            pointer,
            flags,
            table,
            self.env.offsets.builtin_function(builtin.index()) as i32,
        );
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = self.builder.ins().call_indirect(sig, callee, &all);
        let result = self.builder.inst_results(call).first().copied();
        match (builtin.result(), result) {
            (BuiltinResult::TrapCode, Some(code)) => {
                self.traps.raise_if_nonzero(&mut self.builder, code);
                None
            }
            (BuiltinResult::ValueOrTrap, Some(result)) => Some(self.split_value_or_trap(result)),
            // The signature follows the kind: no result, nothing to check.
            (BuiltinResult::None, _) | (_, None) => None,
        }
    }

    /// Calls `builtin`, which yields a value, and pushes the value.
    pub(super) fn push_builtin_value(
        &mut self,
        builtin: Builtin,
        args: &[ir::Value],
    ) -> TranslateResult<()> {
        let value = self
            .call_builtin(builtin, args)
            .ok_or_else(|| TranslateError::internal(format!("{builtin:?} yields no value")))?;
        self.stack.push(value);
        Ok(())
    }

    /// Splits an `i64` "value or negated trap code": raises the trap if
    /// negative, and yields the low 32 bits, the operator's `i32` result.
    fn split_value_or_trap(&mut self, result: ir::Value) -> ir::Value {
        let b = &mut self.builder;
        let negative = b.ins().icmp_imm_s(IntCC::SignedLessThan, result, 0);
        let code = b.ins().ineg(result);
        let code = b.ins().ireduce(types::I32, code);
        let zero = b.ins().iconst(types::I32, 0);
        let code = b.ins().select(negative, code, zero);
        self.traps.raise_if_nonzero(&mut self.builder, code);
        self.builder.ins().ireduce(types::I32, result)
    }

    /// The signature reference for `builtin`, imported on first use.
    fn builtin_signature(&mut self, builtin: Builtin) -> ir::SigRef {
        if let Some(&(_, sig)) = self.builtin_sigs.iter().find(|(b, _)| *b == builtin) {
            return sig;
        }
        let sig = self
            .builder
            .import_signature(builtin.signature(self.env.pointer, self.env.call_conv));
        self.builtin_sigs.push((builtin, sig));
        sig
    }
}
