//! Compiling a module's functions and placing them in code memory.
//!
//! Every defined function becomes one or two pieces of code (see the
//! calling conventions in `translate`): its body, and its array entry if
//! it escapes (is reachable through a `VMFuncRef`: see `escaping`). All are
//! declared first, then translated and compiled with `Context::compile`, on
//! several threads when the configuration allows (code refers to other
//! code only through relocations). The owning thread then places the
//! machine code with `define_function_bytes` and finalizes the module once:
//! cranelift-jit resolves the relocations, writes the code into read-write
//! pages and only then makes them read-execute, so no page is ever writable
//! and executable at once.

use std::mem::ManuallyDrop;
use std::sync::Mutex;

use cranelift_codegen::Context;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir;
use cranelift_entity::PrimaryMap;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Module as _, ModuleReloc, default_libcall_names};
use wasmparser::FuncValidatorAllocations;

use crate::engine::Engine;
use crate::environ::{ModuleInfo, PendingFunc, PendingFuncs};
use crate::error::{ErrorKind, Result};
use crate::index::{DefinedFuncIndex, FuncIndex};
use crate::translate::{TranslateEnv, translate_array_entry, translate_function};

mod escaping;
mod queue;

use self::escaping::escaping_functions;
use self::queue::{JobQueue, Queued};

/// Executable code of one module; freed when dropped.
pub(crate) struct CodeMemory {
    /// Behind a mutex only because `JITModule` is `Send` but not `Sync`;
    /// after finalization nothing but `Drop` touches it.
    module: Mutex<ManuallyDrop<JITModule>>,
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        let module = self
            .module
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // SAFETY: `CodeMemory` is owned by a `Module`'s shared inner state
        // and every instance keeps that `Module` alive; so when it drops, no
        // instance remains whose code could run or be called, and no code
        // pointer into this memory is used again. `take` runs once, here.
        unsafe { ManuallyDrop::take(module).free_memory() };
    }
}

/// Machine code for one function, ready to be placed.
struct CompiledFunc {
    bytes: Vec<u8>,
    alignment: u64,
    relocs: Vec<ModuleReloc>,
    /// Bytes the function's prologue moves the stack pointer down by.
    frame_bytes: usize,
}

/// What compiling a module leaves behind.
pub(crate) struct CompiledModule {
    pub(crate) code: CodeMemory,
    /// Array entry of each defined function (what its `VMFuncRef` holds),
    /// for those that escape (see `escaping`).
    pub(crate) entries: Vec<Option<usize>>,
    /// Machine-code size in bytes of each defined function: its body and
    /// its array entry, if it has one.
    pub(crate) code_sizes: Vec<usize>,
    /// How far below the stack limit code of this module can take the
    /// stack pointer before a check catches it, in bytes: the largest body
    /// frame plus the largest array-entry frame. The check runs in a
    /// body's prologue after the frame is allocated, and between a body
    /// that passed its check and the next check there is at most one array
    /// entry (which has no check) and one body; the runtime keeps this much
    /// room below the limit (see `runtime::stack`).
    pub(crate) max_frame_bytes: usize,
}

