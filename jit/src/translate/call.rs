//! Calls: `call` and `call_indirect`.
//!
//! `call` of a function defined in the same module calls its body directly
//! (see the calling conventions in the parent module): the same `vmctx`,
//! the arguments and results in registers. Every other call (an import,
//! `call_indirect`) loads the callee's array entry and context from a
//! `VMFuncRef` (inline in the `VMContext` for an import, from a table for
//! `call_indirect`) and passes arguments through the caller's values area,
//! since the callee may be a host function or another module's. Either way
//! the caller checks the returned trap code and propagates a non-zero one.
//! Bodies refer to each other only through relocations that cranelift-jit
//! resolves when the module is placed, so they still compile in parallel.

use cranelift_codegen::ir::{self, InstBuilder, condcodes::IntCC, types};
use wasmparser::Operator;

use weft_core::vm::{VMFUNC_REF_CODE_OFFSET, VMFUNC_REF_TYPE_ID_OFFSET, VMFUNC_REF_VMCTX_OFFSET};

use super::trap::TrapSink;
use super::{FuncTranslator, slot_offset, trusted};
use crate::index::{DefinedFuncIndex, FuncIndex, TableIndex, TypeIndex};
use crate::translate::error::{TranslateError, TranslateResult, misrouted};
use crate::trap::TrapCode;
use crate::types::FuncType;

impl FuncTranslator<'_, '_> {
    /// Translates `op`, a call operator.
    pub(super) fn translate_call(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        match *op {
            Operator::Call { function_index } => {
                let func = FuncIndex::from_u32(function_index);
                if func.as_u32() >= self.env.offsets.num_funcs() {
                    return Err(TranslateError::internal("function index out of range"));
                }
                let ty = self.env.info.func_type(func).clone();
                if let Some(defined) = self.env.info.defined_func_index(func) {
                    if self.inline_call(func, defined, &ty)? {
                        return Ok(());
                    }
                    return self.call_body(func, defined, &ty);
                }
                let funcref = self.builder.ins().iadd_imm_s(
                    self.vmctx,
                    i64::from(self.env.offsets.func_ref(func.as_u32())),
                );
                self.call_funcref(&ty, funcref)?;
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                let type_index = TypeIndex::from_u32(type_index);
                let ty = self
                    .env
                    .info
                    .types
                    .get(type_index)
                    .ok_or_else(|| TranslateError::internal("type index out of range"))?
                    .clone();
                let expected = self.env.info.type_ids[type_index];
                let index = self.pop()?;
                let table = TableIndex::from_u32(table_index);
                let funcref = self.table_element(table, index, TrapCode::UndefinedElement)?;
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
            _ => return Err(misrouted("call", op)),
        }
        Ok(())
    }

    /// Calls the body of defined function `defined` (module-level index
    /// `func`) directly: arguments from the operand stack, results back
    /// onto it.
    fn call_body(
        &mut self,
        func: FuncIndex,
        defined: DefinedFuncIndex,
        ty: &FuncType,
    ) -> TranslateResult<()> {
        let callee = self.direct_callee(func, defined, ty)?;
        let mut args = vec![self.vmctx];
        args.extend(self.pop_n(ty.params().len())?);
        let call = self.builder.ins().call(callee, &args);
        let returned = self.builder.inst_results(call).to_vec();
        self.traps
            .propagate_if_nonzero(&mut self.builder, returned[0]);
        self.stack.extend_from_slice(&returned[1..]);
        if self.env.may_grow_memory.get(defined) != Some(&false) {
            self.reload_unshared_lengths();
        }
        Ok(())
    }

    /// The function reference for calling `defined`'s body, imported into
    /// this function once. Not `colocated`: cranelift-jit's default memory
    /// provider may place two functions farther apart than a 32-bit
    /// displacement reaches, so the call is an absolute address in a
    /// register.
    fn direct_callee(
        &mut self,
        func: FuncIndex,
        defined: DefinedFuncIndex,
        ty: &FuncType,
    ) -> TranslateResult<ir::FuncRef> {
        if let Some(&callee) = self.direct_callees.get(&func) {
            return Ok(callee);
        }
        let id = *self
            .env
            .body_ids
            .get(defined)
            .ok_or_else(|| TranslateError::internal("defined function index out of range"))?;
        let name = self
            .builder
            .func
            .declare_imported_user_function(ir::UserExternalName::new(0, id));
        let signature = self.builder.import_signature(self.env.body_signature(ty));
        let callee = self.builder.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature,
            colocated: false,
            patchable: false,
        });
        self.direct_callees.insert(func, callee);
        Ok(callee)
    }

    /// Calls through a `*const VMFuncRef` with signature `ty`: arguments
    /// from the operand stack, results back onto it.
    fn call_funcref(&mut self, ty: &FuncType, funcref: ir::Value) -> TranslateResult<()> {
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
        // The callee, wasm or host, may have grown an unshared memory.
        self.reload_unshared_lengths();
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
