//! The translator: wasm operators to Cranelift IR, one module per
//! instruction family.
//!
//! One [`FuncTranslator`] per function holds the `FunctionBuilder`, the
//! operand and control stacks and the function's `FuncValidator`; every
//! operator is validated first, then translated, so the translator only
//! ever sees valid code and its stacks stay in step with the validator's.
//!
//! Calling conventions (see `docs/jit.md`). Each defined function is
//! compiled twice over:
//!
//! - its **body**, `fn(vmctx, params...) -> (trap_code, results...)`, with
//!   the wasm values in registers (the platform's convention; many results
//!   go through a hidden return area). `call` of a function defined in the
//!   same module calls the body directly;
//! - its **array entry**, `extern "C" fn(callee_vmctx, caller_vmctx,
//!   values: *mut [u128]) -> u32`, which loads the parameters from `values`
//!   (one 16-byte slot per value, so that a `v128` fits, the value in its
//!   natural width at the slot's start), calls the body and stores the results back. It is what
//!   a `VMFuncRef` points at, so the host, `call_indirect`, imports and
//!   exports all use one convention, host functions included.
//!
//! Either way the trap code is `0` for a normal return; every call site
//! checks it and propagates it; nothing unwinds.

mod access;
mod atomic;
mod bounds;
mod builtin_call;
mod call;
mod control;
mod dispatch;
mod entry;
mod error;
#[cfg(test)]
mod golden;
mod inline;
pub(crate) mod interrupt;
mod loop_versioning;
mod memory;
mod memory_growth;
pub(crate) mod numeric;
mod reference;
mod simd;
mod table;
#[cfg(test)]
mod tests;
mod trap;
mod variable;
mod versioned_loop;

use cranelift_codegen::ir::{
    self, AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    condcodes::IntCC, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_entity::PrimaryMap;
use cranelift_frontend::{FunctionBuilder, Variable};
use wasmparser::{FuncValidator, ValidatorResources};

use weft_core::vm::{VMCTX_STORE_OFFSET, VMOffsets, VMSTORE_CONTEXT_STACK_LIMIT_OFFSET};

use crate::builtins::Builtin;
use crate::engine::Engine;
use crate::environ::{ModuleInfo, PendingFuncs};
use crate::error::{Error, Result};
use crate::index::{DefinedFuncIndex, FuncIndex, MemoryIndex};
use crate::trap::TrapCode;
use crate::types::{FuncType, ValType};

pub(crate) use self::entry::translate_array_entry;

use self::control::Frame;
use self::error::{TranslateResult, underflow};
use self::loop_versioning::AddressFunction;
use self::trap::{TrapExit, TrapSink};

/// Module-wide facts every function translation needs.
pub(crate) struct TranslateEnv<'m> {
    pub(crate) info: &'m ModuleInfo,
    pub(crate) offsets: VMOffsets,
    pub(crate) pointer: ir::Type,
    pub(crate) call_conv: CallConv,
    pub(crate) canonicalize_nans: bool,
    pub(crate) frontend: cranelift_codegen::isa::TargetFrontendConfig,
    /// The `FuncId` (a namespace-0 user name) of each defined function's
    /// body, by defined index: the target of direct calls. Bodies are the
    /// first functions `compile` declares, in order, so this is `0..n`.
    pub(crate) body_ids: PrimaryMap<DefinedFuncIndex, u32>,
    /// By defined index: whether calling the function may grow a memory
    /// (see `memory_growth`); after a call to one that cannot, cached
    /// lengths stay valid.
    pub(crate) may_grow_memory: PrimaryMap<DefinedFuncIndex, bool>,
    /// Compile epoch/interrupt checks (`Config::epoch_interruption`).
    pub(crate) epoch_interruption: bool,
    /// Compile fuel charges (`Config::consume_fuel`).
    pub(crate) consume_fuel: bool,
    /// `Config::bounds_check_fusion` (see `bounds`).
    pub(crate) bounds_check_fusion: bool,
    /// `Config::loop_versioning`.
    pub(crate) loop_versioning: bool,
    /// By defined index, with loop versioning on: the functions whose
    /// body is one address expression of their parameters.
    pub(crate) address_functions: PrimaryMap<DefinedFuncIndex, Option<AddressFunction>>,
    /// `Config::inlining`.
    pub(crate) inlining: bool,
    /// By defined index: the functions a direct call may inline (see
    /// `inline`); none with inlining off or fuel on.
    pub(crate) inline_callees: PrimaryMap<DefinedFuncIndex, Option<inline::InlineCallee<'m>>>,
}