/// Compiles every defined function and places it in code memory.
pub(crate) fn compile_module(
    engine: &Engine,
    info: &ModuleInfo,
    pending: PendingFuncs<'_>,
) -> Result<CompiledModule> {
    let isa = engine.isa().clone();
    let mut jit = JITModule::new(JITBuilder::with_isa(isa.clone(), default_libcall_names()));
    let env = TranslateEnv::new(engine, info, &pending);
    let mut body_ids: PrimaryMap<DefinedFuncIndex, FuncId> =
        PrimaryMap::with_capacity(pending.len());
    // Only functions that escape get an array entry (see `escaping`).
    let mut entry_ids: PrimaryMap<DefinedFuncIndex, Option<FuncId>> =
        PrimaryMap::with_capacity(pending.len());
    for defined in pending.keys() {
        let func_index = info.func_index(defined);
        let body = jit
            .declare_anonymous_function(&env.body_signature(info.func_type(func_index)))
            .map_err(|e| compile_error(0, e))?;
        if Some(&body.as_u32()) != env.body_ids.get(defined) {
            return Err(compile_error(
                func_index.as_u32(),
                "function ids out of step with the translator's (weft bug)",
            ));
        }
        body_ids.push(body);
    }
    for &escapes in escaping_functions(info).values() {
        let entry = if escapes {
            let id = jit
                .declare_anonymous_function(&env.wasm_signature())
                .map_err(|e| compile_error(0, e))?;
            Some(id)
        } else {
            None
        };
        entry_ids.push(entry);
    }
    let mut jobs: Vec<Queued<'_>> = Vec::with_capacity(2 * pending.len());
    for (defined, p) in pending {
        jobs.push((info.func_index(defined), body_ids[defined], Job::Body(p)));
    }
    for (defined, id) in entry_ids.iter().filter_map(|(d, id)| Some((d, (*id)?))) {
        jobs.push((
            info.func_index(defined),
            id,
            Job::ArrayEntry(body_ids[defined]),
        ));
    }

    let threads = if engine.config().parallel_compilation {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(jobs.len())
            .max(1)
    } else {
        1
    };
    let queue = JobQueue::new(jobs);
    // A panic inside Cranelift would be a bug, but it must not cross into
    // the embedder: it becomes an error, on the calling thread as on
    // workers.
    let outcomes: Vec<Outcome> = if threads <= 1 {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compile_jobs(&env, &*isa, &queue)
        }));
        vec![outcome.unwrap_or_else(|_| panicked_outcome())]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (env, isa, queue) = (&env, &*isa, &queue);
                    scope.spawn(move || compile_jobs(env, isa, queue))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| panicked_outcome()))
                .collect()
        })
    };
    let mut placed = Vec::new();
    let mut failures = Vec::new();
    for outcome in outcomes {
        placed.extend(outcome.compiled);
        failures.extend(outcome.failures);
    }
    if let Some(error) = queue::first_failure(failures) {
        return Err(error);
    }
    let mut sizes = std::collections::HashMap::with_capacity(placed.len());
    let mut frames = std::collections::HashMap::with_capacity(placed.len());
    for (id, f) in &placed {
        jit.define_function_bytes(*id, f.alignment, &f.bytes, &f.relocs)
            .map_err(|e| compile_error(0, e))?;
        sizes.insert(*id, f.bytes.len());
        frames.insert(*id, f.frame_bytes);
    }
    let largest_frame =
        |ids: &mut dyn Iterator<Item = &FuncId>| ids.map(|id| frames[id]).max().unwrap_or(0);
    let max_frame_bytes =
        largest_frame(&mut body_ids.values()) + largest_frame(&mut entry_ids.values().flatten());
    let size = |id| *sizes.get(id).expect("every declared function was compiled");
    let code_sizes = body_ids
        .values()
        .zip(entry_ids.values())
        .map(|(body, entry)| size(body) + entry.as_ref().map_or(0, size))
        .collect();
    jit.finalize_definitions()
        .map_err(|e| compile_error(0, e))?;
    let entries = entry_ids
        .values()
        .map(|id| id.map(|id| jit.get_finalized_function(id) as usize))
        .collect();
    Ok(CompiledModule {
        code: CodeMemory {
            module: Mutex::new(ManuallyDrop::new(jit)),
        },
        entries,
        code_sizes,
        max_frame_bytes,
    })
}

/// How far below the caller's stack pointer the function's prologue puts
/// the stack pointer: the return address and saved frame pointer, plus
/// everything Cranelift lays out below the frame pointer (saved registers,
/// spill and stack slots, outgoing arguments).
fn frame_bytes(code: &cranelift_codegen::CompiledCode) -> usize {
    // Two words of setup area (return address, frame pointer) on every
    // supported target; a frame layout is always recorded by the backends
    // weft runs on, and without one the setup area is the whole frame.
    let setup = 2 * size_of::<usize>();
    let below_fp = code
        .buffer
        .frame_layout()
        .map_or(0, |layout| layout.frame_to_fp_offset as usize);
    setup + below_fp
}

/// What one compile thread produced: its compiled functions, and its
/// failed jobs with their module-order keys.
struct Outcome {
    compiled: Vec<(FuncId, CompiledFunc)>,
    failures: Vec<(u64, crate::Error)>,
}

/// The outcome of a thread that panicked: an error that comes first.
fn panicked_outcome() -> Outcome {
    Outcome {
        compiled: Vec::new(),
        failures: vec![(0, panicked())],
    }
}

fn panicked() -> crate::Error {
    ErrorKind::Compile {
        func_index: 0,
        message: "code generation panicked (a weft or Cranelift bug)".into(),
    }
    .into()
}

/// A compile error, attributed to module-level function `func_index`
/// (`0` for failures of the module as a whole).
fn compile_error(func_index: u32, e: impl std::fmt::Display) -> crate::Error {
    ErrorKind::Compile {
        func_index,
        message: e.to_string(),
    }
    .into()
}

