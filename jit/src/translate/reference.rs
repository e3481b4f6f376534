//! Reference instructions: `ref.null`, `ref.is_null`, `ref.func`.
//!
//! References are pointer-sized: a funcref is a `*const VMFuncRef`, an
//! externref an encoded host reference, and null is zero for both.

use cranelift_codegen::ir::{InstBuilder, condcodes::IntCC, types};
use wasmparser::Operator;

use super::FuncTranslator;
use crate::index::FuncIndex;
use crate::translate::error::{TranslateError, TranslateResult, misrouted};

impl FuncTranslator<'_, '_> {
    /// Translates `op`, a reference operator.
    pub(super) fn translate_reference(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        match *op {
            Operator::RefNull { .. } => {
                let v = self.builder.ins().iconst(self.env.pointer, 0);
                self.stack.push(v);
            }
            Operator::RefIsNull => {
                let r = self.pop()?;
                let is_null = self.builder.ins().icmp_imm_u(IntCC::Equal, r, 0);
                let v = self.builder.ins().uextend(types::I32, is_null);
                self.stack.push(v);
            }
            Operator::RefFunc { function_index } => {
                let func = FuncIndex::from_u32(function_index);
                if func.as_u32() >= self.env.offsets.num_funcs() {
                    return Err(TranslateError::internal("function index out of range"));
                }
                let offset = self.env.offsets.func_ref(func.as_u32());
                let v = self.builder.ins().iadd_imm_s(self.vmctx, i64::from(offset));
                self.stack.push(v);
            }
            _ => return Err(misrouted("reference", op)),
        }
        Ok(())
    }
}
