//! Calls: `call` and `call_indirect`.
//!
//! Every call, to a defined or an imported function, loads the callee's
//! code pointer and context from a `VMFuncRef` (inline in the `VMContext`
//! for `call`, from a table for `call_indirect`), passes arguments through
//! the caller's values area and checks the returned trap code, propagating
//! a non-zero one. One path for both kinds of callee keeps functions
//! independent of each other at compile time, which is what lets them be
//! compiled in parallel with no relocations between them.

use cranelift_codegen::ir::{self, InstBuilder, condcodes::IntCC, types};
use wasmparser::Operator;

use weft_core::vm::{VMFUNC_REF_CODE_OFFSET, VMFUNC_REF_TYPE_ID_OFFSET, VMFUNC_REF_VMCTX_OFFSET};

use super::numeric::TrapSink;
use super::{FuncTranslator, slot_offset, trusted};
use crate::trap::TrapCode;
use crate::types::FuncType;

impl FuncTranslator<'_, '_> {
    /// Returns `Ok(false)` if `op` is not a call operator.
    pub(super) fn translate_call(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        match *op {
            Operator::Call { function_index } => {
                if function_index >= self.env.offsets.num_funcs() {
                    return Err("function index out of range (translator bug)".into());
                }
                let ty = self.env.info.func_type(function_index).clone();
                let funcref = self.builder.ins().iadd_imm_s(
                    self.vmctx,
                    i64::from(self.env.offsets.func_ref(function_index)),
                );
                self.call_funcref(&ty, funcref)?;
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = self
                    .env
                    .info
                    .types
                    .get(type_index as usize)
                    .ok_or("type index out of range (translator bug)")?
                    .clone();
                let expected = self.env.info.type_ids[type_index as usize];
                let index = self.pop()?;
                let funcref = self.table_element(table_index, index, TrapCode::UndefinedElement)?;
                let is_null = self.builder.ins().icmp_imm_u(IntCC::Equal, funcref, 0);
                self.traps
                    .trap_if(&mut self.builder, is_null, TrapCode::IndirectCallToNull);
                let actual = self.builder.ins().load(
                    types::I32,
                    trusted().with_readonly(),
                    funcref,
                    VMFUNC_REF_TYPE_ID_OFFSET as i32,
                );
                let mismatch =
                    self.builder
                        .ins()
                        .icmp_imm_u(IntCC::NotEqual, actual, i64::from(expected));
                self.traps
                    .trap_if(&mut self.builder, mismatch, TrapCode::BadSignature);
                self.call_funcref(&ty, funcref)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Calls through a `*const VMFuncRef` with signature `ty`: arguments
    /// from the operand stack, results back onto it.
    fn call_funcref(&mut self, ty: &FuncType, funcref: ir::Value) -> Result<(), String> {
        let pointer = self.env.pointer;
        let code = self.builder.ins().load(
            pointer,
            trusted().with_readonly(),
            funcref,
            VMFUNC_REF_CODE_OFFSET as i32,
        );
        let callee_vmctx = self.builder.ins().load(
            pointer,
            trusted().with_readonly(),
            funcref,
            VMFUNC_REF_VMCTX_OFFSET as i32,
        );
        let args = self.pop_n(ty.params().len())?;
        let area = self.call_area(ty.value_slots());
        for (i, a) in args.into_iter().enumerate() {
            self.builder.ins().store(trusted(), a, area, slot_offset(i));
        }
        let sig = self.wasm_sig();
        let call = self
            .builder
            .ins()
            .call_indirect(sig, code, &[callee_vmctx, self.vmctx, area]);
        let trap = self.builder.inst_results(call)[0];
        self.traps.propagate_if_nonzero(&mut self.builder, trap);
        for (i, r) in ty.results().iter().enumerate() {
            let v = self
                .builder
                .ins()
                .load(r.clif(pointer), trusted(), area, slot_offset(i));
            self.stack.push(v);
        }
        Ok(())
    }
}
