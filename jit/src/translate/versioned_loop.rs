//! Loop versioning, the translation: one range check before the loop,
//! then two copies of it (`docs/bounds-checks.md`, "Loop versioning").
//!
//! ```text
//!   range check ──ok──▶ fast copy (covered accesses unchecked) ──┐
//!        └──────fails──▶ checked copy (the plain translation) ───┴─▶ join
//! ```
//!
//! Both copies are translated from the same operators, starting from the
//! same operand stack, control stack, reachability and fuel segment: the
//! checked copy first, through the normal validating path, so that the
//! validator sees the body exactly once and reports errors as it always
//! does; then the fast copy from a clone of the reader, on operators now
//! known valid. Each copy gets its own header and continuation (so each
//! seals its own blocks, and keeps the epoch check at its header and the
//! fuel charges of the plain loop), and each continuation jumps to one
//! join block. Branches to outer labels target the same outer blocks,
//! which are still open: they are sealed only at their own `end`.
//!
//! Only loops without parameters or results are versioned (the join then
//! carries no values), and only with a 64-bit pointer (the check's
//! arithmetic is 64-bit).

use cranelift_codegen::ir::{self, InstBuilder, condcodes::IntCC, types};
use wasmparser::{BlockType, Operator, OperatorsReader};

use super::FuncTranslator;
use super::error::{TranslateError, TranslateResult};
use super::loop_versioning::{self, Affine, Context, Plan, Shape};
use crate::error::Result;
use crate::index::{FuncIndex, MemoryIndex};

/// Saturation value of the range check's arithmetic: the largest exact
/// value an address may have, since memories are at most 2^32 bytes and
/// an access is at least one byte. Operands at most this large keep every
/// sum and product within 64 bits.
const SATURATED: i64 = u32::MAX as i64;

