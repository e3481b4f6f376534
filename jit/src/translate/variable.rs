//! Locals and globals.
//!
//! Locals are Cranelift variables (SSA construction is the frontend's job).
//! Globals live behind the `VMContext`'s global pointer table, imported or
//! not, so one load sequence serves both.

use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData};
use wasmparser::Operator;

use super::{FuncTranslator, trusted};
use crate::index::GlobalIndex;
use crate::translate::error::{TranslateError, TranslateResult, misrouted};

impl FuncTranslator<'_, '_> {
    fn local(&self, index: u32) -> TranslateResult<cranelift_frontend::Variable> {
        self.locals
            .get(index as usize)
            .map(|&(v, _)| v)
            .ok_or_else(|| TranslateError::internal(format!("local {index} out of range")))
    }

    /// Address of global `index`'s storage.
    fn global_addr(&mut self, index: GlobalIndex) -> TranslateResult<ir::Value> {
        let index = index.as_u32();
        if index >= self.env.offsets.num_globals() {
            return Err(TranslateError::internal(format!(
                "global {index} out of range"
            )));
        }
        let offset = self.env.offsets.global_pointer(index);
        Ok(self.builder.ins().load(
            self.env.pointer,
            trusted().with_readonly(),
            self.vmctx,
            offset as i32,
        ))
    }

    /// Translates `op`, a variable operator.
    pub(super) fn translate_variable(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        match *op {
            Operator::LocalGet { local_index } => {
                let var = self.local(local_index)?;
                let v = self.builder.use_var(var);
                self.stack.push(v);
            }
            Operator::LocalSet { local_index } => {
                let var = self.local(local_index)?;
                let v = self.pop()?;
                self.builder.def_var(var, v);
            }
            Operator::LocalTee { local_index } => {
                let var = self.local(local_index)?;
                let v = *self.peek_n(1)?.first().expect("peek_n(1) has one value");
                self.builder.def_var(var, v);
            }
            Operator::GlobalGet { global_index } => {
                let global_index = GlobalIndex::from_u32(global_index);
                let ty = self
                    .env
                    .info
                    .globals
                    .get(global_index)
                    .ok_or_else(|| TranslateError::internal("global out of range"))?
                    .content
                    .clif(self.env.pointer);
                let addr = self.global_addr(global_index)?;
                let v = self.builder.ins().load(ty, global_flags(), addr, 0);
                self.stack.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop()?;
                let addr = self.global_addr(GlobalIndex::from_u32(global_index))?;
                self.builder.ins().store(global_flags(), v, addr, 0);
            }
            _ => return Err(misrouted("variable", op)),
        }
        Ok(())
    }
}

/// Globals are runtime-owned, aligned and always mapped; they may change
/// across calls, so they are not read-only.
fn global_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}