impl<'m> TranslateEnv<'m> {
    /// The environment for compiling `pending`, the defined functions of
    /// `info`, on `engine`.
    pub(crate) fn new(engine: &Engine, info: &'m ModuleInfo, pending: &PendingFuncs<'m>) -> Self {
        let isa = engine.isa();
        let may_grow_memory = if info.memories.values().any(|m| !m.shared) {
            let bodies: Vec<_> = pending.values().map(|p| &p.body).collect();
            memory_growth::may_grow_memory(
                info.counts.imported_funcs,
                &bodies,
                engine.config().features(),
            )
        } else {
            // Only unshared lengths are cached across calls.
            vec![true; pending.len()].into()
        };
        let address_functions = pending
            .iter()
            .map(|(defined, p)| {
                let ty = info.func_type(info.func_index(defined));
                engine
                    .config()
                    .loop_versioning
                    .then(|| loop_versioning::address_function(ty.params(), ty.results(), &p.body))
                    .flatten()
            })
            .collect();
        TranslateEnv {
            info,
            offsets: info.offsets(),
            pointer: isa.pointer_type(),
            call_conv: isa.default_call_conv(),
            canonicalize_nans: engine.config().canonicalize_nans,
            frontend: isa.frontend_config(),
            body_ids: (0..pending.len() as u32).collect(),
            may_grow_memory,
            epoch_interruption: engine.config().epoch_interruption,
            consume_fuel: engine.config().consume_fuel,
            bounds_check_fusion: engine.config().bounds_check_fusion,
            loop_versioning: engine.config().loop_versioning,
            address_functions,
            inlining: engine.config().inlining,
            inline_callees: if engine.config().inlining && !engine.config().consume_fuel {
                inline::inline_callees(pending)
            } else {
                PrimaryMap::new()
            },
        }
    }

    /// The signature of a function body of type `ty`: `vmctx`, then the
    /// parameters; the trap code, then the results.
    pub(crate) fn body_signature(&self, ty: &FuncType) -> Signature {
        let mut sig = Signature::new(self.call_conv);
        sig.params.push(AbiParam::new(self.pointer)); // vmctx
        sig.params.extend(
            ty.params()
                .iter()
                .map(|p| AbiParam::new(p.clif(self.pointer))),
        );
        sig.returns.push(AbiParam::new(types::I32)); // trap code
        sig.returns.extend(
            ty.results()
                .iter()
                .map(|r| AbiParam::new(r.clif(self.pointer))),
        );
        sig
    }

    /// The signature of every array entry (and host trampoline).
    pub(crate) fn wasm_signature(&self) -> Signature {
        let mut sig = Signature::new(self.call_conv);
        sig.params.push(AbiParam::new(self.pointer)); // callee vmctx
        sig.params.push(AbiParam::new(self.pointer)); // caller vmctx
        sig.params.push(AbiParam::new(self.pointer)); // values
        sig.returns.push(AbiParam::new(types::I32)); // trap code
        sig
    }
}

/// Flags for loads and stores of runtime data that cannot fault: the
/// `VMContext`, definitions, the values area.
fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// The cached view of one linear memory inside a function.
#[derive(Clone, Copy)]
struct MemoryCache {
    /// `*mut VMMemoryDefinition`, loaded at entry (it never changes).
    definition: ir::Value,
    /// The memory's base; weft-core never moves it.
    base: ir::Value,
    /// A lower bound of `current_length`, since memories only grow. For an
    /// unshared memory it is the last length seen, and exact: only this
    /// thread can grow it, and only by `memory.grow` or inside a call,
    /// after each of which the translator reloads it. For a shared memory
    /// it is the declared minimum until `memory.size` reloads it, and no
    /// check reads it: they load the length afresh (`check_length`).
    length: Variable,
    /// Whether other threads can grow the memory at any moment.
    shared: bool,
    /// The declared minimum in bytes. Every memory this index can name is
    /// at least that long (instantiation checks imports against it) and
    /// never shrinks, so accesses below it need no check.
    minimum: u64,
}