/// Checks that the only instructions in `traps` that can fault are the
/// hardware division traps Cranelift keeps behind our explicit zero and
/// overflow checks (unreachable at run time). Anything else would be a
/// fault weft does not handle, so it is a compile error, not a crash later.
fn audit_trap_sites(func_index: FuncIndex, traps: &[cranelift_codegen::MachTrap]) -> Result<()> {
    use cranelift_codegen::ir::TrapCode as ClifTrap;
    for trap in traps {
        if trap.code != ClifTrap::INTEGER_DIVISION_BY_ZERO
            && trap.code != ClifTrap::INTEGER_OVERFLOW
        {
            return Err(compile_error(
                func_index.as_u32(),
                format!(
                    "generated code may fault ({} at offset {:#x}); weft bug",
                    trap.code, trap.offset
                ),
            ));
        }
    }
    Ok(())
}

/// One piece of code to compile for defined function `func_index`.
enum Job<'m> {
    /// The function's body, from its wasm code.
    Body(PendingFunc<'m>),
    /// The function's array entry, calling the body with this id.
    ArrayEntry(FuncId),
}

/// Compiles jobs from `queue` until it is empty, on the calling thread.
fn compile_jobs(
    env: &TranslateEnv<'_>,
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    queue: &JobQueue<'_>,
) -> Outcome {
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = Context::new();
    let mut ctrl = ControlPlane::default();
    let mut allocs = FuncValidatorAllocations::default();
    let mut outcome = Outcome {
        compiled: Vec::new(),
        failures: Vec::new(),
    };
    while let Some((func_index, id, job)) = queue.next() {
        let order = queue::module_order(func_index, &job);
        let compiled = compile_job(
            env,
            isa,
            (func_index, id, job),
            (&mut ctx, &mut fctx, &mut ctrl, &mut allocs),
        );
        match compiled {
            Ok(f) => outcome.compiled.push((id, f)),
            Err(e) => {
                queue.failed(order);
                outcome.failures.push((order, e));
                // A translation that stopped half-way leaves the builder
                // context mid-function; the next job needs clean ones.
                fctx = FunctionBuilderContext::new();
                ctx = Context::new();
            }
        }
    }
    outcome
}

/// The per-thread state [`compile_job`] reuses from job to job.
type Scratch<'s> = (
    &'s mut Context,
    &'s mut FunctionBuilderContext,
    &'s mut ControlPlane,
    &'s mut FuncValidatorAllocations,
);

/// Blocks beyond which a function leaves its [`Context`] too large to reuse.
///
/// Reusing one `Context` per thread saves allocations, but regalloc2 keeps
/// its scratch structures' capacity from job to job, and some of them cost
/// their capacity, not their contents, to clear: the conflict set that
/// `try_to_allocate_bundle_to_reg` clears on every attempt is a hash set
/// whose `clear` rewrites every control byte. The queue hands out the
/// largest functions first, so without a reset one large function at the
/// start made every later, small one pay for its size. Measured with
/// callgrind on `weft compile` of sql.js (`docs/jit.md`, "Compile time on
/// real modules"): 12.94 G instructions with one context per thread, 11.84 G
/// with a fresh one per job (allocation then costs more), 11.64 G resetting
/// only after a function above this many blocks, 11.68 G above 300.
const CONTEXT_RESET_BLOCKS: usize = 1000;

/// Clears `ctx` for the next job, or replaces it after a large function
/// (see [`CONTEXT_RESET_BLOCKS`]).
fn reset_context(ctx: &mut Context) {
    if ctx.func.dfg.num_blocks() > CONTEXT_RESET_BLOCKS {
        *ctx = Context::new();
    } else {
        ctx.clear();
    }
}

/// Translates and compiles one job.
fn compile_job(
    env: &TranslateEnv<'_>,
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    (func_index, id, job): Queued<'_>,
    (ctx, fctx, ctrl, allocs): Scratch<'_>,
) -> Result<CompiledFunc> {
    reset_context(ctx);
    ctx.func.name = ir::UserFuncName::user(0, id.as_u32());
    match job {
        Job::Body(pending) => {
            // Taken, so that a failing body leaves fresh allocations behind.
            let validator = pending.validator.into_validator(std::mem::take(allocs));
            let validator = translate_function(
                env,
                func_index,
                validator,
                &pending.body,
                &mut ctx.func,
                fctx,
            )?;
            *allocs = validator.into_allocations();
        }
        Job::ArrayEntry(body) => {
            translate_array_entry(env, func_index, body.as_u32(), &mut ctx.func, fctx);
        }
    }
    let code = ctx
        .compile(isa, ctrl)
        .map_err(|e| compile_error(func_index.as_u32(), format!("{:?}", e.inner)))?;
    audit_trap_sites(func_index, code.buffer.traps())?;
    let alignment = u64::from(code.buffer.alignment);
    let frame_bytes = frame_bytes(code);
    let bytes = code.code_buffer().to_vec();
    let mach_relocs = code.buffer.relocs().to_vec();
    let relocs = mach_relocs
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
        .collect();
    Ok(CompiledFunc {
        bytes,
        alignment,
        relocs,
        frame_bytes,
    })
}
