//! Values crossing the host/wasm boundary.

use crate::error::{Error, Result};
use crate::runtime::func::Func;
use crate::runtime::store::StoreOpaque;
use crate::types::ValType;

/// An opaque host reference, as wasm's `externref` carries it.
///
/// weft keeps externrefs as plain tokens that the embedder interprets
/// (an index into its own table, say); generated code only moves them.
/// In wasm they are encoded as `token + 1` so that zero stays null.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef(u32);

impl ExternRef {
    /// A reference carrying `token`.
    pub fn new(token: u32) -> ExternRef {
        ExternRef(token)
    }

    /// The token.
    pub fn token(self) -> u32 {
        self.0
    }

    pub(crate) fn encode(r: Option<ExternRef>) -> u64 {
        r.map_or(0, |r| u64::from(r.0) + 1)
    }

    pub(crate) fn decode(bits: u64) -> Result<Option<ExternRef>> {
        match bits {
            0 => Ok(None),
            b => u32::try_from(b - 1)
                .map(|t| Some(ExternRef(t)))
                .map_err(|_| Error::usage("corrupt externref (weft bug)")),
        }
    }
}

/// A `v128` value: sixteen bytes, lane 0 in the low bits.
///
/// Opaque as wasm sees it: lanes are an operator's interpretation, so the
/// API converts only to and from `u128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct V128(u128);

impl V128 {
    /// The bits as a `u128` (lane 0 of any shape in the low bits).
    pub fn as_u128(&self) -> u128 {
        self.0
    }
}

impl From<u128> for V128 {
    fn from(bits: u128) -> V128 {
        V128(bits)
    }
}

impl From<V128> for u128 {
    fn from(v: V128) -> u128 {
        v.0
    }
}

/// A wasm value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as its bits (NaN payloads survive).
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// `v128`.
    V128(V128),
    /// `funcref`; `None` is null.
    FuncRef(Option<Func>),
    /// `externref`; `None` is null.
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The zero (or null) value of `ty`.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(V128(0)),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// The `i32`, if it is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `i64`, if it is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `f32`, if it is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }

    /// The `f64`, if it is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    /// The `v128`, if it is one.
    pub fn v128(&self) -> Option<V128> {
        if let Val::V128(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// Encodes the value into one 16-byte slot of a values area or a
    /// global (see the crate's calling convention): the value in its
    /// natural width at the slot's start, which on little-endian hosts is
    /// the low bits of the `u128`.
    pub(crate) fn to_slot(self, store: &StoreOpaque) -> Result<u128> {
        Ok(match self {
            Val::I32(v) => u128::from(v as u32),
            Val::I64(v) => u128::from(v as u64),
            Val::F32(v) => u128::from(v),
            Val::F64(v) => u128::from(v),
            Val::V128(v) => v.0,
            Val::FuncRef(None) => 0,
            Val::FuncRef(Some(f)) => store.func_data(f)?.funcref as u128,
            Val::ExternRef(r) => u128::from(ExternRef::encode(r)),
        })
    }

    /// Decodes a slot holding a value of type `ty`; bits above the type's
    /// width are ignored.
    pub(crate) fn from_slot(store: &StoreOpaque, ty: ValType, bits: u128) -> Result<Val> {
        Ok(match ty {
            ValType::I32 => Val::I32(bits as u32 as i32),
            ValType::I64 => Val::I64(bits as u64 as i64),
            ValType::F32 => Val::F32(bits as u32),
            ValType::F64 => Val::F64(bits as u64),
            ValType::V128 => Val::V128(V128(bits)),
            ValType::FuncRef => Val::FuncRef(store.func_from_ref(bits as usize)?),
            ValType::ExternRef => Val::ExternRef(ExternRef::decode(bits as u64)?),
        })
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<V128> for Val {
    fn from(v: V128) -> Val {
        Val::V128(v)
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn externref_encoding_keeps_zero_for_null() {
        assert_eq!(ExternRef::encode(None), 0);
        let r = Some(ExternRef::new(0));
        assert_eq!(ExternRef::decode(ExternRef::encode(r)).expect("valid"), r);
        let r = Some(ExternRef::new(u32::MAX));
        assert_eq!(ExternRef::decode(ExternRef::encode(r)).expect("valid"), r);
    }
}
