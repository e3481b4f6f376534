//! Inlining of small leaf functions at their direct call sites
//! (`Config::inlining`; `docs/bounds-checks.md`, "Inlining of small leaf
//! functions").
//!
//! A `call` of a qualifying function defined in the same module is
//! translated by translating the callee's body in place, in the caller's
//! `FunctionBuilder`: its address arithmetic then meets the caller's values
//! and bounds checks (matmul's `$element` computes the address its caller
//! loads from). What a program does is the same either way, traps and their
//! backtraces included:
//!
//! - **Which callees** ([`inline_callees`]): defined in the module, at most
//!   [`MAX_OPERATORS`] operators, [`MAX_LOCALS`] declared locals and
//!   [`MAX_BODY_BYTES`] bytes, and nothing that calls (no `call`,
//!   `call_indirect` or builtin-backed operator such as `memory.fill` or
//!   `memory.atomic.wait32`), loops or grows a memory. So the callee runs a
//!   bounded number of instructions, needs no epoch check and no stack
//!   check of its own (its frame is gone; the caller's may grow by its
//!   spills, and the stack floor counts every compiled frame), and leaves
//!   the caller's cached memory lengths exact. With fuel on, nothing is
//!   inlined: fuel is charged per function body's segments
//!   (`docs/interruption.md`), and that count must not change.
//! - **Validation**: the body is validated with its own `FuncValidator`
//!   before anything is emitted; an invalid body is called instead, so that
//!   its own translation reports the error, at its own index, as without
//!   inlining.
//! - **Translation**: the callee gets fresh locals (its parameters bound to
//!   the arguments, the rest zero), its own operand and control stacks with
//!   one outer block whose end takes the results (`return` branches there,
//!   `br` depths count the callee's frames only) and its own trap exits.
//! - **Traps**: the callee's `raise` records the callee as the trapping
//!   function and as the backtrace's frame 0, exactly what its own body
//!   would, then joins the caller's `propagate` path, which appends the
//!   caller, as after a real call that returned a trap code.

use cranelift_codegen::ir;
use cranelift_entity::PrimaryMap;
use wasmparser::{
    FuncToValidate, FuncValidatorAllocations, FunctionBody, Operator, ValidatorResources,
    WasmFeatures,
};

use super::FuncTranslator;
use super::control::Frame;
use super::dispatch::{Family, family};
use super::error::{TranslateError, TranslateResult};
use super::trap::TrapExit;
use crate::environ::PendingFuncs;
use crate::index::{DefinedFuncIndex, FuncIndex};
use crate::types::{FuncType, ValType};

/// The most operators (the final `end` included) a callee may have. The
/// knee of the measured curve (`docs/bounds-checks.md`): on sql.js, 64
/// takes 549 of the 656 calls of leaves, and doubling it adds only 72; on
/// ffmpeg the inlined operators double with each doubling past 64.
pub(crate) const MAX_OPERATORS: usize = 64;

/// The most bytes a callee's body (locals included) may have: not a
/// budget (the largest leaf of at most [`MAX_OPERATORS`] operators in
/// sql.js, esbuild and ffmpeg has 274 bytes) but a bound on what a single
/// operator can carry, such as the targets of a `br_table`.
pub(crate) const MAX_BODY_BYTES: u64 = 512;

/// The most locals a callee may declare besides its parameters: each
/// costs a variable and a zero at every call site, and a body of
/// [`MAX_OPERATORS`] operators cannot use more.
pub(crate) const MAX_LOCALS: u32 = MAX_OPERATORS as u32;

/// A defined function that qualifies for inlining: its body, and what it
/// takes to validate that body on its own.
pub(crate) struct InlineCallee<'a> {
    body: FunctionBody<'a>,
    resources: ValidatorResources,
    /// Its core function index and type index, as its `FuncToValidate`
    /// names them.
    index: u32,
    type_index: u32,
    features: WasmFeatures,
}

