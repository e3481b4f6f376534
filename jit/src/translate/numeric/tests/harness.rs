//! A tiny JIT for testing one numeric operator at a time.
//!
//! Each case becomes a native function `fn(args: *const u64, out: *mut u64)`:
//! it reads its operands (as raw bits) from `args`, runs the operator through
//! [`translate_numeric`], and writes the result bits to `out[0]` and the trap
//! code (0 for none) to `out[1]`. Passing everything as `u64` bits through
//! memory keeps the Rust side to one `extern "C"` type and keeps NaN payloads
//! intact, which a float return register would not promise.
//!
//! Every case is also compiled a second time with its operands as constants,
//! so that Cranelift's optimizer (constant folding in particular) sees the
//! same operator and must agree with the generated code.

use std::mem::ManuallyDrop;
use std::sync::OnceLock;

use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, UserFuncName, types};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use wasmparser::Operator;

use super::super::{TrapSink, translate_numeric};
use crate::trap::TrapCode;

/// A wasm value by type, floats as raw bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Val {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

impl Val {
    pub(super) fn f32(x: f32) -> Val {
        Val::F32(x.to_bits())
    }

    pub(super) fn f64(x: f64) -> Val {
        Val::F64(x.to_bits())
    }

    fn ty(self) -> ir::Type {
        match self {
            Val::I32(_) => types::I32,
            Val::I64(_) => types::I64,
            Val::F32(_) => types::F32,
            Val::F64(_) => types::F64,
        }
    }

    fn bits(self) -> u64 {
        match self {
            Val::I32(x) => u64::from(x as u32),
            Val::I64(x) => x as u64,
            Val::F32(x) => u64::from(x),
            Val::F64(x) => x,
        }
    }

    fn from_bits(ty: ir::Type, bits: u64) -> Val {
        match ty {
            types::I32 => Val::I32(bits as u32 as i32),
            types::I64 => Val::I64(bits as i64),
            types::F32 => Val::F32(bits as u32),
            types::F64 => Val::F64(bits),
            other => panic!("no wasm value of type {other}"),
        }
    }

    pub(super) fn is_nan(self) -> bool {
        match self {
            Val::F32(x) => f32::from_bits(x).is_nan(),
            Val::F64(x) => f64::from_bits(x).is_nan(),
            Val::I32(_) | Val::I64(_) => false,
        }
    }
}

/// What running one case gave.
pub(super) type Outcome = Result<Val, TrapCode>;

/// Where the operands come from in the compiled function.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operands {
    /// Loaded from memory at run time: the translator sees opaque values.
    Loaded,
    /// `iconst`/`fconst` in the function: the optimizer may fold.
    Constant,
}

/// One compiled case. Owns its code memory and frees it on drop.
pub(super) struct Compiled {
    module: ManuallyDrop<JITModule>,
    entry: extern "C" fn(*const u64, *mut u64),
    param_tys: Vec<ir::Type>,
    result_ty: ir::Type,
    trap_sites: usize,
}

impl Drop for Compiled {
    fn drop(&mut self) {
        // SAFETY: `entry` points into this module's memory and is dropped with
        // it; nothing else holds a pointer into the module, and `module` is
        // not used again after being taken here.
        unsafe { ManuallyDrop::take(&mut self.module).free_memory() };
    }
}

impl Compiled {
    /// Runs the compiled operator on `args`, which must have the types the
    /// case was compiled for.
    pub(super) fn call(&self, args: &[Val]) -> Outcome {
        let tys: Vec<ir::Type> = args.iter().map(|arg| arg.ty()).collect();
        // The code reads exactly these operands: fewer would read past `bits`.
        assert_eq!(tys, self.param_tys, "operands of the compiled types");
        let bits: Vec<u64> = args.iter().map(|arg| arg.bits()).collect();
        let mut out = [0u64; 2];
        (self.entry)(bits.as_ptr(), out.as_mut_ptr());
        match out[1] {
            0 => Ok(Val::from_bits(self.result_ty, out[0])),
            code => Err(TrapCode::from_u32(code as u32).expect("harness stores only trap codes")),
        }
    }
}

