//! Control instructions: blocks, loops, `if`, branches, `return`,
//! `unreachable`, `select`, `drop`, `nop`.
//!
//! Each wasm block becomes Cranelift blocks whose parameters carry the
//! block's values (multi-value blocks need nothing special). Code after an
//! unconditional branch is skipped until the `else` or `end` that makes
//! control reachable again; only nesting is tracked there.

use cranelift_codegen::ir::{self, Block, BlockArg, InstBuilder};
use wasmparser::{BlockType, Operator};

use super::FuncTranslator;
use crate::index::TypeIndex;
use crate::translate::error::{TranslateError, TranslateResult, misrouted, underflow};
use crate::trap::TrapCode;
use crate::types::ValType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FrameKind {
    /// The function body; its destination is the return block.
    Function,
    Block,
    /// A loop; branches go to `header`.
    Loop {
        header: Block,
    },
    /// An `if`; `else_block` runs when the condition is zero.
    If {
        else_block: Block,
        else_seen: bool,
    },
}

/// One open wasm block.
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    kind: FrameKind,
    /// Where control continues after the block, with its results.
    dest: Block,
    num_params: usize,
    num_results: usize,
    /// Operand stack height below the block's parameters.
    height: usize,
    /// Whether anything branches to or falls through to `dest`.
    dest_reachable: bool,
}

impl Frame {
    pub(super) fn function(ret: Block, num_results: usize) -> Frame {
        Frame {
            kind: FrameKind::Function,
            dest: ret,
            num_params: 0,
            num_results,
            height: 0,
            dest_reachable: false,
        }
    }

    /// The body of a callee inlined into its caller (`inline`): a plain
    /// block whose end takes the callee's results. It is the outermost
    /// frame of the callee's own control stack, so `return` and the
    /// callee's branch depths end here.
    pub(super) fn inlined_body(end: Block, num_results: usize) -> Frame {
        Frame {
            kind: FrameKind::Block,
            ..Frame::function(end, num_results)
        }
    }

    /// The block a branch to this frame targets and how many values it
    /// carries.
    fn branch_target(&self) -> (Block, usize) {
        match self.kind {
            FrameKind::Loop { header } => (header, self.num_params),
            _ => (self.dest, self.num_results),
        }
    }
}

fn block_args(values: &[ir::Value]) -> Vec<BlockArg> {
    values.iter().map(|&v| BlockArg::Value(v)).collect()
}

