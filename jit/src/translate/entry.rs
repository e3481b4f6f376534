//! Array entries: the `extern "C" fn(callee_vmctx, caller_vmctx, values)
//! -> trap_code` face of a defined function, which is what its `VMFuncRef`
//! points at (see the calling conventions in the parent module).
//!
//! An entry loads the parameters from the values area, calls the body with
//! them in registers, stores the results back (zeros after a trap, which
//! no caller reads) and returns the body's trap code. It needs no stack
//! check of its own: the body it calls checks at once, and the room the
//! runtime keeps below the limit counts the largest entry frame on top of
//! the largest body frame (`compile::CompiledModule::max_frame_bytes`).

use cranelift_codegen::ir::{self, InstBuilder};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

use super::{TranslateEnv, slot_offset, trusted};
use crate::index::FuncIndex;

/// Builds the array entry of defined function `func_index`, whose body is
/// the user function `body_id`, into `func`.
pub(crate) fn translate_array_entry(
    env: &TranslateEnv<'_>,
    func_index: FuncIndex,
    body_id: u32,
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
) {
    let ty = env.info.func_type(func_index);
    func.signature = env.wasm_signature();
    let mut builder = FunctionBuilder::new(func, fctx);
    let entry = builder.create_block();
    builder.append_block_params_for_function_params(entry);
    builder.switch_to_block(entry);
    builder.seal_block(entry);
    let callee_vmctx = builder.block_params(entry)[0];
    let values = builder.block_params(entry)[2];

    let mut args = vec![callee_vmctx];
    for (i, p) in ty.params().iter().enumerate() {
        let v = builder
            .ins()
            .load(p.clif(env.pointer), trusted(), values, slot_offset(i));
        args.push(v);
    }
    let name = builder
        .func
        .declare_imported_user_function(ir::UserExternalName::new(0, body_id));
    let signature = builder.import_signature(env.body_signature(ty));
    let body = builder.import_function(ir::ExtFuncData {
        name: ir::ExternalName::user(name),
        signature,
        // As for direct calls: the body may be placed out of a 32-bit
        // displacement's reach.
        colocated: false,
        patchable: false,
    });
    let call = builder.ins().call(body, &args);
    let returned = builder.inst_results(call).to_vec();
    for (i, &r) in returned[1..].iter().enumerate() {
        builder.ins().store(trusted(), r, values, slot_offset(i));
    }
    builder.ins().return_(&returned[..1]);
    builder.finalize(env.frontend);
}