/// The host ISA, built once: building it probes CPU features.
pub(super) fn isa() -> OwnedTargetIsa {
    static ISA: OnceLock<OwnedTargetIsa> = OnceLock::new();
    ISA.get_or_init(|| {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").expect("known flag");
        flags.set("enable_verifier", "true").expect("known flag");
        flags.set("is_pic", "false").expect("known flag");
        flags
            .set("use_colocated_libcalls", "false")
            .expect("known flag");
        cranelift_native::builder()
            .expect("host is supported")
            .finish(settings::Flags::new(flags))
            .expect("valid flags")
    })
    .clone()
}

/// Sends a trap to the function's trap block, as the real translator does:
/// one cold block taking the code as a parameter.
/// Shared by the execution tests and the goldens.
pub(super) struct BlockTraps {
    pub(super) trap_block: ir::Block,
}

impl TrapSink for BlockTraps {
    fn trap_if(&mut self, builder: &mut FunctionBuilder, cond: ir::Value, code: TrapCode) {
        let code = builder.ins().iconst(types::I32, i64::from(code.as_u32()));
        let next = builder.create_block();
        builder
            .ins()
            .brif(cond, self.trap_block, &[code.into()], next, &[]);
        builder.switch_to_block(next);
    }
}

fn compile(op: &Operator, args: &[Val], operands: Operands, canonicalize_nans: bool) -> Compiled {
    let mut module = JITModule::new(JITBuilder::with_isa(isa(), default_libcall_names()));
    let pointer = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(pointer));
    sig.params.push(AbiParam::new(pointer));
    let id = module
        .declare_function("case", Linkage::Local, &sig)
        .expect("fresh module");

    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let mut fctx = FunctionBuilderContext::new();
    let result_ty;
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        let trap_block = b.create_block();
        b.set_cold_block(trap_block);
        b.append_block_params_for_function_params(entry);
        let code = b.append_block_param(trap_block, types::I32);
        b.switch_to_block(entry);
        let args_ptr = b.block_params(entry)[0];
        let out_ptr = b.block_params(entry)[1];
        let flags = MemFlagsData::trusted();

        let mut stack = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let value = match operands {
                Operands::Loaded => {
                    let offset = i32::try_from(i * 8).expect("few operands");
                    let raw = b.ins().load(types::I64, flags, args_ptr, offset);
                    from_i64(&mut b, arg.ty(), raw)
                }
                Operands::Constant => constant(&mut b, *arg),
            };
            stack.push(value);
        }

        let mut traps = BlockTraps { trap_block };
        translate_numeric(op, &mut b, &mut stack, &mut traps, canonicalize_nans)
            .unwrap_or_else(|e| panic!("{op:?} is numeric and its operands match: {e}"));
        assert_eq!(stack.len(), 1, "{op:?} leaves one result");
        let result = stack[0];
        result_ty = b.func.dfg.value_type(result);
        let raw = to_i64(&mut b, result);
        b.ins().store(flags, raw, out_ptr, 0);
        let zero = b.ins().iconst(types::I64, 0);
        b.ins().store(flags, zero, out_ptr, 8);
        b.ins().return_(&[]);

        b.switch_to_block(trap_block);
        let code = b.ins().uextend(types::I64, code);
        b.ins().store(flags, code, out_ptr, 8);
        b.ins().return_(&[]);

        b.seal_all_blocks();
        b.finalize(module.target_config());
    }
    module
        .define_function(id, &mut ctx)
        .unwrap_or_else(|e| panic!("{op:?} compiles: {e:?}"));
    let trap_sites = ctx
        .compiled_code()
        .expect("define_function compiled it")
        .buffer
        .traps()
        .len();
    module.finalize_definitions().expect("links");
    let code = module.get_finalized_function(id);
    // SAFETY: `code` is the finalized (executable) entry of the function just
    // defined with signature `(ptr, ptr)` and no returns in the host's default
    // calling convention, which is `extern "C"`.
    let entry =
        unsafe { std::mem::transmute::<*const u8, extern "C" fn(*const u64, *mut u64)>(code) };
    Compiled {
        module: ManuallyDrop::new(module),
        entry,
        param_tys: args.iter().map(|arg| arg.ty()).collect(),
        result_ty,
        trap_sites,
    }
}