/// Translates one function body.
pub(crate) struct FuncTranslator<'a, 'f> {
    builder: FunctionBuilder<'f>,
    env: &'a TranslateEnv<'a>,
    validator: FuncValidator<ValidatorResources>,
    func_index: FuncIndex,
    vmctx: ir::Value,
    /// The body's parameters as they arrive, until the prologue binds them
    /// to locals.
    entry_params: Vec<ir::Value>,
    /// The function's result types: a trap returns zeros of them.
    results: Vec<ValType>,
    store_ctx: ir::Value,
    locals: Vec<(Variable, ValType)>,
    stack: Vec<ir::Value>,
    control: Vec<Frame>,
    /// Whether the current position can execute.
    reachable: bool,
    /// Nesting depth of blocks opened while unreachable.
    unreachable_depth: u32,
    traps: TrapExit,
    memories: PrimaryMap<MemoryIndex, MemoryCache>,
    /// Per memory: whether the function uses its cache.
    memory_used: PrimaryMap<MemoryIndex, bool>,
    /// Per memory not (yet) used: the loads that fill its cache, removed at
    /// the end if it stays unused.
    memory_loads: PrimaryMap<MemoryIndex, Vec<ir::Inst>>,
    /// The values area for calls through a `VMFuncRef`, created by the
    /// first such call and sized at the end to the largest: functions
    /// without one (leaves, callers of bodies only) keep a smaller frame.
    call_area: Option<ir::StackSlot>,
    call_area_slots: u32,
    wasm_sig: Option<ir::SigRef>,
    /// Signatures of the builtins called so far (see `builtin_call`).
    builtin_sigs: Vec<(Builtin, ir::SigRef)>,
    /// Bodies this function calls directly, by module-level index.
    direct_callees: std::collections::HashMap<FuncIndex, ir::FuncRef>,
    /// With fuel on: the cost of each segment, in order (see `interrupt`).
    fuel_costs: Vec<u64>,
    /// The index in `fuel_costs` of the next segment to start.
    next_segment: usize,
    /// What earlier bounds checks proved (see `bounds`).
    checks: bounds::CheckCache,
    /// Whether the operator being translated is an access the range check
    /// of a versioned loop covers (see `versioned_loop`).
    covered_by_range_check: bool,
    /// What inlining keeps from one call site to the next.
    inline: inline::InlineState,
}

/// Translates function `func_index` into `func`.
pub(crate) fn translate_function(
    env: &TranslateEnv<'_>,
    func_index: FuncIndex,
    validator: FuncValidator<ValidatorResources>,
    body: &wasmparser::FunctionBody<'_>,
    func: &mut ir::Function,
    fctx: &mut cranelift_frontend::FunctionBuilderContext,
) -> Result<FuncValidator<ValidatorResources>> {
    translate_body(env, func_index, validator, body, func, fctx)
        .map_err(|e| e.in_function(func_index.as_u32()))
}

fn translate_body(
    env: &TranslateEnv<'_>,
    func_index: FuncIndex,
    mut validator: FuncValidator<ValidatorResources>,
    body: &wasmparser::FunctionBody<'_>,
    func: &mut ir::Function,
    fctx: &mut cranelift_frontend::FunctionBuilderContext,
) -> Result<FuncValidator<ValidatorResources>> {
    func.signature = env.body_signature(env.info.func_type(func_index));
    let builder = FunctionBuilder::new(func, fctx);
    let mut locals_reader = body.get_locals_reader()?;
    let mut local_decls = Vec::new();
    for _ in 0..locals_reader.get_count() {
        let offset = locals_reader.original_position();
        let (count, ty) = locals_reader.read()?;
        validator.define_locals(offset, count, ty)?;
        local_decls.push((count, ty, offset));
    }
    let features = *validator.features();
    let mut t = FuncTranslator::new(builder, env, validator, func_index);
    if env.consume_fuel {
        t.fuel_costs = interrupt::segment_costs(body)?;
    }
    t.prologue(&local_decls)?;
    t.entry_checks();
    // Decode with the module's features (the reader's default is "all"),
    // so that encodings only later proposals allow, such as a non-zero-byte
    // memory index, are malformed here as they are for the validator.
    let mut binary = body.get_binary_reader_for_operators()?;
    binary.set_features(features);
    let mut reader = wasmparser::OperatorsReader::new(binary);
    while !reader.eof() {
        t.translate_next(&mut reader)?;
    }
    reader.finish()?;
    Ok(t.finish(env))
}