/// By defined index, the functions that qualify for inlining (see the
/// module docs); `None` for every other.
pub(crate) fn inline_callees<'a>(
    pending: &PendingFuncs<'a>,
) -> PrimaryMap<DefinedFuncIndex, Option<InlineCallee<'a>>> {
    pending
        .values()
        .map(|p| {
            let v = &p.validator;
            qualifies(&p.body, v.features).then(|| InlineCallee {
                body: p.body.clone(),
                resources: v.resources.clone(),
                index: v.index,
                type_index: v.ty,
                features: v.features,
            })
        })
        .collect()
}

/// Whether `body` is small enough, and free of what inlining cannot keep
/// exact: calls, loops, memory growth, operators weft does not translate,
/// local types it does not support. A body that does not decode does not
/// qualify (its own translation reports it).
fn qualifies(body: &FunctionBody<'_>, features: WasmFeatures) -> bool {
    let range = body.range();
    if range.end.saturating_sub(range.start) > MAX_BODY_BYTES {
        return false;
    }
    let Ok(mut locals) = body.get_locals_reader() else {
        return false;
    };
    let mut declared = 0u32;
    for _ in 0..locals.get_count() {
        let Ok((count, ty)) = locals.read() else {
            return false;
        };
        declared = declared.saturating_add(count);
        if declared > MAX_LOCALS || ValType::from_wasm(ty).is_err() {
            return false;
        }
    }
    let Ok(mut binary) = body.get_binary_reader_for_operators() else {
        return false;
    };
    binary.set_features(features);
    let mut reader = wasmparser::OperatorsReader::new(binary);
    let mut operators = 0;
    while !reader.eof() {
        operators += 1;
        match reader.read() {
            Ok(op) if operators <= MAX_OPERATORS && inlinable(&op) => {}
            _ => return false,
        }
    }
    true
}

/// Whether `op` may appear in an inlined body: it neither calls (a wasm
/// function or a runtime builtin), nor loops, nor grows a memory, and weft
/// translates it.
fn inlinable(op: &Operator<'_>) -> bool {
    use Operator as O;
    match family(op) {
        Family::Call | Family::Unsupported(_) => false,
        _ => !matches!(
            op,
            O::Loop { .. }
                | O::MemoryGrow { .. }
                | O::MemoryFill { .. }
                | O::MemoryCopy { .. }
                | O::MemoryInit { .. }
                | O::DataDrop { .. }
                | O::TableGrow { .. }
                | O::TableFill { .. }
                | O::TableCopy { .. }
                | O::TableInit { .. }
                | O::ElemDrop { .. }
                | O::MemoryAtomicWait32 { .. }
                | O::MemoryAtomicWait64 { .. }
                | O::MemoryAtomicNotify { .. }
        ),
    }
}

/// Per caller: what inlining reuses from one call site to the next.
#[derive(Default)]
pub(super) struct InlineState {
    /// Validation allocations, reused by every callee's validator.
    allocations: FuncValidatorAllocations,
    /// Every callee considered so far, in the order of first call (so
    /// that the exits are filled in a deterministic order).
    callees: Vec<Considered>,
}

/// A callee this caller has called.
struct Considered {
    defined: DefinedFuncIndex,
    func: FuncIndex,
    /// Whether its body validated; if not, it is called, not inlined.
    valid: bool,
    /// Its trap exits, shared by all its inlined copies in this caller and
    /// filled when the caller is finished.
    traps: TrapExit,
}

/// The caller's translation state, put aside while a callee's body is
/// translated in its place.
struct Caller {
    func_index: FuncIndex,
    locals: Vec<(cranelift_frontend::Variable, ValType)>,
    stack: Vec<ir::Value>,
    control: Vec<Frame>,
    traps: TrapExit,
    /// The caller's bounds-check cache. The callee starts with an empty
    /// one and its facts are dropped on return: a check inside the callee
    /// need not dominate the code after the call (a conditional `return`),
    /// and a check open before the call must not be widened by a callee
    /// access, whose trap names the callee.
    checks: super::bounds::CheckCache,
}

