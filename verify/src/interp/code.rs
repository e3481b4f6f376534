//! The internal instruction set that function bodies are compiled to.
//!
//! It is wasm with the structure resolved: `block`/`loop`/`end` vanish,
//! every branch carries its target index and the stack height to cut back
//! to, and immediates are decoded once. Each variant is documented by the
//! wasm instruction(s) it implements.

use super::numeric::{Binary, Unary};
use super::simd;
use super::value::Value;
use wasmparser::{FuncType, ValType};

/// A compiled function body.
#[derive(Debug)]
pub(crate) struct Code {
    pub(crate) ty: FuncType,
    /// Declared locals (after the parameters).
    pub(crate) locals: Vec<ValType>,
    /// Their zero values, pushed on entry.
    pub(crate) local_defaults: Vec<Value>,
    pub(crate) instrs: Vec<Instr>,
}

/// Where a branch goes and what it keeps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Branch {
    /// Instruction index to continue at.
    pub(crate) target: u32,
    /// Operand stack height (above the locals) of the target label.
    pub(crate) height: u32,
    /// How many values from the top are carried to the label.
    pub(crate) keep: u32,
}

/// Static operands of a memory access.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemArg {
    pub(crate) memory: u32,
    pub(crate) offset: u64,
}

impl MemArg {
    /// Our form of a wasmparser memory immediate; `None` for GC array
    /// targets, which validation without the GC proposal never lets through.
    pub(crate) fn new(m: &wasmparser::MemArg) -> Option<MemArg> {
        match m.target {
            wasmparser::MemArgTarget::Memory(memory) => Some(MemArg {
                memory,
                offset: m.offset,
            }),
            wasmparser::MemArgTarget::Array(_) => None,
        }
    }
}

/// The type of a loaded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumType {
    I32,
    I64,
    F32,
    F64,
}

/// The read-modify-write operations of the threads proposal.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RmwOp {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Xchg,
}

#[derive(Debug)]
pub(crate) enum Instr {
    /// The start of a fuel segment: charge its cost (see `fuel.rs`).
    Charge(u64),
    /// `unreachable`
    Unreachable,
    /// `else` (end of the then-arm): jump over the else-arm.
    Jump(u32),
    /// `if`: jump to the else-arm (or past `end`) when the condition is 0.
    JumpIfZero(u32),
    /// `br`
    Br(Branch),
    /// `br_if`
    BrIf(Branch),
    /// `br_table`: the last entry is the default.
    BrTable(Box<[Branch]>),
    /// `return`, and the end of the function body.
    Return,
    /// `call` of a function of the current instance.
    Call(u32),
    /// `call_indirect`: the expected type is resolved at compile time.
    CallIndirect { ty: Box<FuncType>, table: u32 },
    /// `drop`
    Drop,
    /// `select` (both forms)
    Select,
    /// `local.get`
    LocalGet(u32),
    /// `local.set`
    LocalSet(u32),
    /// `local.tee`
    LocalTee(u32),
    /// `global.get`
    GlobalGet(u32),
    /// `global.set`
    GlobalSet(u32),
    /// `*.load*`: `width` bytes, sign-extended if `signed`, as `ty`.
    Load {
        arg: MemArg,
        width: u8,
        signed: bool,
        ty: NumType,
    },
    /// `*.store*`: the low `width` bytes of the value.
    Store { arg: MemArg, width: u8 },
    /// `memory.size`
    MemorySize(u32),
    /// `memory.grow`
    MemoryGrow(u32),
    /// `i32.const` .. `f64.const`, `ref.null`
    Const(Value),
    /// A numeric instruction of one operand.
    Unary(Unary),
    /// A numeric instruction of two operands.
    Binary(Binary),
    /// `memory.init`
    MemoryInit { data: u32, memory: u32 },
    /// `data.drop`
    DataDrop(u32),
    /// `memory.copy`
    MemoryCopy { dst: u32, src: u32 },
    /// `memory.fill`
    MemoryFill(u32),
    /// `table.init`
    TableInit { elem: u32, table: u32 },
    /// `elem.drop`
    ElemDrop(u32),
    /// `table.copy`
    TableCopy { dst: u32, src: u32 },
    /// `ref.is_null`
    RefIsNull,
    /// `ref.func`
    RefFunc(u32),
    /// `table.get`
    TableGet(u32),
    /// `table.set`
    TableSet(u32),
    /// `table.size`
    TableSize(u32),
    /// `table.grow`
    TableGrow(u32),
    /// `table.fill`
    TableFill(u32),
    /// `*.atomic.load*` (zero-extending)
    AtomicLoad { arg: MemArg, width: u8, ty: NumType },
    /// `*.atomic.store*`
    AtomicStore { arg: MemArg, width: u8 },
    /// `*.atomic.rmw*.{add,sub,and,or,xor,xchg}*`
    AtomicRmw {
        arg: MemArg,
        width: u8,
        ty: NumType,
        op: RmwOp,
    },
    /// `*.atomic.rmw*.cmpxchg*`
    AtomicCmpxchg { arg: MemArg, width: u8, ty: NumType },
    /// `memory.atomic.wait32` (width 4) / `wait64` (width 8)
    AtomicWait { arg: MemArg, width: u8 },
    /// `memory.atomic.notify`
    AtomicNotify(MemArg),
    /// `atomic.fence`: every access here is already sequentially consistent
    /// (one lock per memory), so it only orders host-visible effects.
    AtomicFence,
    /// A SIMD instruction with an immediate, three operands or a memory
    /// access (the others are [`Instr::Unary`] / [`Instr::Binary`]).
    Simd(simd::Op),
}

impl Code {
    /// Parameters plus declared locals: where the operand stack starts.
    pub(crate) fn locals_len(&self) -> usize {
        self.ty.params().len() + self.locals.len()
    }
}
