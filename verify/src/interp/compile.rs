//! Compiles one validated function body into the internal instruction set.
//!
//! The body is fed to wasmparser's `FuncValidator` one operator at a time,
//! and after each operator the validator's control stack tells us what we
//! need: a label's operand height and its arity. Our own label stack mirrors
//! the validator's and records where each label's jump lands (a loop's start
//! is known; a block's end is patched in when `end` is reached).

use super::code::{Branch, Code, Instr, MemArg, NumType};
use super::module::null_type;
use super::value::Value;
use super::{Error, ErrorKind, atomic, fuel, numeric, simd};
use wasmparser::{
    BlockType, FrameKind, FuncType, FuncValidator, FunctionBody, Operator, ValidatorResources,
};

/// A label being compiled.
struct Label {
    /// For a loop, the index branches jump to.
    start: u32,
    is_loop: bool,
    /// Jumps to this label's end, to patch at `end`: the instruction index
    /// and, for `br_table`, which of its entries.
    to_end: Vec<(usize, usize)>,
    /// For an `if`, the `JumpIfZero` to patch at `else` or `end`.
    to_else: Option<usize>,
}

struct Compiler<'a> {
    types: &'a [FuncType],
    instrs: Vec<Instr>,
    labels: Vec<Label>,
}

/// Compiles one function body, validating it on the way.
pub(crate) fn function(
    types: &[FuncType],
    ty: FuncType,
    body: &FunctionBody<'_>,
    validator: &mut FuncValidator<ValidatorResources>,
) -> Result<Code, Error> {
    let mut locals = Vec::new();
    let mut locals_reader = body.get_locals_reader().map_err(Error::invalid)?;
    for _ in 0..locals_reader.get_count() {
        let offset = locals_reader.original_position();
        let (count, local_ty) = locals_reader.read().map_err(Error::invalid)?;
        validator
            .define_locals(offset, count, local_ty)
            .map_err(Error::invalid)?;
        // `define_locals` enforces the implementation limit on locals, so
        // this cannot allocate without bound.
        locals.extend(std::iter::repeat_n(local_ty, count as usize));
    }
    let mut local_defaults = Vec::with_capacity(locals.len());
    for local_ty in &locals {
        local_defaults.push(Value::default_for(*local_ty).ok_or_else(|| {
            Error::new(ErrorKind::Unsupported(format!("local of type {local_ty}")))
        })?);
    }

    let mut compiler = Compiler {
        types,
        instrs: Vec::new(),
        // The function body itself is the outermost label.
        labels: vec![Label {
            start: 0,
            is_loop: false,
            to_end: Vec::new(),
            to_else: None,
        }],
    };
    // Fuel: each segment starts with a `Charge` whose cost is patched in
    // when the segment's last operator is seen (see `fuel.rs`). Labels
    // record positions before the next `Charge` is pushed, so branches
    // land on it.
    let mut charge_at = compiler.instrs.len();
    compiler.instrs.push(Instr::Charge(0));
    let mut segment_ops = 0u64;
    let mut reader = body.get_operators_reader().map_err(Error::invalid)?;
    while !reader.eof() {
        let offset = reader.original_position();
        let op = reader.read().map_err(Error::invalid)?;
        validator.op(offset, &op).map_err(Error::invalid)?;
        compiler.operator(&op, validator).map_err(|message| {
            Error::new(ErrorKind::Unsupported(format!(
                "{message} (at offset {offset:#x})"
            )))
        })?;
        segment_ops += 1;
        if fuel::ends_segment(&op) {
            compiler.instrs[charge_at] = Instr::Charge(segment_ops);
            segment_ops = 0;
            if !compiler.labels.is_empty() {
                charge_at = compiler.instrs.len();
                compiler.instrs.push(Instr::Charge(0));
            }
        }
    }
    reader.finish().map_err(Error::invalid)?;
    Ok(Code {
        ty,
        locals,
        local_defaults,
        instrs: compiler.instrs,
    })
}