/// Turns 64 loaded bits into a value of type `ty`.
fn from_i64(b: &mut FunctionBuilder, ty: ir::Type, raw: ir::Value) -> ir::Value {
    match ty {
        types::I64 => raw,
        types::I32 => b.ins().ireduce(types::I32, raw),
        types::F64 => b.ins().bitcast(types::F64, MemFlagsData::new(), raw),
        types::F32 => {
            let low = b.ins().ireduce(types::I32, raw);
            b.ins().bitcast(types::F32, MemFlagsData::new(), low)
        }
        other => panic!("no wasm value of type {other}"),
    }
}

/// Turns a result into 64 bits to store (zero-extended).
fn to_i64(b: &mut FunctionBuilder, value: ir::Value) -> ir::Value {
    match b.func.dfg.value_type(value) {
        types::I64 => value,
        types::I32 => b.ins().uextend(types::I64, value),
        types::F64 => b.ins().bitcast(types::I64, MemFlagsData::new(), value),
        types::F32 => {
            let bits = b.ins().bitcast(types::I32, MemFlagsData::new(), value);
            b.ins().uextend(types::I64, bits)
        }
        other => panic!("no wasm value of type {other}"),
    }
}

fn constant(b: &mut FunctionBuilder, arg: Val) -> ir::Value {
    match arg {
        Val::I32(x) => b.ins().iconst(types::I32, i64::from(x as u32)),
        Val::I64(x) => b.ins().iconst(types::I64, x),
        Val::F32(x) => b.ins().f32const(Ieee32::with_bits(x)),
        Val::F64(x) => b.ins().f64const(Ieee64::with_bits(x)),
    }
}

/// Runs `op` on `args` with NaN canonicalization off, both with loaded and
/// with constant operands, checks that the two agree (any NaN matches any
/// NaN: the optimizer may fold to a different NaN, which wasm allows), and
/// returns the loaded-operand outcome.
pub(super) fn run(op: Operator<'static>, args: &[Val]) -> Outcome {
    let loaded = compile(&op, args, Operands::Loaded, false).call(args);
    let folded = compile(&op, args, Operands::Constant, false).call(args);
    let agree = match (loaded, folded) {
        (Ok(a), Ok(b)) => a == b || (a.is_nan() && b.is_nan() && a.ty() == b.ty()),
        (a, b) => a == b,
    };
    assert!(
        agree,
        "{op:?}{args:?}: loaded operands gave {loaded:?}, constant operands {folded:?}"
    );
    loaded
}

/// Runs `op` on `args` with NaN canonicalization on (loaded operands).
pub(super) fn run_canonical(op: Operator<'static>, args: &[Val]) -> Outcome {
    compile(&op, args, Operands::Loaded, true).call(args)
}

/// Compiles `op` once for operands of the types of `args` (loaded at run
/// time), to be called on many inputs.
pub(super) fn compile_loaded(op: Operator<'static>, args: &[Val]) -> Compiled {
    compile(&op, args, Operands::Loaded, false)
}

/// How many potentially faulting instructions the machine code of `op` on
/// operands of these types contains (Cranelift's own trap sites).
pub(super) fn trap_sites(op: Operator<'static>, args: &[Val]) -> usize {
    compile(&op, args, Operands::Loaded, false).trap_sites
}