impl<'a, 'f> FuncTranslator<'a, 'f> {
    fn new(
        mut builder: FunctionBuilder<'f>,
        env: &'a TranslateEnv<'a>,
        validator: FuncValidator<ValidatorResources>,
        func_index: FuncIndex,
    ) -> Self {
        let entry = builder.create_block();
        builder.append_block_params_for_function_params(entry);
        builder.switch_to_block(entry);
        builder.seal_block(entry);
        let vmctx = builder.block_params(entry)[0];
        let entry_params = builder.block_params(entry)[1..].to_vec();
        let results = env.info.func_type(func_index).results().to_vec();
        let store_ctx = builder.ins().load(
            env.pointer,
            trusted().with_readonly(),
            vmctx,
            VMCTX_STORE_OFFSET as i32,
        );
        FuncTranslator {
            builder,
            env,
            validator,
            func_index,
            vmctx,
            entry_params,
            results,
            store_ctx,
            locals: Vec::new(),
            stack: Vec::new(),
            control: Vec::new(),
            reachable: true,
            unreachable_depth: 0,
            traps: TrapExit::default(),
            memories: PrimaryMap::new(),
            memory_used: PrimaryMap::new(),
            memory_loads: PrimaryMap::new(),
            call_area: None,
            call_area_slots: 0,
            wasm_sig: None,
            builtin_sigs: Vec::new(),
            direct_callees: std::collections::HashMap::new(),
            fuel_costs: Vec::new(),
            next_segment: 0,
            checks: bounds::CheckCache::default(),
            covered_by_range_check: false,
            inline: inline::InlineState::default(),
        }
    }

    /// Reads, validates and translates the next operator; a versioned
    /// loop takes its whole body with it.
    fn translate_next(&mut self, reader: &mut wasmparser::OperatorsReader<'_>) -> Result<()> {
        let (op, offset) = reader.read_with_offset()?;
        self.validator.op(offset, &op)?;
        if self.translate_versioned_loop(&op, offset, reader)? {
            return Ok(());
        }
        self.translate(&op)
            .map_err(|e| e.at(self.func_index.as_u32(), offset))?;
        self.after_operator(&op);
        Ok(())
    }

    /// What follows every operator's translation on every path (this
    /// driver, both copies of a versioned loop): fuel segments and epoch
    /// checks, then the bounds-check cache's scopes. One function, so that
    /// no path can forget one of them.
    fn after_operator(&mut self, op: &wasmparser::Operator<'_>) {
        self.interrupt_after_operator(op);
        self.bounds_after_operator(op);
    }

    /// Stack check, parameters, locals, memory caches, the function frame.
    fn prologue(&mut self, local_decls: &[(u32, wasmparser::ValType, u64)]) -> Result<()> {
        let env = self.env;
        // Stack exhaustion is an explicit compare, never a guard-page fault.
        let sp = self.builder.ins().get_stack_pointer(env.pointer);
        let limit = self.builder.ins().load(
            env.pointer,
            trusted(),
            self.store_ctx,
            VMSTORE_CONTEXT_STACK_LIMIT_OFFSET as i32,
        );
        let exhausted = self.builder.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
        self.traps
            .trap_if(&mut self.builder, exhausted, TrapCode::StackOverflow);

        let ty = env.info.func_type(self.func_index).clone();
        let params = std::mem::take(&mut self.entry_params);
        for (&p, v) in ty.params().iter().zip(params) {
            self.push_local(p, v);
        }
        for &(count, wty, offset) in local_decls {
            let vt = ValType::from_wasm(wty).map_err(|e| Error::invalid(offset, e.to_string()))?;
            self.push_zeroed_locals(count, vt);
        }
        self.load_memory_caches();
        let ret = self.builder.create_block();
        for r in ty.results() {
            self.builder.append_block_param(ret, r.clif(env.pointer));
        }
        self.control.push(Frame::function(ret, ty.results().len()));
        Ok(())
    }

    /// Adds a local of type `ty` holding `value`.
    fn push_local(&mut self, ty: ValType, value: ir::Value) {
        let var = self.builder.declare_var(ty.clif(self.env.pointer));
        self.builder.def_var(var, value);
        self.locals.push((var, ty));
    }

    /// Adds `count` locals of type `ty`, each holding zero.
    fn push_zeroed_locals(&mut self, count: u32, ty: ValType) {
        for _ in 0..count {
            let zero = self.zero(ty);
            self.push_local(ty, zero);
        }
    }

    /// A zero of type `ty` (null for references).
    fn zero(&mut self, ty: ValType) -> ir::Value {
        let ins = self.builder.ins();
        match ty {
            ValType::I32 => ins.iconst(types::I32, 0),
            ValType::I64 => ins.iconst(types::I64, 0),
            ValType::F32 => ins.f32const(0.0),
            ValType::F64 => ins.f64const(0.0),
            ValType::V128 => simd::v128_const(&mut self.builder, 0),
            ValType::FuncRef | ValType::ExternRef => ins.iconst(self.env.pointer, 0),
        }
    }

    fn pop(&mut self) -> TranslateResult<ir::Value> {
        self.stack.pop().ok_or_else(underflow)
    }

    fn pop_n(&mut self, n: usize) -> TranslateResult<Vec<ir::Value>> {
        let at = self.stack.len().checked_sub(n).ok_or_else(underflow)?;
        Ok(self.stack.split_off(at))
    }

