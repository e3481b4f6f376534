//! Bounds-check fusion and elimination (`Config::bounds_check_fusion`):
//! which bounds checks an access can do without, decided while
//! translating, from what earlier checks proved. The argument that the
//! program does not change is in `docs/bounds-checks.md`, "Check fusion
//! and elimination"; in short:
//!
//! - **Elimination.** A check of memory `m` that passed for index value
//!   `v` (the wasm `i32` SSA value, aliases resolved) and end `e` proves
//!   `v + e' <= length` for every `e' <= e` wherever the check dominates,
//!   forever: memories never shrink, not across calls, not across
//!   `memory.grow`, not on other threads. Such a *fact* lives in the
//!   structured-control scope where it was recorded: a fact recorded
//!   inside a `block`, `loop` or `if` arm is dropped at its `end` (the
//!   `then` arm's at `else`), because code after the construct is not
//!   dominated by code inside it. Facts from outside remain valid inside
//!   and after.
//! - **Fusion by widening.** The *open* check for a key is the last check
//!   emitted for it, as long as nothing observable has happened since it:
//!   a later access off the same index with a larger end moves that
//!   check's end (the `iconst` feeding its `iadd`) up instead of emitting
//!   a check of its own. The program may then trap at the earlier check
//!   instead of the later one; with nothing observable in between, the
//!   two runs cannot be told apart (same trap code, and a trap records the
//!   function, not the instruction). Two rules close all open checks:
//!   every operator not known to be unobservable ([`keeps_checks_open`]),
//!   once translated, so a store may still widen an open check but nothing
//!   after it can; and leaving the Cranelift block the last check
//!   continued in, whatever the operator, which is how anything that may
//!   trap closes them (a trap is a branch). An atomic access closes them
//!   before its own check, whose alignment check must come first.
//!
//! With the switch off none of this runs and the translator emits exactly
//! the CLIF it emitted before this module existed.

use std::collections::HashMap;

use cranelift_codegen::ir::{self, InstBuilder, immediates::Imm64};
use wasmparser::Operator;

use super::access::Alignment;
use super::dispatch::{Family, family, is_plain_load, is_simd_load};
use super::{FuncTranslator, MemoryCache};
use crate::index::MemoryIndex;

/// What a check is about: a memory and an index value.
type Key = (MemoryIndex, ir::Value);

/// A passed check: `key`'s index plus `end` is within the memory.
struct Fact {
    key: Key,
    /// The largest end proved for `key` in scope, counting the facts this
    /// one shadows (they stay valid as long as it does).
    end: i64,
    /// The control-stack height where it was recorded: its scope.
    depth: usize,
    /// The fact for `key` this one shadows, restored when it is dropped.
    shadowed: Option<usize>,
}

/// A check that can still be widened.
struct OpenCheck {
    /// Its fact, always the latest for its key (a second check for the key
    /// is only emitted when this one could not be widened, i.e. is closed).
    fact: usize,
    /// The `iconst` of its end offset, which widening rewrites.
    end_const: ir::Inst,
}

/// The facts and open checks at the current point of translation.
#[derive(Default)]
pub(super) struct CheckCache {
    /// In recording order, which is also non-decreasing depth: deeper
    /// facts are dropped before a shallower one can be recorded.
    facts: Vec<Fact>,
    /// The latest fact of each key.
    latest: HashMap<Key, usize>,
    open: Vec<OpenCheck>,
    /// The Cranelift block the last check (or elided check) continued in;
    /// open checks are only widened from there.
    block: Option<ir::Block>,
}

impl CheckCache {
    /// Whether a fact in scope proves `key` up to `end`.
    fn covers(&self, key: Key, end: i64) -> bool {
        self.latest
            .get(&key)
            .is_some_and(|&fact| self.facts[fact].end >= end)
    }

    /// Widens the open check of `key`, if there is one, to `end`.
    fn widen(&mut self, key: Key, end: i64, dfg: &mut ir::DataFlowGraph) -> bool {
        let Some(&fact) = self.latest.get(&key) else {
            return false;
        };
        let Some(open) = self.open.iter().find(|o| o.fact == fact) else {
            return false;
        };
        dfg.insts[open.end_const] = ir::InstructionData::UnaryImm {
            opcode: ir::Opcode::Iconst,
            imm: Imm64::new(end),
        };
        self.facts[fact].end = end;
        true
    }