impl FuncTranslator<'_, '_> {
    /// Translates `call func` (defined index `defined`, type `ty`) by
    /// inlining its body, if it qualifies and validates; returns whether
    /// it did (if not, nothing was emitted).
    pub(super) fn inline_call(
        &mut self,
        func: FuncIndex,
        defined: DefinedFuncIndex,
        ty: &FuncType,
    ) -> TranslateResult<bool> {
        let env = self.env;
        if !env.inlining || func == self.func_index {
            return Ok(false);
        }
        let Some(Some(callee)) = env.inline_callees.get(defined) else {
            return Ok(false);
        };
        let considered = self.considered(func, defined, callee);
        if !self.inline.callees[considered].valid {
            return Ok(false);
        }
        let args = self.pop_n(ty.params().len())?;
        let caller = self.enter_callee(considered, ty, args, callee)?;
        self.translate_callee_body(callee)?;
        self.leave_callee(considered, caller)?;
        Ok(true)
    }

    /// The index in `self.inline.callees` of `defined` (module index
    /// `func`), validated with a validator of its own on its first call.
    fn considered(
        &mut self,
        func: FuncIndex,
        defined: DefinedFuncIndex,
        callee: &InlineCallee<'_>,
    ) -> usize {
        let callees = &self.inline.callees;
        if let Some(i) = callees.iter().position(|c| c.defined == defined) {
            return i;
        }
        let mut validator = FuncToValidate {
            resources: callee.resources.clone(),
            index: callee.index,
            ty: callee.type_index,
            features: callee.features,
        }
        .into_validator(std::mem::take(&mut self.inline.allocations));
        let valid = validator.validate(&callee.body).is_ok();
        self.inline.allocations = validator.into_allocations();
        self.inline.callees.push(Considered {
            defined,
            func,
            valid,
            traps: TrapExit::default(),
        });
        self.inline.callees.len() - 1
    }

    /// Puts the caller's state aside and sets up the callee's: its locals
    /// (parameters bound to `args`, declared locals zero), empty stacks
    /// under one outer block for its results, and the callee's trap exits.
    fn enter_callee(
        &mut self,
        considered: usize,
        ty: &FuncType,
        args: Vec<ir::Value>,
        callee: &InlineCallee<'_>,
    ) -> TranslateResult<Caller> {
        let entry = &mut self.inline.callees[considered];
        let caller = Caller {
            func_index: std::mem::replace(&mut self.func_index, entry.func),
            locals: std::mem::take(&mut self.locals),
            stack: std::mem::take(&mut self.stack),
            control: std::mem::take(&mut self.control),
            traps: std::mem::replace(&mut self.traps, std::mem::take(&mut entry.traps)),
            checks: std::mem::take(&mut self.checks),
        };
        for (&p, v) in ty.params().iter().zip(args) {
            self.push_local(p, v);
        }
        let mut locals = callee.body.get_locals_reader().map_err(internal)?;
        for _ in 0..locals.get_count() {
            let (count, ty) = locals.read().map_err(internal)?;
            let ty = ValType::from_wasm(ty).map_err(internal)?;
            self.push_zeroed_locals(count, ty);
        }
        let end = self.block_with_params(ty.results());
        self.control
            .push(Frame::inlined_body(end, ty.results().len()));
        Ok(caller)
    }

    /// Translates the callee's operators, up to and including its final
    /// `end`, which leaves its results on the (callee's) operand stack.
    fn translate_callee_body(&mut self, callee: &InlineCallee<'_>) -> TranslateResult<()> {
        let mut binary = callee
            .body
            .get_binary_reader_for_operators()
            .map_err(internal)?;
        binary.set_features(callee.features);
        let mut reader = wasmparser::OperatorsReader::new(binary);
        while !reader.eof() {
            let op = reader.read().map_err(internal)?;
            self.translate(&op)?;
            self.after_operator(&op);
        }
        Ok(())
    }