    fn peek_n(&self, n: usize) -> TranslateResult<&[ir::Value]> {
        let at = self.stack.len().checked_sub(n).ok_or_else(underflow)?;
        Ok(&self.stack[at..])
    }

    /// The signature reference for calls to wasm functions.
    fn wasm_sig(&mut self) -> ir::SigRef {
        if let Some(s) = self.wasm_sig {
            return s;
        }
        let s = self.builder.import_signature(self.env.wasm_signature());
        self.wasm_sig = Some(s);
        s
    }

    /// Address of the outgoing values area, grown to hold `slots` values.
    fn call_area(&mut self, slots: usize) -> ir::Value {
        let slots = u32::try_from(slots).expect("wasm limits keep signatures far below 2^32");
        self.call_area_slots = self.call_area_slots.max(slots);
        let slot = *self.call_area.get_or_insert_with(|| {
            self.builder.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                0,
                // 16-byte aligned, as `u128` slots are on the host side.
                VALUE_SLOT_BYTES.trailing_zeros() as u8,
            ))
        });
        self.builder.ins().stack_addr(self.env.pointer, slot, 0)
    }

    /// Returns trap code `code` with zeros for the results, which no caller
    /// reads (every call site checks the code first).
    fn return_trap(&mut self, code: ir::Value) {
        let mut values = vec![code];
        for r in self.results.clone() {
            values.push(self.zero(r));
        }
        self.builder.ins().return_(&values);
    }

    /// On the trap path: records this function in the store's trap
    /// backtrace, as where the trap starts (`raise`) or as a frame it
    /// passes through. A builtin call, not inline stores: the exits are
    /// cold and in every function, and the stores cost more to compile than
    /// the call (`docs/jit.md`, "A context too large to reuse, trap exits
    /// as calls")).
    fn record_trap_frame(&mut self, builtin: Builtin) {
        let func = self
            .builder
            .ins()
            .iconst(types::I32, i64::from(self.func_index.as_u32()));
        self.call_builtin(builtin, &[func]);
    }

    /// Fills the exits and seals the function.
    fn finish(mut self, env: &TranslateEnv<'_>) -> FuncValidator<ValidatorResources> {
        self.drop_unused_memory_loads();
        if let Some(slot) = self.call_area {
            self.builder.func.sized_stack_slots[slot].size =
                self.call_area_slots.max(1) * VALUE_SLOT_BYTES;
        }
        // First: inlined callees' exits may create `propagate`.
        self.fill_inlined_trap_exits();
        self.fill_trap_exits(None);
        self.builder.seal_all_blocks();
        self.builder.finalize(env.frontend);
        self.validator
    }

    /// Fills the trap exits in `self.traps`, on behalf of `self.func_index`:
    /// each records what it must and then leaves with the code, by
    /// returning it (`inlined_into: None`) or, for a body inlined into a
    /// caller, by jumping to that caller's `propagate` block, which goes on
    /// as after a call that returned the code.
    fn fill_trap_exits(&mut self, inlined_into: Option<ir::Block>) {
        // Filled first: it creates `raise` if no other trap did.
        if let Some(out_of_bounds) = self.traps.out_of_bounds {
            self.builder.switch_to_block(out_of_bounds);
            self.traps
                .raise(&mut self.builder, TrapCode::MemoryOutOfBounds);
        }
        if let Some(raise) = self.traps.raise {
            self.builder.switch_to_block(raise);
            let code = self.builder.block_params(raise)[0];
            self.record_trap_frame(Builtin::trap_raise);
            self.leave_with_trap(code, inlined_into);
        }
        if let Some(propagate) = self.traps.propagate {
            self.builder.switch_to_block(propagate);
            let code = self.builder.block_params(propagate)[0];
            self.record_trap_frame(Builtin::trap_propagate);
            self.leave_with_trap(code, inlined_into);
        }
    }

    /// The end of a trap exit: see [`Self::fill_trap_exits`].
    fn leave_with_trap(&mut self, code: ir::Value, inlined_into: Option<ir::Block>) {
        match inlined_into {
            None => self.return_trap(code),
            Some(propagate) => {
                self.builder
                    .ins()
                    .jump(propagate, &[ir::BlockArg::Value(code)]);
            }
        }
    }
}

/// Bytes of one slot of a values area: room for a `v128`.
pub(crate) const VALUE_SLOT_BYTES: u32 = 16;

/// Byte offset of value slot `i` in a values area.
fn slot_offset(i: usize) -> i32 {
    i32::try_from(i * VALUE_SLOT_BYTES as usize)
        .expect("wasm limits keep value counts far below 2^27")
}
