//! Loop versioning, the analysis: which accesses of an innermost `loop`
//! one range check before the loop can prove in bounds
//! (`docs/bounds-checks.md`, "Loop versioning").
//!
//! [`plan`] reads the loop's operators from a clone of the reader, up to
//! the matching `end`, and translates nothing. It runs before the validator
//! has seen the body, so it trusts nothing it reads: anything it does not
//! understand (an operator of unknown arity, a stack underflow, a local out
//! of range or of the wrong type) means "no plan", never a panic. A plan
//! is only acted on if the validator then accepts the body.
//!
//! # What is proved
//!
//! An address is an [`Affine`] expression: `i32.add`, `i32.mul` and
//! `i32.shl` by a constant over constants, **invariant** locals (`i32`
//! locals the loop never writes) and reads of the **induction** local `i`
//! taken where `i` is bounded. Read as unsigned numbers, each expression is
//! monotone non-decreasing in every leaf, and the wrapping `i32` result is
//! the exact one whenever the exact one is below 2^32 (the three operators
//! are ring operations modulo 2^32). So if the exact value at the largest
//! `i` the loop can see, plus the access's offset and size, is within the
//! memory, every access of the loop is.
//!
//! Where `i` is bounded, by one of two shapes ([`Shape`]):
//!
//! - **guarded** (a while loop): a `br_if` at the loop body's top nesting
//!   level that leaves when `i >=u X`. It dominates everything after it in
//!   the body (control inside an iteration only goes forward, and a block
//!   that started before it ends before it), so a read of `i` after it with
//!   no write of `i` in between (in operator order, which contains every
//!   path) sees `i <u X`;
//! - **do-while**: the body ends with `br_if 0` taken when `i <u X`, and no
//!   other branch goes back to the loop. A read of `i` before the first
//!   write of `i` in the body sees `i`'s value at the header, which is
//!   either its value at loop entry or one the final branch found `< X`.
//!
//! `X` is a constant or an invariant local, so its value at loop entry is
//! its value throughout.

use std::rc::Rc;

use wasmparser::{BlockType, MemArg, Operator, OperatorsReader};

use super::access::memory_index;
use super::dispatch::{Family, family};
use crate::types::ValType;

/// Larger loop bodies are not versioned: the two copies double their code.
const MAX_BODY_OPERATORS: usize = 400;

/// At most this many distinct address expressions are covered: each costs
/// a few instructions in the range check.
const MAX_RANGE_CHECKS: usize = 16;

/// An `i32` address as the loop computes it, read as an unsigned number.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Affine {
    /// A read of the induction local where it is bounded.
    Induction,
    /// A local the loop never writes.
    Invariant(u32),
    Const(u32),
    Add(Rc<Affine>, Rc<Affine>),
    Mul(Rc<Affine>, Rc<Affine>),
}

/// The bound `X` of the induction local: an expression of constants and
/// invariant locals, so its value at loop entry is its value throughout.
pub(super) type Limit = Rc<Affine>;

/// How the loop bounds its induction local (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// Covered reads see `i <u X`.
    Guarded,
    /// Covered reads see the entry value of `i`, or a value `<u X`.
    DoWhile,
}

/// One range the check before the loop must find within the memory:
/// `address + end_offset` at the largest `i`.
#[derive(Debug)]
pub(super) struct RangeCheck {
    pub(super) memory: u32,
    pub(super) address: Rc<Affine>,
    /// The largest `offset + size` of the accesses at `address`.
    pub(super) end_offset: u64,
}

/// What the range check must establish and which accesses it covers.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) induction: u32,
    pub(super) limit: Limit,
    pub(super) shape: Shape,
    pub(super) checks: Vec<RangeCheck>,
    /// The byte offsets of the covered load and store operators.
    covered: Vec<u64>,
}

impl Plan {
    /// Whether the operator at byte offset `offset` is a covered access.
    pub(super) fn covers(&self, offset: u64) -> bool {
        self.covered.binary_search(&offset).is_ok()
    }
}

