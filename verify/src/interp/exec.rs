//! The execution loop.
//!
//! One invocation runs on one value stack (`Vec<Value>`) and an explicit
//! stack of caller frames: a wasm call pushes a frame, a return pops one,
//! and the Rust stack never grows with wasm call depth. A frame's locals
//! (parameters first) sit on the value stack at `fp`, its operands above.
//! Host functions run natively; if they call back into wasm, that is a new
//! invocation (see `call.rs`).

use super::atomic;
use super::call::call_host;
use super::code::{Branch, Code, Instr, NumType};
use super::fuel;
use super::func::{FuncInner, FuncRef};
use super::instance::InstanceInner;
use super::memory::{self, read_le, sign_extend, write_le};
use super::simd;
use super::table;
use super::trap::Trap;
use super::value::Value;
use std::sync::Arc;

/// Most wasm frames live at once in one invocation; one more call is
/// `call stack exhausted`.
pub const MAX_FRAMES: usize = 50_000;
/// Most values (locals and operands) on one invocation's stack; a call
/// whose locals would pass it is `call stack exhausted`.
pub const MAX_VALUES: usize = 1 << 20;
/// A suspended caller.
struct Frame {
    code: Arc<Code>,
    instance: Arc<InstanceInner>,
    pc: usize,
    fp: usize,
}

fn pop(stack: &mut Vec<Value>) -> Value {
    stack.pop().expect("validated code: operand present")
}

fn pop_i32(stack: &mut Vec<Value>) -> i32 {
    pop(stack).i32()
}

fn pop_u32(stack: &mut Vec<Value>) -> u32 {
    pop(stack).i32() as u32
}

/// The bits of an integer or float operand, for stores.
fn raw_bits(v: &Value) -> u64 {
    match v {
        Value::I32(x) => u64::from(*x as u32),
        Value::I64(x) => *x as u64,
        Value::F32(x) => u64::from(*x),
        Value::F64(x) => *x,
        other => panic!("validated code: expected a number, found {other:?}"),
    }
}

/// The value of type `ty` whose bits are `raw`.
fn from_bits(ty: NumType, raw: u64) -> Value {
    match ty {
        NumType::I32 => Value::I32(raw as u32 as i32),
        NumType::I64 => Value::I64(raw as i64),
        NumType::F32 => Value::F32(raw as u32),
        NumType::F64 => Value::F64(raw),
    }
}

/// An effective address: the dynamic i32 operand plus the static offset.
/// Never overflows: both are below 2^32.
fn address(stack: &mut Vec<Value>, offset: u64) -> u64 {
    u64::from(pop_u32(stack)) + offset
}

/// The running state of one invocation.
struct Machine {
    stack: Vec<Value>,
    frames: Vec<Frame>,
    code: Arc<Code>,
    instance: Arc<InstanceInner>,
    pc: usize,
    fp: usize,
}

impl Machine {
    /// Enters a wasm function whose arguments are on top of the stack.
    fn enter(&mut self, instance: Arc<InstanceInner>, index: u32) -> Result<(), Trap> {
        let code = Arc::clone(instance.code(index));
        if self.frames.len() >= MAX_FRAMES
            || self.stack.len() + code.local_defaults.len() > MAX_VALUES
        {
            return Err(Trap::StackExhausted);
        }
        let fp = self.stack.len() - code.ty.params().len();
        self.stack.extend_from_slice(&code.local_defaults);
        let caller = Frame {
            code: std::mem::replace(&mut self.code, code),
            instance: std::mem::replace(&mut self.instance, instance),
            pc: self.pc,
            fp: self.fp,
        };
        self.frames.push(caller);
        self.pc = 0;
        self.fp = fp;
        Ok(())
    }

    /// Calls any function reference with arguments on top of the stack.
    fn call_ref(&mut self, func: &FuncRef) -> Result<(), Trap> {
        match &*func.0 {
            FuncInner::Wasm {
                instance, index, ..
            } => self.enter(Arc::clone(instance), *index),
            FuncInner::Host { ty, call } => {
                let args = self.stack.split_off(self.stack.len() - ty.params().len());
                let results = call_host(ty, call, &args)?;
                self.stack.extend(results);
                Ok(())
            }
        }
    }