    /// Keeps the callee's trap exits for [`Self::fill_inlined_trap_exits`]
    /// and gives the caller its state back, with the callee's results on
    /// its operand stack. The caller goes on where the callee's body
    /// ended: reachable exactly if that end is (a callee that always traps
    /// makes the rest of the caller's block dead, as `unreachable` would).
    fn leave_callee(&mut self, considered: usize, caller: Caller) -> TranslateResult<()> {
        if !self.control.is_empty() {
            return Err(TranslateError::internal("inlined body left open blocks"));
        }
        let results = std::mem::take(&mut self.stack);
        self.inline.callees[considered].traps = std::mem::replace(&mut self.traps, caller.traps);
        self.func_index = caller.func_index;
        self.locals = caller.locals;
        self.control = caller.control;
        self.checks = caller.checks;
        self.stack = caller.stack;
        self.stack.extend(results);
        Ok(())
    }

    /// When the caller is finished: fills each inlined callee's trap exits
    /// on the callee's behalf (it is the trapping function and the
    /// backtrace's innermost frame), ending in the caller's `propagate`.
    pub(super) fn fill_inlined_trap_exits(&mut self) {
        for i in 0..self.inline.callees.len() {
            let entry = &mut self.inline.callees[i];
            if !entry.traps.is_used() {
                continue;
            }
            let callee_traps = std::mem::take(&mut entry.traps);
            let callee = entry.func;
            let propagate = self.traps.propagate_block(&mut self.builder);
            let caller_traps = std::mem::replace(&mut self.traps, callee_traps);
            let caller = std::mem::replace(&mut self.func_index, callee);
            self.fill_trap_exits(Some(propagate));
            self.traps = caller_traps;
            self.func_index = caller;
        }
    }
}

/// A failure to re-read a body that already validated: a weft bug.
fn internal(e: impl std::fmt::Display) -> TranslateError {
    TranslateError::internal(format!("inlined body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the one function of `(module (memory 1) FUNC)` qualifies.
    fn qualifies_wat(func: &str) -> bool {
        let wat = format!("(module (memory 1) (table 1 funcref) {func})");
        let bytes = wat::parse_str(&wat).expect("valid text");
        let body = wasmparser::Parser::new(0)
            .parse_all(&bytes)
            .find_map(|p| match p.expect("valid module") {
                wasmparser::Payload::CodeSectionEntry(body) => Some(body),
                _ => None,
            })
            .expect("one body");
        qualifies(&body, WasmFeatures::default())
    }

    #[test]
    fn small_leaves_qualify() {
        for func in [
            "(func (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))",
            "(func (param i32) (result i32) (i32.load offset=8 (local.get 0)))",
            "(func (param i32) (if (local.get 0) (then (unreachable))))",
            "(func (result i32) (memory.size))",
            "(func (param i32) (result i32) (local i64 f64) (block (br_if 0 (local.get 0))) (i32.const 1))",
        ] {
            assert!(qualifies_wat(func), "{func}");
        }
    }

    #[test]
    fn calls_loops_growth_and_size_disqualify() {
        let sum = |n: usize| {
            let mut body = String::from("(i32.const 0)");
            for _ in 0..n {
                body = format!("(i32.add {body} (i32.const 1))");
            }
            format!("(func (result i32) {body})")
        };
        // `n` additions are `2n + 1` operators, plus the final `end`.
        assert!(qualifies_wat(&sum(31)), "64 operators");
        let targets = "0 ".repeat(600);
        for func in [
            sum(32),
            "(func $f (call $f))".to_owned(),
            "(func (call_indirect (i32.const 0)))".to_owned(),
            "(func (loop))".to_owned(),
            "(func (drop (memory.grow (i32.const 1))))".to_owned(),
            "(func (memory.fill (i32.const 0) (i32.const 0) (i32.const 1)))".to_owned(),
            "(func (drop (table.grow (ref.null func) (i32.const 1))))".to_owned(),
            format!("(func (local {}) )", "i32 ".repeat(MAX_LOCALS as usize + 1)),
            format!("(func (block (br_table {targets} (i32.const 0))))"),
        ] {
            assert!(!qualifies_wat(&func), "{func}");
        }
    }
}