impl FuncTranslator<'_, '_> {
    fn block_type(&self, bt: BlockType) -> TranslateResult<(Vec<ValType>, Vec<ValType>)> {
        Ok(match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (
                vec![],
                vec![
                    ValType::from_wasm(t)
                        .map_err(|e| TranslateError::unsupported(e.to_string()))?,
                ],
            ),
            BlockType::FuncType(i) => {
                let ty = self
                    .env
                    .info
                    .types
                    .get(TypeIndex::from_u32(i))
                    .ok_or_else(|| TranslateError::internal("block type index out of range"))?;
                (ty.params().to_vec(), ty.results().to_vec())
            }
        })
    }

    pub(super) fn block_with_params(&mut self, tys: &[ValType]) -> Block {
        let b = self.builder.create_block();
        for t in tys {
            self.builder.append_block_param(b, t.clif(self.env.pointer));
        }
        b
    }

    /// Operators seen while the current position is unreachable: only
    /// nesting matters until control becomes reachable again.
    pub(super) fn translate_unreachable(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.unreachable_depth += 1;
            }
            Operator::Else if self.unreachable_depth == 0 => self.translate_else()?,
            Operator::End if self.unreachable_depth == 0 => self.translate_end()?,
            Operator::End => self.unreachable_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    /// Translates `op`, a control operator.
    pub(super) fn translate_control(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        match op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.traps.raise(&mut self.builder, TrapCode::Unreachable);
                self.reachable = false;
            }
            Operator::Drop => {
                self.pop()?;
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let cond = self.pop()?;
                let b = self.pop()?;
                let a = self.pop()?;
                let v = self.builder.ins().select(cond, a, b);
                self.stack.push(v);
            }
            Operator::Block { blockty } => {
                let (params, results) = self.block_type(*blockty)?;
                let dest = self.block_with_params(&results);
                self.push_frame(FrameKind::Block, dest, params.len(), results.len())?;
            }
            Operator::Loop { blockty } => {
                let (params, results) = self.block_type(*blockty)?;
                let header = self.block_with_params(&params);
                let args = block_args(self.peek_n(params.len())?);
                self.builder.ins().jump(header, &args);
                self.pop_n(params.len())?;
                self.builder.switch_to_block(header);
                let header_params = self.builder.block_params(header).to_vec();
                self.stack.extend(header_params);
                let dest = self.block_with_params(&results);
                self.push_frame(
                    FrameKind::Loop { header },
                    dest,
                    params.len(),
                    results.len(),
                )?;
            }
            Operator::If { blockty } => {
                let (params, results) = self.block_type(*blockty)?;
                let cond = self.pop()?;
                let then_block = self.block_with_params(&params);
                let else_block = self.block_with_params(&params);
                let args = block_args(self.peek_n(params.len())?);
                self.builder
                    .ins()
                    .brif(cond, then_block, &args, else_block, &args);
                self.builder.seal_block(then_block);
                self.builder.seal_block(else_block);
                self.pop_n(params.len())?;
                self.builder.switch_to_block(then_block);
                let then_params = self.builder.block_params(then_block).to_vec();
                self.stack.extend(then_params);
                let dest = self.block_with_params(&results);
                self.push_frame(
                    FrameKind::If {
                        else_block,
                        else_seen: false,
                    },
                    dest,
                    params.len(),
                    results.len(),
                )?;
            }
            Operator::Else => self.translate_else()?,
            Operator::End => self.translate_end()?,
            Operator::Br { relative_depth } => {
                self.branch(*relative_depth)?;
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop()?;
                let (target, n) = self.frame_mut(*relative_depth)?.branch_target();
                self.mark_dest_reachable(*relative_depth)?;
                let args = block_args(self.peek_n(n)?);
                let next = self.builder.create_block();
                self.builder.ins().brif(cond, target, &args, next, &[]);
                self.builder.seal_block(next);
                self.builder.switch_to_block(next);
            }
            Operator::BrTable { targets } => {
                self.translate_br_table(targets)?;
                self.reachable = false;
            }
            Operator::Return => {
                let depth = u32::try_from(self.control.len() - 1)
                    .map_err(|_| TranslateError::internal("control stack deeper than 2^32"))?;
                self.branch(depth)?;
                self.reachable = false;
            }
            _ => return Err(misrouted("control", op)),
        }
        Ok(())
    }

    fn push_frame(
        &mut self,
        kind: FrameKind,
        dest: Block,
        num_params: usize,
        num_results: usize,
    ) -> TranslateResult<()> {
        let height = self
            .stack
            .len()
            .checked_sub(num_params)
            .ok_or_else(underflow)?;
        self.control.push(Frame {
            kind,
            dest,
            num_params,
            num_results,
            height,
            dest_reachable: false,
        });
        Ok(())
    }

    fn frame_mut(&mut self, depth: u32) -> TranslateResult<&mut Frame> {
        let len = self.control.len();
        let i = len
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| TranslateError::internal("branch depth out of range"))?;
        Ok(&mut self.control[i])
    }

    fn mark_dest_reachable(&mut self, depth: u32) -> TranslateResult<()> {
        let frame = self.frame_mut(depth)?;
        if !matches!(frame.kind, FrameKind::Loop { .. }) {
            frame.dest_reachable = true;
        }
        Ok(())
    }

    /// Unconditional branch to the frame `depth` levels out.
    fn branch(&mut self, depth: u32) -> TranslateResult<()> {
        let (target, n) = self.frame_mut(depth)?.branch_target();
        self.mark_dest_reachable(depth)?;
        let args = block_args(self.peek_n(n)?);
        self.builder.ins().jump(target, &args);
        Ok(())
    }

    fn translate_br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> TranslateResult<()> {
        let index = self.pop()?;
        let mut depths = Vec::with_capacity(targets.len() as usize);
        for t in targets.targets() {
            depths.push(t.map_err(|e| TranslateError::internal(e.to_string()))?);
        }
        let default = targets.default();
        let (_, n) = self.frame_mut(default)?.branch_target();
        let args = block_args(self.peek_n(n)?);
        // Each distinct target gets one edge block that passes the values,
        // so the jump table itself carries no arguments.
        let mut edges: Vec<(u32, Block)> = Vec::new();
        let mut edge_for = |this: &mut Self, depth: u32| -> TranslateResult<Block> {
            if let Some(&(_, b)) = edges.iter().find(|(d, _)| *d == depth) {
                return Ok(b);
            }
            let (target, _) = this.frame_mut(depth)?.branch_target();
            this.mark_dest_reachable(depth)?;
            let b = if n == 0 {
                target
            } else {
                this.builder.create_block()
            };
            edges.push((depth, b));
            Ok(b)
        };
        let mut table = Vec::with_capacity(depths.len());
        for &d in &depths {
            let b = edge_for(self, d)?;
            table.push(self.builder.func.dfg.block_call(b, &[]));
        }
        let default_block = edge_for(self, default)?;
        let default_call = self.builder.func.dfg.block_call(default_block, &[]);
        let jt = self
            .builder
            .create_jump_table(ir::JumpTableData::new(default_call, &table));
        self.builder.ins().br_table(index, jt);
        if n > 0 {
            for (depth, edge) in edges {
                let (target, _) = self.frame_mut(depth)?.branch_target();
                self.builder.switch_to_block(edge);
                self.builder.seal_block(edge);
                self.builder.ins().jump(target, &args);
            }
        }
        Ok(())
    }

    fn translate_else(&mut self) -> TranslateResult<()> {
        let frame = *self.frame_mut(0)?;
        let FrameKind::If { else_block, .. } = frame.kind else {
            return Err(TranslateError::internal("else without if"));
        };
        if self.reachable {
            let args = block_args(self.peek_n(frame.num_results)?);
            self.builder.ins().jump(frame.dest, &args);
            self.frame_mut(0)?.dest_reachable = true;
        }
        self.stack.truncate(frame.height);
        self.builder.switch_to_block(else_block);
        let params = self.builder.block_params(else_block).to_vec();
        self.stack.extend(params);
        self.frame_mut(0)?.kind = FrameKind::If {
            else_block,
            else_seen: true,
        };
        self.reachable = true;
        Ok(())
    }

    fn translate_end(&mut self) -> TranslateResult<()> {
        let mut frame = self
            .control
            .pop()
            .ok_or_else(|| TranslateError::internal("end without block"))?;
        if self.reachable {
            let args = block_args(self.peek_n(frame.num_results)?);
            self.builder.ins().jump(frame.dest, &args);
            frame.dest_reachable = true;
        }
        match frame.kind {
            FrameKind::If {
                else_block,
                else_seen: false,
            } => {
                // No `else`: the parameters pass straight through (validation
                // guarantees the block's parameter and result types agree).
                self.builder.switch_to_block(else_block);
                let params = self.builder.block_params(else_block).to_vec();
                let args = block_args(&params);
                self.builder.ins().jump(frame.dest, &args);
                frame.dest_reachable = true;
            }
            FrameKind::Loop { header } => self.builder.seal_block(header),
            _ => {}
        }
        self.stack.truncate(frame.height);
        if frame.kind == FrameKind::Function {
            self.function_return(frame.dest);
            self.reachable = false;
            return Ok(());
        }
        if frame.dest_reachable {
            self.builder.switch_to_block(frame.dest);
            self.builder.seal_block(frame.dest);
            let params = self.builder.block_params(frame.dest).to_vec();
            self.stack.extend(params);
            self.reachable = true;
        } else {
            self.reachable = false;
        }
        Ok(())
    }

    /// The return block: "no trap", then the results.
    fn function_return(&mut self, ret: Block) {
        self.builder.switch_to_block(ret);
        self.builder.seal_block(ret);
        let ok = self.builder.ins().iconst(ir::types::I32, 0);
        let mut values = vec![ok];
        values.extend_from_slice(self.builder.block_params(ret));
        self.builder.ins().return_(&values);
    }
}