    /// Jumps to a label, keeping its arity's worth of values.
    fn branch(&mut self, b: Branch) {
        let len = self.stack.len();
        let base = self.fp + self.code.locals_len() + b.height as usize;
        let keep = b.keep as usize;
        if base + keep < len {
            self.stack.drain(base..len - keep);
        }
        self.pc = b.target as usize;
    }

    fn local(&mut self, index: u32) -> &mut Value {
        &mut self.stack[self.fp + index as usize]
    }

    fn memory(&self, index: u32) -> &memory::MemoryRef {
        &self.instance.memories[index as usize]
    }

    /// Runs until the outermost frame returns.
    fn run(&mut self) -> Result<(), Trap> {
        loop {
            let instr = &self.code.instrs[self.pc];
            self.pc += 1;
            #[cfg(feature = "coverage")]
            super::coverage::record(
                instr,
                &self.stack,
                &self.instance.memories,
                self.frames.len(),
            );
            match instr {
                // ---- control ----
                Instr::Charge(cost) => fuel::charge(*cost)?,
                Instr::Unreachable => return Err(Trap::Unreachable),
                Instr::Jump(t) => self.pc = *t as usize,
                Instr::JumpIfZero(t) => {
                    let t = *t;
                    if pop_i32(&mut self.stack) == 0 {
                        self.pc = t as usize;
                    }
                }
                Instr::Br(b) => {
                    let b = *b;
                    self.branch(b);
                }
                Instr::BrIf(b) => {
                    let b = *b;
                    if pop_i32(&mut self.stack) != 0 {
                        self.branch(b);
                    }
                }
                Instr::BrTable(bs) => {
                    let i = pop_u32(&mut self.stack) as usize;
                    let b = bs[i.min(bs.len() - 1)];
                    self.branch(b);
                }
                Instr::Return => {
                    let results = self.code.ty.results().len();
                    let len = self.stack.len();
                    self.stack.drain(self.fp..len - results);
                    match self.frames.pop() {
                        Some(caller) => {
                            self.code = caller.code;
                            self.instance = caller.instance;
                            self.pc = caller.pc;
                            self.fp = caller.fp;
                        }
                        None => return Ok(()),
                    }
                }
                Instr::Call(index) => {
                    let index = *index;
                    if index < self.instance.module.imported_funcs {
                        let f = self.instance.imported_funcs[index as usize].clone();
                        self.call_ref(&f)?;
                    } else {
                        let instance = Arc::clone(&self.instance);
                        self.enter(instance, index)?;
                    }
                }
                Instr::CallIndirect { ty, table } => {
                    let i = pop_u32(&mut self.stack);
                    let entry = self.instance.tables[*table as usize]
                        .get(i)
                        .ok_or(Trap::UndefinedElement)?;
                    let Value::FuncRef(entry) = entry else {
                        panic!("validated code: call_indirect through a funcref table")
                    };
                    let f = entry.ok_or(Trap::IndirectCallToNull)?;
                    if f.ty() != &**ty {
                        return Err(Trap::BadSignature);
                    }
                    self.call_ref(&f)?;
                }
                // ---- parametric ----
                Instr::Drop => {
                    pop(&mut self.stack);
                }
                Instr::Select => {
                    let c = pop_i32(&mut self.stack);
                    let b = pop(&mut self.stack);
                    if c == 0 {
                        *self.stack.last_mut().expect("validated select") = b;
                    }
                }
                // ---- variables ----
                Instr::LocalGet(i) => {
                    let v = self.stack[self.fp + *i as usize].clone();
                    self.stack.push(v);
                }
                Instr::LocalSet(i) => {
                    let i = *i;
                    let v = pop(&mut self.stack);
                    *self.local(i) = v;
                }
                Instr::LocalTee(i) => {
                    let i = *i;
                    let v = self.stack.last().expect("validated local.tee").clone();
                    *self.local(i) = v;
                }
                Instr::GlobalGet(i) => {
                    let v = self.instance.globals[*i as usize].get();
                    self.stack.push(v);
                }
                Instr::GlobalSet(i) => {
                    let i = *i as usize;
                    let v = pop(&mut self.stack);
                    self.instance.globals[i].store(v);
                }
                // ---- numeric ----
                Instr::Const(v) => {
                    let v = v.clone();
                    self.stack.push(v);
                }
                Instr::Unary(f) => {
                    let f = *f;
                    let a = self.stack.last_mut().expect("validated unary operand");
                    *a = f(a)?;
                }
                Instr::Binary(f) => {
                    let f = *f;
                    let b = pop(&mut self.stack);
                    let a = self.stack.last_mut().expect("validated binary operand");
                    *a = f(a, &b)?;
                }
                // ---- memory ----
                Instr::Load {
                    arg,
                    width,
                    signed,
                    ty,
                } => {
                    let (arg, width, signed, ty) = (*arg, *width, *signed, *ty);
                    let a = address(&mut self.stack, arg.offset);
                    let raw = read_le(&self.memory(arg.memory).lock(), a, width)?;
                    let raw = if signed { sign_extend(raw, width) } else { raw };
                    self.stack.push(from_bits(ty, raw));
                }
                Instr::Store { arg, width } => {
                    let (arg, width) = (*arg, *width);
                    let v = raw_bits(&pop(&mut self.stack));
                    let a = address(&mut self.stack, arg.offset);
                    write_le(&mut self.memory(arg.memory).lock(), a, width, v)?;
                }
                Instr::MemorySize(m) => {
                    let pages = self.memory(*m).size_pages();
                    self.stack.push(Value::I32(pages as i32));
                }
                Instr::MemoryGrow(m) => {
                    let m = *m;
                    let delta = pop_u32(&mut self.stack);
                    let old = self.memory(m).grow(delta).map_or(-1, |p| p as i32);
                    self.stack.push(Value::I32(old));
                }
                Instr::MemoryInit { data, memory } => {
                    let (data, memory) = (*data, *memory);
                    let len = pop_u32(&mut self.stack);
                    let src = pop_u32(&mut self.stack);
                    let dst = pop_u32(&mut self.stack);
                    let bytes = self.instance.data(data);
                    memory::init(
                        self.memory(memory),
                        dst.into(),
                        &bytes,
                        src.into(),
                        len.into(),
                    )?;
                }
                Instr::DataDrop(d) => self.instance.drop_data(*d),
                Instr::MemoryCopy { dst, src } => {
                    let (dm, sm) = (*dst, *src);
                    let len = pop_u32(&mut self.stack);
                    let src = pop_u32(&mut self.stack);
                    let dst = pop_u32(&mut self.stack);
                    memory::copy(
                        self.memory(dm),
                        dst.into(),
                        self.memory(sm),
                        src.into(),
                        len.into(),
                    )?;
                }
                Instr::MemoryFill(m) => {
                    let m = *m;
                    let len = pop_u32(&mut self.stack);
                    let value = pop_i32(&mut self.stack) as u8;
                    let dst = pop_u32(&mut self.stack);
                    memory::fill(self.memory(m), dst.into(), value, len.into())?;
                }
                // ---- references and tables ----
                Instr::RefIsNull => {
                    let v = pop(&mut self.stack);
                    self.stack.push(Value::from_bool(v.is_null()));
                }
                Instr::RefFunc(i) => {
                    let f = self.instance.func(*i);
                    self.stack.push(Value::FuncRef(Some(f)));
                }
                Instr::TableGet(t) => {
                    let t = *t as usize;
                    let i = pop_u32(&mut self.stack);
                    let v = self.instance.tables[t]
                        .get(i)
                        .ok_or(Trap::TableOutOfBounds)?;
                    self.stack.push(v);
                }
                Instr::TableSet(t) => {
                    let t = *t as usize;
                    let v = pop(&mut self.stack);
                    let i = pop_u32(&mut self.stack);
                    self.instance.tables[t].set(i, v)?;
                }
                Instr::TableSize(t) => {
                    let size = self.instance.tables[*t as usize].size();
                    self.stack.push(Value::I32(size as i32));
                }
                Instr::TableGrow(t) => {
                    let t = *t as usize;
                    let delta = pop_u32(&mut self.stack);
                    let init = pop(&mut self.stack);
                    let old = self.instance.tables[t]
                        .grow(delta, init)
                        .map_or(-1, |s| s as i32);
                    self.stack.push(Value::I32(old));
                }
                Instr::TableFill(t) => {
                    let t = *t as usize;
                    let len = pop_u32(&mut self.stack);
                    let v = pop(&mut self.stack);
                    let dst = pop_u32(&mut self.stack);
                    table::fill(&self.instance.tables[t], dst, v, len)?;
                }
                Instr::TableInit { elem, table } => {
                    let (elem, t) = (*elem, *table as usize);
                    let len = pop_u32(&mut self.stack);
                    let src = pop_u32(&mut self.stack);
                    let dst = pop_u32(&mut self.stack);
                    let items = self.instance.elem(elem);
                    table::init(&self.instance.tables[t], dst, &items, src, len)?;
                }
                Instr::ElemDrop(e) => self.instance.drop_elem(*e),
                Instr::TableCopy { dst, src } => {
                    let (dt, st) = (*dst as usize, *src as usize);
                    let len = pop_u32(&mut self.stack);
                    let src = pop_u32(&mut self.stack);
                    let dst = pop_u32(&mut self.stack);
                    let tables = &self.instance.tables;
                    table::copy(&tables[dt], dst, &tables[st], src, len)?;
                }
                // ---- atomics ----
                Instr::AtomicLoad { arg, width, ty } => {
                    let (arg, width, ty) = (*arg, *width, *ty);
                    let a = address(&mut self.stack, arg.offset);
                    let raw = atomic::load(self.memory(arg.memory), a, width)?;
                    self.stack.push(from_bits(ty, raw));
                }
                Instr::AtomicStore { arg, width } => {
                    let (arg, width) = (*arg, *width);
                    let v = raw_bits(&pop(&mut self.stack));
                    let a = address(&mut self.stack, arg.offset);
                    atomic::store(self.memory(arg.memory), a, width, v)?;
                }
                Instr::AtomicRmw { arg, width, ty, op } => {
                    let (arg, width, ty, op) = (*arg, *width, *ty, *op);
                    let v = raw_bits(&pop(&mut self.stack));
                    let a = address(&mut self.stack, arg.offset);
                    let old = atomic::rmw(self.memory(arg.memory), a, width, op, v)?;
                    self.stack.push(from_bits(ty, old));
                }
                Instr::AtomicCmpxchg { arg, width, ty } => {
                    let (arg, width, ty) = (*arg, *width, *ty);
                    let replacement = raw_bits(&pop(&mut self.stack));
                    let expected = raw_bits(&pop(&mut self.stack));
                    let a = address(&mut self.stack, arg.offset);
                    let old =
                        atomic::cmpxchg(self.memory(arg.memory), a, width, expected, replacement)?;
                    self.stack.push(from_bits(ty, old));
                }
                Instr::AtomicWait { arg, width } => {
                    let (arg, width) = (*arg, *width);
                    let timeout = pop(&mut self.stack).i64();
                    let expected = raw_bits(&pop(&mut self.stack));
                    let a = address(&mut self.stack, arg.offset);
                    let r = atomic::wait(self.memory(arg.memory), a, width, expected, timeout)?;
                    self.stack.push(Value::I32(r));
                }
                Instr::AtomicNotify(arg) => {
                    let arg = *arg;
                    let count = pop_u32(&mut self.stack);
                    let a = address(&mut self.stack, arg.offset);
                    let woken = atomic::notify(self.memory(arg.memory), a, count)?;
                    self.stack.push(Value::I32(woken));
                }
                Instr::AtomicFence => {
                    // Every access already holds its memory's lock, which is
                    // sequentially consistent; the fence adds nothing.
                }
                // ---- SIMD ----
                Instr::Simd(op) => simd::execute(op, &mut self.stack, &self.instance.memories)?,
            }
        }
    }
}

/// Runs wasm function `index` of `instance` to completion.
pub(crate) fn run(
    instance: Arc<InstanceInner>,
    index: u32,
    args: &[Value],
) -> Result<Vec<Value>, Trap> {
    let code = Arc::clone(instance.code(index));
    let mut stack = Vec::with_capacity(64);
    stack.extend_from_slice(args);
    stack.extend_from_slice(&code.local_defaults);
    let mut machine = Machine {
        stack,
        frames: Vec::new(),
        code,
        instance,
        pc: 0,
        fp: 0,
    };
    machine.run()?;
    Ok(machine.stack)
}