    /// Records the check just emitted, open, its end offset made by
    /// `end_const`.
    fn record(&mut self, key: Key, end: i64, depth: usize, end_const: ir::Inst) {
        let shadowed = self.latest.get(&key).copied();
        let end = shadowed.map_or(end, |s| end.max(self.facts[s].end));
        let fact = self.facts.len();
        self.facts.push(Fact {
            key,
            end,
            depth,
            shadowed,
        });
        self.latest.insert(key, fact);
        self.open.push(OpenCheck { fact, end_const });
    }

    /// Drops the facts recorded at a control-stack height of `depth` or
    /// more: those of the scopes that just ended.
    fn drop_facts_from(&mut self, depth: usize) {
        while self.facts.last().is_some_and(|f| f.depth >= depth) {
            let fact = self.facts.pop().expect("checked non-empty");
            match fact.shadowed {
                Some(s) => self.latest.insert(fact.key, s),
                None => self.latest.remove(&fact.key),
            };
        }
        let live = self.facts.len();
        self.open.retain(|o| o.fact < live);
    }
}

impl FuncTranslator<'_, '_> {
    /// Makes sure the access of `memory` at `index + end_offset` is in
    /// bounds before it happens: elided if a fact covers it, by widening
    /// the open check of the same index, or with a check of its own.
    /// `address` is the wasm `i32` index, `index` its native widening.
    pub(super) fn check_access_bounds(
        &mut self,
        memory: MemoryIndex,
        cache: MemoryCache,
        address: ir::Value,
        index: ir::Value,
        end_offset: i64,
        alignment: Alignment,
    ) {
        let fusion = self.env.bounds_check_fusion;
        let key = (memory, self.builder.func.dfg.resolve_aliases(address));
        if fusion {
            if self.builder.current_block() != self.checks.block || alignment == Alignment::Required
            {
                self.checks.open.clear();
            }
            if self.checks.covers(key, end_offset)
                || self
                    .checks
                    .widen(key, end_offset, &mut self.builder.func.dfg)
            {
                return;
            }
        }
        // `iadd_imm_s` spelled out, so that the `iconst` can be widened.
        let end_const = self.builder.ins().iconst(self.env.pointer, end_offset);
        let end = self.builder.ins().iadd(index, end_const);
        self.bounds_check(cache, end);
        if fusion {
            let end_const = (self.builder.func.dfg.value_def(end_const).inst())
                .expect("an iconst's result is an instruction result");
            self.checks
                .record(key, end_offset, self.control.len(), end_const);
            self.checks.block = self.builder.current_block();
        }
    }

    /// After each operator: closes the open checks unless `op` keeps them
    /// open, and drops the facts of the scopes `op` ended (`end`: the
    /// block's; `else`: the `then` arm's).
    pub(super) fn bounds_after_operator(&mut self, op: &Operator<'_>) {
        if !self.env.bounds_check_fusion {
            return;
        }
        if !keeps_checks_open(op) {
            self.checks.open.clear();
        }
        let depth = self.control.len();
        let ended = if matches!(op, Operator::Else) {
            depth
        } else {
            depth + 1
        };
        self.checks.drop_facts_from(ended);
    }
}

/// Whether `op` does nothing another observer (the host after a trap,
/// another thread) could see: loads, locals, `global.get`, constants and
/// arithmetic. Everything else, including what this list does not know,
/// closes the open checks.
///
/// Operators that may trap (division, float-to-int truncation) are not
/// singled out: in weft every trap is a conditional branch to a cold exit
/// (`DESIGN.md`, "Traps without signals"), which ends the Cranelift block,
/// and [`FuncTranslator::check_access_bounds`] only widens checks from the
/// block where the last check continued. The same rule closes the open
/// checks at the fuel and epoch checks, a call's status check and an
/// atomic's alignment check; and an operator that cannot trap in a given
/// instance (a division by a non-zero constant) keeps them open.
fn keeps_checks_open(op: &Operator<'_>) -> bool {
    use Operator as O;
    match family(op) {
        Family::Int
        | Family::Float
        | Family::Conversion
        | Family::SimdLanes
        | Family::SimdInt
        | Family::SimdFloat
        | Family::SimdConversion => true,
        Family::Variable => !matches!(op, O::GlobalSet { .. }),
        Family::Control => matches!(op, O::Nop | O::Drop | O::Select | O::TypedSelect { .. }),
        Family::Reference => matches!(op, O::RefNull { .. } | O::RefIsNull),
        Family::Memory => is_plain_load(op),
        Family::SimdMemory => is_simd_load(op),
        Family::Call | Family::Atomic | Family::Table | Family::Unsupported(_) => false,
    }
}
