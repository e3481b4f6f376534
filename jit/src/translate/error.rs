//! What translating one operator can fail with.
//!
//! The validator runs in lockstep with the translator, so an operator that
//! reaches a family method is valid wasm. Two things can still go wrong, and
//! they mean different things to the user: the operator belongs to a
//! proposal weft does not implement (the module is fine, weft is not), or
//! the translator's own state is inconsistent (a weft bug). The one caller,
//! `translate_body`, turns them into [`ErrorKind::Unsupported`] and
//! [`ErrorKind::Internal`] with the function and the operator's offset.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// Why an operator could not be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TranslateError {
    /// Valid wasm that weft does not implement.
    Unsupported(String),
    /// A translator bug: a state valid wasm never leads to.
    Internal(String),
}

/// The result of every translator family method.
pub(crate) type TranslateResult<T> = Result<T, TranslateError>;

impl TranslateError {
    /// A translator bug described by `message`.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        TranslateError::Internal(message.into())
    }

    /// Valid wasm weft does not implement, described by `message`.
    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        TranslateError::Unsupported(message.into())
    }

    /// The error of the operator at `offset` in function `func_index`.
    pub(crate) fn at(self, func_index: u32, offset: u64) -> Error {
        match self {
            TranslateError::Unsupported(message) => ErrorKind::Unsupported {
                func_index,
                offset,
                message,
            },
            TranslateError::Internal(message) => ErrorKind::Internal {
                func_index,
                offset,
                message,
            },
        }
        .into()
    }
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranslateError::Unsupported(m) => write!(f, "unsupported: {m}"),
            TranslateError::Internal(m) => write!(f, "translator bug: {m}"),
        }
    }
}

/// The operand stack is shorter than the operator needs.
pub(crate) fn underflow() -> TranslateError {
    TranslateError::internal("operand stack underflow")
}

/// `what` (a family) was handed an operator that is not its own: the
/// dispatch and the family disagree.
pub(crate) fn misrouted(what: &str, op: &wasmparser::Operator<'_>) -> TranslateError {
    TranslateError::internal(format!("{op:?} was routed to the {what} family"))
}

#[cfg(test)]
mod tests {
    use super::{TranslateError, underflow};
    use crate::error::ErrorKind;

    #[test]
    fn translator_bugs_and_unsupported_operators_stay_apart() {
        let bug = underflow().at(7, 0x2a);
        let ErrorKind::Internal {
            func_index: 7,
            offset: 0x2a,
            message,
        } = bug.kind()
        else {
            panic!("a translator bug is internal: {bug:?}");
        };
        assert!(message.contains("underflow"), "{message}");
        assert!(bug.to_string().contains("weft bug"), "{bug}");

        let unsupported = TranslateError::unsupported("tail calls").at(3, 9);
        assert!(
            matches!(
                unsupported.kind(),
                ErrorKind::Unsupported {
                    func_index: 3,
                    offset: 9,
                    ..
                }
            ),
            "{unsupported:?}"
        );
    }
}
