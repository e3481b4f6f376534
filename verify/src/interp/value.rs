//! Runtime values and their types.
//!
//! Floats are carried as raw bits so that NaN payloads survive every move,
//! `local.get`, `select` or store untouched, exactly as the spec requires;
//! only arithmetic turns them into Rust floats.

use super::func::FuncRef;
use wasmparser::{RefType, ValType};

/// A WebAssembly value.
#[derive(Clone, Debug)]
pub enum Value {
    /// A 32-bit integer (sign is a matter of interpretation).
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float, as its IEEE 754 bits.
    F32(u32),
    /// A 64-bit float, as its IEEE 754 bits.
    F64(u64),
    /// A 128-bit vector: its 16 bytes as one little-endian number, so lane
    /// 0 of every shape sits in the low bits, as it sits at the lowest
    /// address in memory.
    V128(u128),
    /// A function reference, `None` being `ref.null func`.
    FuncRef(Option<FuncRef>),
    /// An external reference chosen by the host, `None` being `ref.null extern`.
    ExternRef(Option<u32>),
}

impl PartialEq for Value {
    /// Bitwise equality: two NaNs are equal exactly when their bits are.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::I32(a), Value::I32(b)) => a == b,
            (Value::I64(a), Value::I64(b)) => a == b,
            (Value::F32(a), Value::F32(b)) => a == b,
            (Value::F64(a), Value::F64(b)) => a == b,
            (Value::V128(a), Value::V128(b)) => a == b,
            (Value::FuncRef(a), Value::FuncRef(b)) => a == b,
            (Value::ExternRef(a), Value::ExternRef(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// The zero value of a type: what locals, globals and table slots start as.
    ///
    /// Returns `None` for types outside Wasm 2.0 (typed function references,
    /// GC types), which validation with our feature set rejects.
    pub fn default_for(ty: ValType) -> Option<Value> {
        Some(match ty {
            ValType::I32 => Value::I32(0),
            ValType::I64 => Value::I64(0),
            ValType::F32 => Value::F32(0),
            ValType::F64 => Value::F64(0),
            ValType::Ref(r) => Value::null_of(r)?,
            ValType::V128 => Value::V128(0),
        })
    }

    /// The null reference of a reference type (`None` outside Wasm 2.0).
    pub fn null_of(ty: RefType) -> Option<Value> {
        if ty.is_func_ref() {
            Some(Value::FuncRef(None))
        } else if ty.is_extern_ref() {
            Some(Value::ExternRef(None))
        } else {
            None
        }
    }

    /// Whether this value inhabits `ty`. Used to check host-supplied
    /// arguments, global values and table initializers before they reach
    /// code that relies on validation.
    pub fn has_type(&self, ty: ValType) -> bool {
        match (self, ty) {
            (Value::I32(_), ValType::I32)
            | (Value::I64(_), ValType::I64)
            | (Value::F32(_), ValType::F32)
            | (Value::F64(_), ValType::F64)
            | (Value::V128(_), ValType::V128) => true,
            (Value::FuncRef(_), ValType::Ref(r)) => r.is_func_ref(),
            (Value::ExternRef(_), ValType::Ref(r)) => r.is_extern_ref(),
            _ => false,
        }
    }

    /// Whether this is a null reference (false for numbers).
    pub fn is_null(&self) -> bool {
        matches!(self, Value::FuncRef(None) | Value::ExternRef(None))
    }

    // The accessors below are used by the executor on operands whose type
    // validation has already fixed; a mismatch is an interpreter bug, not
    // bad input, hence the panics.

    pub(crate) fn i32(&self) -> i32 {
        match self {
            Value::I32(v) => *v,
            other => panic!("validated code: expected i32 operand, found {other:?}"),
        }
    }

    pub(crate) fn i64(&self) -> i64 {
        match self {
            Value::I64(v) => *v,
            other => panic!("validated code: expected i64 operand, found {other:?}"),
        }
    }

    pub(crate) fn f32(&self) -> f32 {
        match self {
            Value::F32(v) => f32::from_bits(*v),
            other => panic!("validated code: expected f32 operand, found {other:?}"),
        }
    }

    pub(crate) fn f64(&self) -> f64 {
        match self {
            Value::F64(v) => f64::from_bits(*v),
            other => panic!("validated code: expected f64 operand, found {other:?}"),
        }
    }

    pub(crate) fn f32_bits(&self) -> u32 {
        match self {
            Value::F32(v) => *v,
            other => panic!("validated code: expected f32 operand, found {other:?}"),
        }
    }

    pub(crate) fn f64_bits(&self) -> u64 {
        match self {
            Value::F64(v) => *v,
            other => panic!("validated code: expected f64 operand, found {other:?}"),
        }
    }

    pub(crate) fn v128(&self) -> u128 {
        match self {
            Value::V128(v) => *v,
            other => panic!("validated code: expected v128 operand, found {other:?}"),
        }
    }

    /// Float results: stored as bits, whatever NaN the hardware produced
    /// (always an arithmetic NaN for IEEE operations, which the spec allows).
    pub(crate) fn from_f32(v: f32) -> Value {
        Value::F32(v.to_bits())
    }

    pub(crate) fn from_f64(v: f64) -> Value {
        Value::F64(v.to_bits())
    }

    pub(crate) fn from_bool(b: bool) -> Value {
        Value::I32(i32::from(b))
    }
}
