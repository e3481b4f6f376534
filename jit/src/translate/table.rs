//! Table instructions. `table.get`, `table.set`, `table.size` and the
//! element load of `call_indirect` are inline, with an explicit bounds
//! check; the bulk operations call the runtime.

use cranelift_codegen::ir::{self, InstBuilder, condcodes::IntCC, types};
use cranelift_entity::EntityRef;
use wasmparser::Operator;

use weft_core::vm::{
    VMTABLE_DEFINITION_BASE_OFFSET, VMTABLE_DEFINITION_CURRENT_ELEMENTS_OFFSET,
    VMTABLE_ELEMENT_SIZE,
};

use super::trap::TrapSink;
use super::{FuncTranslator, trusted};
use crate::builtins::Builtin;
use crate::index::{ElemIndex, TableIndex};
use crate::translate::error::{TranslateError, TranslateResult, misrouted};
use crate::trap::TrapCode;

impl FuncTranslator<'_, '_> {
    fn table_definition(&mut self, table: TableIndex) -> TranslateResult<ir::Value> {
        let table = table.as_u32();
        if table >= self.env.offsets.num_tables() {
            return Err(TranslateError::internal(format!(
                "table {table} out of range"
            )));
        }
        let offset = self.env.offsets.table_pointer(table);
        Ok(self.builder.ins().load(
            self.env.pointer,
            trusted().with_readonly(),
            self.vmctx,
            offset as i32,
        ))
    }

    fn table_length(&mut self, definition: ir::Value) -> ir::Value {
        self.builder.ins().load(
            self.env.pointer,
            trusted(),
            definition,
            VMTABLE_DEFINITION_CURRENT_ELEMENTS_OFFSET as i32,
        )
    }

    /// Address of element `index` (an `i32`) of `table`, trapping with
    /// `oob_code` if out of bounds.
    fn table_element_addr(
        &mut self,
        table: TableIndex,
        index: ir::Value,
        oob_code: TrapCode,
    ) -> TranslateResult<ir::Value> {
        let pointer = self.env.pointer;
        let definition = self.table_definition(table)?;
        let length = self.table_length(definition);
        let index = self.builder.ins().uextend(pointer, index);
        let oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, length);
        self.traps.trap_if(&mut self.builder, oob, oob_code);
        let base = self.builder.ins().load(
            pointer,
            trusted(),
            definition,
            VMTABLE_DEFINITION_BASE_OFFSET as i32,
        );
        let scaled = self
            .builder
            .ins()
            .imul_imm_s(index, i64::from(VMTABLE_ELEMENT_SIZE));
        Ok(self.builder.ins().iadd(base, scaled))
    }

    /// Loads element `index` of `table`, trapping if out of bounds.
    pub(super) fn table_element(
        &mut self,
        table: TableIndex,
        index: ir::Value,
        oob_code: TrapCode,
    ) -> TranslateResult<ir::Value> {
        let addr = self.table_element_addr(table, index, oob_code)?;
        Ok(self
            .builder
            .ins()
            .load(self.env.pointer, trusted(), addr, 0))
    }

    /// `index` as the `i32` constant a builtin takes.
    pub(super) fn index_const(&mut self, index: impl EntityRef) -> ir::Value {
        let index = i64::try_from(index.index()).expect("entity indices are 32-bit");
        self.builder.ins().iconst(types::I32, index)
    }

    /// Translates `op`, a table operator.
    pub(super) fn translate_table(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        match *op {
            Operator::TableGet { table } => {
                let table = TableIndex::from_u32(table);
                let index = self.pop()?;
                let v = self.table_element(table, index, TrapCode::TableOutOfBounds)?;
                self.stack.push(v);
            }
            Operator::TableSet { table } => {
                let table = TableIndex::from_u32(table);
                let value = self.pop()?;
                let index = self.pop()?;
                let addr = self.table_element_addr(table, index, TrapCode::TableOutOfBounds)?;
                self.builder.ins().store(trusted(), value, addr, 0);
            }
            Operator::TableSize { table } => {
                let table = TableIndex::from_u32(table);
                let definition = self.table_definition(table)?;
                let length = self.table_length(definition);
                let v = self.builder.ins().ireduce(types::I32, length);
                self.stack.push(v);
            }
            Operator::TableGrow { table } => {
                let delta = self.pop()?;
                let init = self.pop()?;
                let t = self.index_const(TableIndex::from_u32(table));
                self.push_builtin_value(Builtin::table_grow, &[t, init, delta])?;
            }
            Operator::TableFill { table } => {
                let len = self.pop()?;
                let value = self.pop()?;
                let dst = self.pop()?;
                let t = self.index_const(TableIndex::from_u32(table));
                self.call_builtin(Builtin::table_fill, &[t, dst, value, len]);
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let len = self.pop()?;
                let src = self.pop()?;
                let dst = self.pop()?;
                let d = self.index_const(TableIndex::from_u32(dst_table));
                let s = self.index_const(TableIndex::from_u32(src_table));
                self.call_builtin(Builtin::table_copy, &[d, s, dst, src, len]);
            }
            Operator::TableInit { elem_index, table } => {
                let len = self.pop()?;
                let src = self.pop()?;
                let dst = self.pop()?;
                let t = self.index_const(TableIndex::from_u32(table));
                let e = self.index_const(ElemIndex::from_u32(elem_index));
                self.call_builtin(Builtin::table_init, &[t, e, dst, src, len]);
            }
            Operator::ElemDrop { elem_index } => {
                let e = self.index_const(ElemIndex::from_u32(elem_index));
                self.call_builtin(Builtin::elem_drop, &[e]);
            }
            _ => return Err(misrouted("table", op)),
        }
        Ok(())
    }
}