impl Compiler<'_> {
    fn pc(&self) -> u32 {
        u32::try_from(self.instrs.len()).expect("a function body is far below 4G instructions")
    }

    fn block_arity(&self, ty: BlockType) -> (u32, u32) {
        match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(idx) => {
                let ft = &self.types[idx as usize];
                (ft.params().len() as u32, ft.results().len() as u32)
            }
        }
    }

    /// The branch to the label `depth` levels out. Called after the branch
    /// was validated, so the validator's control stack still holds the
    /// label and `depth` is in range.
    fn branch(&mut self, depth: u32, slot: usize, v: &FuncValidator<ValidatorResources>) -> Branch {
        let frame = v
            .get_control_frame(depth as usize)
            .expect("validated branch depth is within the control stack");
        let (params, results) = self.block_arity(frame.block_type);
        let is_loop = frame.kind == FrameKind::Loop;
        let height = u32::try_from(frame.height).expect("operand stack heights fit in u32");
        let index = self.labels.len() - 1 - depth as usize;
        let label = &mut self.labels[index];
        debug_assert_eq!(label.is_loop, is_loop, "label stacks agree");
        let target = if is_loop {
            label.start
        } else {
            // The instruction about to be pushed refers to the label's end.
            label.to_end.push((self.instrs.len(), slot));
            u32::MAX
        };
        Branch {
            target,
            height,
            keep: if is_loop { params } else { results },
        }
    }

    /// Points the pending jump at instruction `at` (entry `slot` of a
    /// `br_table`) to `target`.
    fn patch(&mut self, (at, slot): (usize, usize), target: u32) {
        match &mut self.instrs[at] {
            Instr::Jump(t) | Instr::JumpIfZero(t) => *t = target,
            Instr::Br(b) | Instr::BrIf(b) => b.target = target,
            Instr::BrTable(bs) => bs[slot].target = target,
            other => unreachable!("only jumps are patched, found {other:?}"),
        }
    }

    fn operator(
        &mut self,
        op: &Operator<'_>,
        v: &FuncValidator<ValidatorResources>,
    ) -> Result<(), String> {
        use Operator as O;
        let instr = match op {
            // ---- control ----
            O::Nop => return Ok(()),
            O::Unreachable => Instr::Unreachable,
            O::Block { .. } => {
                self.labels.push(Label {
                    start: self.pc(),
                    is_loop: false,
                    to_end: Vec::new(),
                    to_else: None,
                });
                return Ok(());
            }
            O::Loop { .. } => {
                self.labels.push(Label {
                    start: self.pc(),
                    is_loop: true,
                    to_end: Vec::new(),
                    to_else: None,
                });
                return Ok(());
            }
            O::If { .. } => {
                self.labels.push(Label {
                    start: self.pc(),
                    is_loop: false,
                    to_end: Vec::new(),
                    to_else: Some(self.instrs.len()),
                });
                Instr::JumpIfZero(u32::MAX)
            }
            O::Else => {
                let label = self.labels.last_mut().expect("validated else is in an if");
                label.to_end.push((self.instrs.len(), 0));
                let to_else = label.to_else.take().expect("validated else follows an if");
                self.instrs.push(Instr::Jump(u32::MAX));
                let pc = self.pc();
                self.patch((to_else, 0), pc);
                return Ok(());
            }
            O::End => {
                let label = self.labels.pop().expect("validated end closes a label");
                let pc = self.pc();
                if let Some(at) = label.to_else {
                    self.patch((at, 0), pc);
                }
                for at in label.to_end {
                    self.patch(at, pc);
                }
                if self.labels.is_empty() {
                    // The end of the function body.
                    Instr::Return
                } else {
                    return Ok(());
                }
            }
            O::Br { relative_depth } => Instr::Br(self.branch(*relative_depth, 0, v)),
            O::BrIf { relative_depth } => Instr::BrIf(self.branch(*relative_depth, 0, v)),
            O::BrTable { targets } => {
                let mut branches = Vec::with_capacity(targets.len() as usize + 1);
                for (slot, depth) in targets.targets().enumerate() {
                    let depth = depth.map_err(|e| e.message().to_string())?;
                    branches.push(self.branch(depth, slot, v));
                }
                let slot = branches.len();
                branches.push(self.branch(targets.default(), slot, v));
                Instr::BrTable(branches.into_boxed_slice())
            }
            O::Return => Instr::Return,
            O::Call { function_index } => Instr::Call(*function_index),
            O::CallIndirect {
                type_index,
                table_index,
            } => Instr::CallIndirect {
                ty: Box::new(self.types[*type_index as usize].clone()),
                table: *table_index,
            },
            // ---- parametric ----
            O::Drop => Instr::Drop,
            O::Select | O::TypedSelect { .. } => Instr::Select,
            // ---- variables ----
            O::LocalGet { local_index } => Instr::LocalGet(*local_index),
            O::LocalSet { local_index } => Instr::LocalSet(*local_index),
            O::LocalTee { local_index } => Instr::LocalTee(*local_index),
            O::GlobalGet { global_index } => Instr::GlobalGet(*global_index),
            O::GlobalSet { global_index } => Instr::GlobalSet(*global_index),
            // ---- constants ----
            O::I32Const { value } => Instr::Const(Value::I32(*value)),
            O::I64Const { value } => Instr::Const(Value::I64(*value)),
            O::F32Const { value } => Instr::Const(Value::F32(value.bits())),
            O::F64Const { value } => Instr::Const(Value::F64(value.bits())),
            // ---- references ----
            O::RefNull { hty } => {
                let ty = null_type(*hty, 0).map_err(|e| e.to_string())?;
                Instr::Const(Value::null_of(ty).expect("null_type returns funcref or externref"))
            }
            O::RefIsNull => Instr::RefIsNull,
            O::RefFunc { function_index } => Instr::RefFunc(*function_index),
            // ---- tables ----
            O::TableGet { table } => Instr::TableGet(*table),
            O::TableSet { table } => Instr::TableSet(*table),
            O::TableSize { table } => Instr::TableSize(*table),
            O::TableGrow { table } => Instr::TableGrow(*table),
            O::TableFill { table } => Instr::TableFill(*table),
            O::TableInit { elem_index, table } => Instr::TableInit {
                elem: *elem_index,
                table: *table,
            },
            O::ElemDrop { elem_index } => Instr::ElemDrop(*elem_index),
            O::TableCopy {
                dst_table,
                src_table,
            } => Instr::TableCopy {
                dst: *dst_table,
                src: *src_table,
            },
            // ---- memory ----
            O::MemorySize { mem } => Instr::MemorySize(*mem),
            O::MemoryGrow { mem } => Instr::MemoryGrow(*mem),
            O::MemoryInit { data_index, mem } => Instr::MemoryInit {
                data: *data_index,
                memory: *mem,
            },
            O::DataDrop { data_index } => Instr::DataDrop(*data_index),
            O::MemoryCopy { dst_mem, src_mem } => Instr::MemoryCopy {
                dst: *dst_mem,
                src: *src_mem,
            },
            O::MemoryFill { mem } => Instr::MemoryFill(*mem),
            other => match access(other)
                .or_else(|| atomic::compile(other))
                .or_else(|| numeric::compile(other))
                .or_else(|| simd::compile(other))
            {
                Some(instr) => instr,
                None => return Err(format!("operator {other:?}")),
            },
        };
        self.instrs.push(instr);
        Ok(())
    }
}