/// What the analysis needs to know about the function and the module.
pub(super) struct Context<'c> {
    /// The type of every local, parameters first.
    pub(super) locals: &'c [ValType],
    pub(super) num_memories: u32,
    /// The (parameters, results) counts of function `index`, if it exists.
    pub(super) call_arity: &'c dyn Fn(u32) -> Option<(u32, u32)>,
    /// The [`AddressFunction`] summary of function `index`, if it is one.
    pub(super) address_function: &'c dyn Fn(u32) -> Option<&'c AddressFunction>,
}

/// A function whose body is one address expression of its `i32`
/// parameters (such as `matmul`'s `$element`): the operators of the body
/// before its `end`, only `local.get` of a parameter, `i32.const`,
/// `i32.add`, `i32.mul` and `i32.shl`. A call to it computes exactly that
/// expression of the arguments (it cannot write the caller's locals), so
/// the analysis sees through it; the call itself is translated as always.
#[derive(Debug)]
pub(crate) struct AddressFunction {
    params: u32,
    body: Vec<Operator<'static>>,
}

/// Bodies longer than this are not summarized.
const MAX_ADDRESS_FUNCTION_OPERATORS: usize = 32;

/// The summary of a function of type `params -> results` with `body`, if
/// it is an [`AddressFunction`].
pub(crate) fn address_function(
    params: &[ValType],
    results: &[ValType],
    body: &wasmparser::FunctionBody<'_>,
) -> Option<AddressFunction> {
    if results != [ValType::I32] || body.get_locals_reader().ok()?.get_count() != 0 {
        return None;
    }
    let mut reader = body.get_operators_reader().ok()?;
    let mut ops = Vec::new();
    let mut height = 0usize;
    loop {
        let op = match reader.read().ok()? {
            Operator::End => break,
            Operator::LocalGet { local_index } => {
                if params.get(local_index as usize) != Some(&ValType::I32) {
                    return None;
                }
                Operator::LocalGet { local_index }
            }
            Operator::I32Const { value } => Operator::I32Const { value },
            Operator::I32Add => Operator::I32Add,
            Operator::I32Mul => Operator::I32Mul,
            Operator::I32Shl => Operator::I32Shl,
            _ => return None,
        };
        let (pops, _) = limit_operator(&op)?;
        height = height.checked_sub(pops as usize)? + 1;
        ops.push(op);
        if ops.len() > MAX_ADDRESS_FUNCTION_OPERATORS {
            return None;
        }
    }
    let params = u32::try_from(params.len()).ok()?;
    (reader.eof() && height == 1).then_some(AddressFunction { params, body: ops })
}

/// One operator of the body and where it is.
struct Op<'r> {
    op: Operator<'r>,
    offset: u64,
    /// Blocks and `if`s open around it inside the loop body.
    depth: u32,
}

/// The plan for the loop whose body `reader` starts at (just after the
/// `loop` operator), or `None` if nothing can be covered.
pub(super) fn plan(mut reader: OperatorsReader<'_>, cx: &Context<'_>) -> Option<Plan> {
    let body = read_body(&mut reader)?;
    let written = written_locals(&body);
    let is_i32 = |l: u32| cx.locals.get(l as usize) == Some(&ValType::I32);
    let invariant = |l: u32| is_i32(l) && !written.contains(&l);
    let (shape, induction, limit) = bound(&body)?;
    if !is_i32(induction) || !all_invariant(&limit, &invariant) {
        return None;
    }
    let mut scan = Scan {
        cx,
        invariant: &invariant,
        induction,
        limit: Rc::clone(&limit),
        shape,
        stack: Vec::new(),
        frames: Vec::new(),
        reachable: true,
        unreachable_depth: 0,
        bounded: shape == Shape::DoWhile,
        checks: Vec::new(),
        covered: Vec::new(),
    };
    for (k, op) in body.iter().enumerate() {
        let final_branch = shape == Shape::DoWhile && k + 1 == body.len();
        scan.step(&body, k, op, final_branch)?;
    }
    if scan.checks.is_empty() {
        return None;
    }
    scan.covered.sort_unstable();
    Some(Plan {
        induction,
        limit,
        shape,
        checks: scan.checks,
        covered: scan.covered,
    })
}