impl FuncTranslator<'_, '_> {
    /// At a validated `loop` operator: translates the whole loop, versioned,
    /// and returns `true`, if the analysis covers any of its accesses;
    /// otherwise returns `false` and translates nothing.
    pub(super) fn translate_versioned_loop<'r>(
        &mut self,
        op: &Operator<'r>,
        offset: u64,
        reader: &mut OperatorsReader<'r>,
    ) -> Result<bool> {
        let Operator::Loop {
            blockty: BlockType::Empty,
        } = op
        else {
            return Ok(false);
        };
        if !self.env.loop_versioning || !self.reachable || self.env.pointer != types::I64 {
            return Ok(false);
        }
        let fast_reader = reader.clone();
        let Some(plan) = self.plan_loop(fast_reader.clone()) else {
            return Ok(false);
        };
        let func = self.func_index.as_u32();
        let at = |e: TranslateError| e.at(func, offset);
        let in_range = self.range_check(&plan).map_err(at)?;
        let fast = self.builder.create_block();
        let checked = self.builder.create_block();
        let join = self.builder.create_block();
        self.builder.ins().brif(in_range, fast, &[], checked, &[]);
        self.builder.seal_block(fast);
        self.builder.seal_block(checked);
        let base = self.control.len();
        let segment = self.next_segment;

        self.builder.switch_to_block(checked);
        self.translate(op).map_err(at)?;
        self.after_operator(op);
        while self.control.len() > base {
            self.translate_next(reader)?;
        }
        let checked_joins = self.jump_to_join(join);
        let checked_segment = self.next_segment;

        self.reachable = true;
        self.next_segment = segment;
        self.builder.switch_to_block(fast);
        self.translate(op).map_err(at)?;
        self.after_operator(op);
        self.translate_fast_copy(fast_reader, &plan, base)?;
        let fast_joins = self.jump_to_join(join);
        if self.next_segment != checked_segment {
            return Err(at(TranslateError::internal(
                "the two copies of a versioned loop charge different fuel segments",
            )));
        }

        self.reachable = checked_joins || fast_joins;
        if self.reachable {
            self.builder.switch_to_block(join);
            self.builder.seal_block(join);
        }
        Ok(true)
    }

    /// The analysis of the loop whose body `reader` starts at.
    fn plan_loop(&self, reader: OperatorsReader<'_>) -> Option<Plan> {
        let locals: Vec<_> = self.locals.iter().map(|&(_, ty)| ty).collect();
        let info = self.env.info;
        let call_arity = |f: u32| {
            let ty = info.types.get(*info.funcs.get(FuncIndex::from_u32(f))?)?;
            Some((
                u32::try_from(ty.params().len()).ok()?,
                u32::try_from(ty.results().len()).ok()?,
            ))
        };
        let address_function = |f: u32| {
            let defined = info.defined_func_index(FuncIndex::from_u32(f))?;
            self.env.address_functions.get(defined)?.as_ref()
        };
        let cx = Context {
            locals: &locals,
            num_memories: self.env.offsets.num_memories(),
            call_arity: &call_arity,
            address_function: &address_function,
        };
        loop_versioning::plan(reader, &cx)
    }

    /// The fast copy's body, from the operator after the `loop` through
    /// its `end`; the covered accesses skip their bounds checks.
    fn translate_fast_copy(
        &mut self,
        mut reader: OperatorsReader<'_>,
        plan: &Plan,
        base: usize,
    ) -> Result<()> {
        while self.control.len() > base {
            let (op, offset) = reader.read_with_offset()?;
            self.covered_by_range_check = plan.covers(offset);
            let translated = self.translate(&op);
            self.covered_by_range_check = false;
            translated.map_err(|e| e.at(self.func_index.as_u32(), offset))?;
            self.after_operator(&op);
        }
        Ok(())
    }

    /// Ends a copy: if its continuation is reachable, it jumps to `join`.
    fn jump_to_join(&mut self, join: ir::Block) -> bool {
        if self.reachable {
            self.builder.ins().jump(join, &[]);
        }
        self.reachable
    }

    /// `1` if every range of `plan` is within its memory at loop entry.
    fn range_check(&mut self, plan: &Plan) -> TranslateResult<ir::Value> {
        let top = self.largest_induction(plan)?;
        let mut ends: Vec<(u32, ir::Value)> = Vec::new();
        for check in &plan.checks {
            let address = self.affine_value(&check.address, Some(top))?;
            let end_offset = i64::try_from(check.end_offset)
                .map_err(|_| TranslateError::internal("memory offset beyond 2^63"))?;
            let end = self.builder.ins().iadd_imm_s(address, end_offset);
            match ends.iter_mut().find(|(m, _)| *m == check.memory) {
                Some((_, max)) => *max = self.builder.ins().umax(*max, end),
                None => ends.push((check.memory, end)),
            }
        }
        let mut all = None;
        for (memory, end) in ends {
            let cache = self.memory_cache(MemoryIndex::from_u32(memory))?;
            // A lower bound of the length now and later: lengths only
            // grow, on any thread.
            let length = self.check_length(cache);
            let fits = self
                .builder
                .ins()
                .icmp(IntCC::UnsignedLessThanOrEqual, end, length);
            all = Some(match all {
                Some(a) => self.builder.ins().band(a, fits),
                None => fits,
            });
        }
        all.ok_or_else(|| TranslateError::internal("a versioning plan without ranges"))
    }

    /// The largest value a covered read of the induction local can see,
    /// as an `i64`: `X - 1` (guarded), or also the entry value (do-while).
    /// With `X = 0` no guarded read happens and a do-while one sees only
    /// the entry value, so `max(X, 1) - 1` serves. `X` is computed as the
    /// loop computes it, in wrapping `i32` arithmetic.
    fn largest_induction(&mut self, plan: &Plan) -> TranslateResult<ir::Value> {
        let limit = self.affine_value(&plan.limit, None)?;
        let limit = self.builder.ins().uextend(types::I64, limit);
        let one = self.builder.ins().iconst(types::I64, 1);
        let at_least_one = self.builder.ins().umax(limit, one);
        let below_limit = self.builder.ins().iadd_imm_s(at_least_one, -1);
        Ok(match plan.shape {
            Shape::Guarded => below_limit,
            Shape::DoWhile => {
                let entry = self.local_value(plan.induction)?;
                let entry = self.builder.ins().uextend(types::I64, entry);
                self.builder.ins().umax(entry, below_limit)
            }
        })
    }

    /// Local `index` (an `i32`) at this point.
    fn local_value(&mut self, index: u32) -> TranslateResult<ir::Value> {
        let &(var, _) = self
            .locals
            .get(index as usize)
            .ok_or_else(|| TranslateError::internal(format!("local {index} out of range")))?;
        Ok(self.builder.use_var(var))
    }

    /// The value of `x` at this point. With `induction` (the largest value
    /// of the induction local), as an `i64` where each step saturates at
    /// [`SATURATED`]: `min(exact value, SATURATED)`, since saturating
    /// commutes with the next step (both operators are monotone and
    /// `x * 0 = 0`). Without, as the `i32` the loop computes (wrapping).
    fn affine_value(
        &mut self,
        x: &Affine,
        induction: Option<ir::Value>,
    ) -> TranslateResult<ir::Value> {
        let ty = if induction.is_some() {
            types::I64
        } else {
            types::I32
        };
        Ok(match x {
            Affine::Induction => induction
                .ok_or_else(|| TranslateError::internal("a limit that reads the induction"))?,
            Affine::Invariant(l) => {
                let v = self.local_value(*l)?;
                if ty == types::I64 {
                    self.builder.ins().uextend(ty, v)
                } else {
                    v
                }
            }
            Affine::Const(c) => self.builder.ins().iconst(ty, i64::from(*c)),
            Affine::Add(a, b) | Affine::Mul(a, b) => {
                let a = self.affine_value(a, induction)?;
                let b = self.affine_value(b, induction)?;
                let exact = if matches!(x, Affine::Add(..)) {
                    self.builder.ins().iadd(a, b)
                } else {
                    self.builder.ins().imul(a, b)
                };
                if induction.is_none() {
                    return Ok(exact);
                }
                let cap = self.builder.ins().iconst(ty, SATURATED);
                self.builder.ins().umin(exact, cap)
            }
        })
    }
}