/// Plain loads and stores.
fn access(op: &Operator<'_>) -> Option<Instr> {
    use NumType::*;
    use Operator as O;
    let load = |m: &wasmparser::MemArg, width, signed, ty| {
        Some(Instr::Load {
            arg: MemArg::new(m)?,
            width,
            signed,
            ty,
        })
    };
    let store = |m: &wasmparser::MemArg, width| {
        Some(Instr::Store {
            arg: MemArg::new(m)?,
            width,
        })
    };
    match op {
        O::I32Load { memarg } => load(memarg, 4, false, I32),
        O::I64Load { memarg } => load(memarg, 8, false, I64),
        O::F32Load { memarg } => load(memarg, 4, false, F32),
        O::F64Load { memarg } => load(memarg, 8, false, F64),
        O::I32Load8S { memarg } => load(memarg, 1, true, I32),
        O::I32Load8U { memarg } => load(memarg, 1, false, I32),
        O::I32Load16S { memarg } => load(memarg, 2, true, I32),
        O::I32Load16U { memarg } => load(memarg, 2, false, I32),
        O::I64Load8S { memarg } => load(memarg, 1, true, I64),
        O::I64Load8U { memarg } => load(memarg, 1, false, I64),
        O::I64Load16S { memarg } => load(memarg, 2, true, I64),
        O::I64Load16U { memarg } => load(memarg, 2, false, I64),
        O::I64Load32S { memarg } => load(memarg, 4, true, I64),
        O::I64Load32U { memarg } => load(memarg, 4, false, I64),
        O::I32Store { memarg } | O::F32Store { memarg } => store(memarg, 4),
        O::I64Store { memarg } | O::F64Store { memarg } => store(memarg, 8),
        O::I32Store8 { memarg } | O::I64Store8 { memarg } => store(memarg, 1),
        O::I32Store16 { memarg } | O::I64Store16 { memarg } => store(memarg, 2),
        O::I64Store32 { memarg } => store(memarg, 4),
        _ => None,
    }
}