/// The body's operators up to (not including) the loop's `end`; `None` if
/// it is too large, contains a loop, or does not read.
fn read_body<'r>(reader: &mut OperatorsReader<'r>) -> Option<Vec<Op<'r>>> {
    let mut body = Vec::new();
    let mut depth = 0u32;
    loop {
        let (op, offset) = reader.read_with_offset().ok()?;
        match op {
            Operator::Loop { .. } => return None,
            Operator::Block { .. } | Operator::If { .. } => {
                body.push(Op { op, offset, depth });
                depth += 1;
                continue;
            }
            Operator::End if depth == 0 => return Some(body),
            Operator::End => depth -= 1,
            _ => {}
        }
        body.push(Op { op, offset, depth });
        if body.len() > MAX_BODY_OPERATORS {
            return None;
        }
    }
}

fn written_locals(body: &[Op<'_>]) -> Vec<u32> {
    body.iter()
        .filter_map(|o| match o.op {
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                Some(local_index)
            }
            _ => None,
        })
        .collect()
}

/// The shape, the induction local and its limit: the first guard at the
/// top level, else a final do-while branch.
fn bound(body: &[Op<'_>]) -> Option<(Shape, u32, Limit)> {
    let guarded = body.iter().enumerate().find_map(|(k, o)| {
        matches!(o.op, Operator::BrIf { .. } if o.depth == 0)
            .then(|| guard(body, k))
            .flatten()
            .map(|(i, x)| (Shape::Guarded, i, x))
    });
    guarded.or_else(|| {
        let k = body.len().checked_sub(1)?;
        let last = &body[k];
        if !matches!(last.op, Operator::BrIf { relative_depth: 0 }) || last.depth != 0 {
            return None;
        }
        let (i, x) = below(body, k.checked_sub(1)?)?;
        Some((Shape::DoWhile, i, x))
    })
}

/// The `br_if` at `k` is taken when `i >=u X`, so falling through means
/// `i <u X`.
fn guard(body: &[Op<'_>], k: usize) -> Option<(u32, Limit)> {
    let c = k.checked_sub(1)?;
    if matches!(body[c].op, Operator::I32Eqz) {
        below(body, c.checked_sub(1)?)
    } else {
        at_or_above(body, c)
    }
}

/// The operator at `c` computes `i <u X`.
fn below(body: &[Op<'_>], c: usize) -> Option<(u32, Limit)> {
    compare(body, c, Operator::I32LtU, Operator::I32GtU)
}

/// The operator at `c` computes `i >=u X`.
fn at_or_above(body: &[Op<'_>], c: usize) -> Option<(u32, Limit)> {
    compare(body, c, Operator::I32GeU, Operator::I32LeU)
}

/// `(i, X)` if the operator at `c` is `direct` applied to `i` and `X`, or
/// `swapped` applied to `X` and `i`, where the read of `i` and the
/// operators of `X` are adjacent to it (so nothing between the read and
/// the compare writes `i`). The read is `local.get i`, or `local.tee i`
/// as the first operand (as the second it would consume the first).
fn compare(
    body: &[Op<'_>],
    c: usize,
    direct: Operator<'static>,
    swapped: Operator<'static>,
) -> Option<(u32, Limit)> {
    let cmp = &body.get(c)?.op;
    if *cmp == direct {
        let start = expression_start(body, c)?;
        let i = match body[start.checked_sub(1)?].op {
            Operator::LocalGet { local_index } | Operator::LocalTee { local_index } => local_index,
            _ => return None,
        };
        Some((i, limit_expression(&body[start..c])?))
    } else if *cmp == swapped {
        let read = c.checked_sub(1)?;
        let Operator::LocalGet { local_index: i } = body[read].op else {
            return None;
        };
        let start = expression_start(body, read)?;
        Some((i, limit_expression(&body[start..read])?))
    } else {
        None
    }
}

/// The stack effect of an operator a limit may contain.
fn limit_operator(op: &Operator<'_>) -> Option<(i64, i64)> {
    match op {
        Operator::I32Const { .. } | Operator::LocalGet { .. } => Some((0, 1)),
        Operator::I32Add | Operator::I32Mul | Operator::I32Shl => Some((2, 1)),
        _ => None,
    }
}

/// Where the one value the operators just before `end` compute starts.
fn expression_start(body: &[Op<'_>], end: usize) -> Option<usize> {
    let mut needed = 1;
    for k in (0..end).rev() {
        let (pops, pushes) = limit_operator(&body[k].op)?;
        needed += pops - pushes;
        if needed == 0 {
            return Some(k);
        }
    }
    None
}

/// The expression `ops` compute, with every `local.get` as an invariant
/// leaf (the caller checks that they are).
fn limit_expression(ops: &[Op<'_>]) -> Option<Limit> {
    let mut stack = Vec::new();
    for o in ops {
        match o.op {
            Operator::LocalGet { local_index } => {
                stack.push(Some(Rc::new(Affine::Invariant(local_index))));
            }
            ref op => arithmetic(op, &mut stack)?.then_some(())?,
        }
    }
    match stack.as_slice() {
        [Some(x)] => Some(Rc::clone(x)),
        _ => None,
    }
}

/// Applies `op` if it is an operator expressions are made of (a constant,
/// `i32.add`, `i32.mul`, `i32.shl`): `Some(true)` if it was one, `None`
/// on underflow.
fn arithmetic(op: &Operator<'_>, stack: &mut Vec<Option<Rc<Affine>>>) -> Option<bool> {
    let binary = |stack: &mut Vec<Option<Rc<Affine>>>, make: fn(_, _) -> Affine| {
        let (b, a) = (stack.pop()?, stack.pop()?);
        stack.push(a.zip(b).map(|(a, b)| Rc::new(make(a, b))));
        Some(true)
    };
    match *op {
        Operator::I32Const { value } => {
            stack.push(Some(Rc::new(Affine::Const(value.cast_unsigned()))));
            Some(true)
        }
        Operator::I32Add => binary(stack, Affine::Add),
        Operator::I32Mul => binary(stack, Affine::Mul),
        Operator::I32Shl => {
            // A shift by a constant is a multiplication modulo 2^32.
            let (count, value) = (stack.pop()?, stack.pop()?);
            let scaled = match (value, count.as_deref()) {
                (Some(v), Some(Affine::Const(c))) => Some(Rc::new(Affine::Mul(
                    v,
                    Rc::new(Affine::Const(1 << (c & 31))),
                ))),
                _ => None,
            };
            stack.push(scaled);
            Some(true)
        }
        _ => Some(false),
    }
}

/// Whether every leaf of `x` passes `invariant`.
fn all_invariant(x: &Affine, invariant: &dyn Fn(u32) -> bool) -> bool {
    match x {
        Affine::Induction => false,
        Affine::Invariant(l) => invariant(*l),
        Affine::Const(_) => true,
        Affine::Add(a, b) | Affine::Mul(a, b) => {
            all_invariant(a, invariant) && all_invariant(b, invariant)
        }
    }
}

/// The access a plain load or store makes: its `memarg`, its size, and
/// whether it is a store (whose address is below the value).
fn plain_access<'m>(op: &'m Operator<'_>) -> Option<(&'m MemArg, u32, bool)> {
    use Operator as O;
    Some(match op {
        O::I32Load { memarg } | O::F32Load { memarg } | O::I64Load32S { memarg } => {
            (memarg, 4, false)
        }
        O::I64Load32U { memarg } => (memarg, 4, false),
        O::I64Load { memarg } | O::F64Load { memarg } => (memarg, 8, false),
        O::I32Load8S { memarg }
        | O::I32Load8U { memarg }
        | O::I64Load8S { memarg }
        | O::I64Load8U { memarg } => (memarg, 1, false),
        O::I32Load16S { memarg }
        | O::I32Load16U { memarg }
        | O::I64Load16S { memarg }
        | O::I64Load16U { memarg } => (memarg, 2, false),
        O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => {
            (memarg, 4, true)
        }
        O::I64Store { memarg } | O::F64Store { memarg } => (memarg, 8, true),
        O::I32Store8 { memarg } | O::I64Store8 { memarg } => (memarg, 1, true),
        O::I32Store16 { memarg } | O::I64Store16 { memarg } => (memarg, 2, true),
        _ => return None,
    })
}

/// Arity of operators whose arity does not depend on the module: every
/// query answers "unknown", so operators that need one get no arity.
struct NoModule;

impl wasmparser::ModuleArity for NoModule {
    fn sub_type_at(&self, _: u32) -> Option<&wasmparser::SubType> {
        None
    }
    fn tag_type_arity(&self, _: u32) -> Option<(u32, u32)> {
        None
    }
    fn type_index_of_function(&self, _: u32) -> Option<u32> {
        None
    }
    fn func_type_of_cont_type(&self, _: &wasmparser::ContType) -> Option<&wasmparser::FuncType> {
        None
    }
    fn sub_type_of_ref_type(&self, _: &wasmparser::RefType) -> Option<&wasmparser::SubType> {
        None
    }
    fn control_stack_height(&self) -> u32 {
        0
    }
    fn label_block(&self, _: u32) -> Option<(BlockType, wasmparser::FrameKind)> {
        None
    }
}

/// A block or `if` open inside the body.
struct Frame {
    height: usize,
    results: usize,
}

/// The abstract interpretation of the body: a stack of addresses (`None`
/// for any other value) and whether `i` is bounded here.
struct Scan<'s, 'c> {
    cx: &'s Context<'c>,
    invariant: &'s dyn Fn(u32) -> bool,
    induction: u32,
    limit: Limit,
    shape: Shape,
    stack: Vec<Option<Rc<Affine>>>,
    frames: Vec<Frame>,
    reachable: bool,
    unreachable_depth: u32,
    /// Whether a read of `i` here is within the shape's bound.
    bounded: bool,
    checks: Vec<RangeCheck>,
    covered: Vec<u64>,
}

impl Scan<'_, '_> {
    fn pop(&mut self) -> Option<Option<Rc<Affine>>> {
        self.stack.pop()
    }

    fn pop_n(&mut self, n: u32) -> Option<()> {
        let at = self.stack.len().checked_sub(n as usize)?;
        self.stack.truncate(at);
        Some(())
    }

    fn push_unknown(&mut self, n: u32) {
        self.stack.extend((0..n).map(|_| None));
    }

    /// A call of `f`: its result is its expression of the arguments.
    fn call_address_function(&mut self, f: &AddressFunction) -> Option<()> {
        let at = self.stack.len().checked_sub(f.params as usize)?;
        let args = self.stack.split_off(at);
        let mut stack = Vec::new();
        for op in &f.body {
            match *op {
                Operator::LocalGet { local_index } => {
                    stack.push(args.get(local_index as usize)?.clone());
                }
                ref op => arithmetic(op, &mut stack)?.then_some(())?,
            }
        }
        let [result] = <[_; 1]>::try_from(stack).ok()?;
        self.stack.push(result);
        Some(())
    }

    /// A branch `depth` levels out of the operator's nesting: back to the
    /// loop is allowed only where the shape permits it.
    fn branch(&self, depth: u32, final_branch: bool) -> Option<()> {
        let to_loop = depth as usize == self.frames.len();
        (!to_loop || self.shape == Shape::Guarded || final_branch).then_some(())
    }

    fn block_results(bt: BlockType) -> Option<usize> {
        match bt {
            BlockType::Empty => Some(0),
            BlockType::Type(_) => Some(1),
            BlockType::FuncType(_) => None,
        }
    }

    fn close_frame(&mut self, end: bool) -> Option<()> {
        let frame = if end {
            self.frames.pop()?
        } else {
            let f = self.frames.last()?;
            Frame {
                height: f.height,
                results: 0,
            }
        };
        self.stack.truncate(frame.height);
        self.push_unknown(frame.results as u32);
        self.reachable = true;
        Some(())
    }

    fn access(&mut self, offset: u64, memarg: &MemArg, size: u32, store: bool) -> Option<()> {
        if store {
            self.pop()?;
        }
        let address = self.pop()?;
        if !store {
            self.push_unknown(1);
        }
        let memory = memory_index(memarg).ok()?.as_u32();
        if memory >= self.cx.num_memories {
            return None;
        }
        let Some(address) = address else {
            return Some(());
        };
        let end_offset = memarg.offset.checked_add(u64::from(size))?;
        let existing = self
            .checks
            .iter()
            .position(|c| c.memory == memory && c.address == address);
        match existing {
            Some(at) => {
                let c = &mut self.checks[at];
                c.end_offset = c.end_offset.max(end_offset);
            }
            None if self.checks.len() < MAX_RANGE_CHECKS => self.checks.push(RangeCheck {
                memory,
                address,
                end_offset,
            }),
            None => return Some(()),
        }
        self.covered.push(offset);
        Some(())
    }

    fn step(&mut self, body: &[Op<'_>], k: usize, o: &Op<'_>, final_branch: bool) -> Option<()> {
        use Operator as O;
        if matches!(family(&o.op), Family::Unsupported(_)) {
            return None;
        }
        if !self.reachable {
            match o.op {
                O::Block { .. } | O::If { .. } => self.unreachable_depth += 1,
                O::Else if self.unreachable_depth == 0 => self.close_frame(false)?,
                O::End if self.unreachable_depth == 0 => self.close_frame(true)?,
                O::End => self.unreachable_depth -= 1,
                _ => {}
            }
            return Some(());
        }
        match o.op {
            O::LocalGet { local_index: l } => {
                let value = if l == self.induction {
                    self.bounded.then_some(Affine::Induction)
                } else {
                    (self.invariant)(l).then_some(Affine::Invariant(l))
                };
                self.stack.push(value.map(Rc::new));
            }
            O::LocalSet { local_index: l } | O::LocalTee { local_index: l } => {
                let value = self.pop()?;
                if matches!(o.op, O::LocalTee { .. }) {
                    self.stack.push(value);
                }
                if l == self.induction {
                    self.bounded = false;
                }
            }
            O::Block { blockty } => self.frames.push(Frame {
                height: self.stack.len(),
                results: Self::block_results(blockty)?,
            }),
            O::If { blockty } => {
                self.pop()?;
                self.frames.push(Frame {
                    height: self.stack.len(),
                    results: Self::block_results(blockty)?,
                });
            }
            O::Else => self.close_frame(false)?,
            O::End => self.close_frame(true)?,
            O::Br { relative_depth } => {
                self.branch(relative_depth, false)?;
                self.reachable = false;
            }
            O::BrIf { relative_depth } => {
                self.pop()?;
                self.branch(relative_depth, final_branch)?;
                let guards = self.shape == Shape::Guarded
                    && o.depth == 0
                    && guard(body, k) == Some((self.induction, Rc::clone(&self.limit)));
                if guards {
                    self.bounded = true;
                }
            }
            O::Return | O::Unreachable => self.reachable = false,
            O::BrTable { .. } if self.shape == Shape::Guarded => {
                self.pop()?;
                self.reachable = false;
            }
            O::Call { function_index } => {
                if let Some(f) = (self.cx.address_function)(function_index) {
                    return self.call_address_function(f);
                }
                let (params, results) = (self.cx.call_arity)(function_index)?;
                self.pop_n(params)?;
                self.push_unknown(results);
            }
            ref op => {
                if arithmetic(op, &mut self.stack)? {
                    return Some(());
                }
                if let Some((memarg, size, store)) = plain_access(op) {
                    return self.access(o.offset, memarg, size, store);
                }
                // Every other operator: its fixed arity (those whose
                // arity depends on the module or the labels get none).
                let (params, results) = op.operator_arity(&NoModule)?;
                self.pop_n(params)?;
                self.push_unknown(results);
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests;
