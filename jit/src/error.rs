//! weft's one error type.
//!
//! Every fallible API returns [`Error`]. It is a thin box around
//! [`ErrorKind`], so that `Result<T, Error>` stays one word larger than `T`
//! however rich the kinds become.

use std::fmt;

use crate::trap::Trap;

/// Anything that can go wrong in weft: an invalid module, a failed link, a
/// trap, a host error.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The module failed to parse or validate.
    #[error("invalid module at offset {offset:#x}{}: {message}", in_function(*func_index))]
    InvalidModule {
        /// Byte offset in the binary where the problem was found.
        offset: u64,
        /// The function whose body is invalid, if the problem is in one.
        func_index: Option<u32>,
        /// What is wrong.
        message: String,
    },
    /// The `.wat` text did not parse.
    #[error("invalid text format: {0}")]
    InvalidText(String),
    /// The module is valid but uses something weft does not support.
    #[error("unsupported in function {func_index} at offset {offset:#x}: {message}")]
    Unsupported {
        /// Module-level index of the function.
        func_index: u32,
        /// Byte offset of the operator.
        offset: u64,
        /// What is unsupported.
        message: String,
    },
    /// The translator found itself in a state valid wasm cannot reach (its
    /// operand stack out of step with the validator's, an index the
    /// validator accepted missing from its tables): a weft bug, reported as
    /// an error rather than a panic so that it cannot take down the
    /// embedding process.
    #[error(
        "internal error (a weft bug) in function {func_index} at offset {offset:#x}: {message}"
    )]
    Internal {
        /// Module-level index of the function.
        func_index: u32,
        /// Byte offset of the operator being translated.
        offset: u64,
        /// What the translator found.
        message: String,
    },
    /// Code generation failed (a weft bug or a resource limit).
    #[error("compiling function {func_index}: {message}")]
    Compile {
        /// Module-level index of the function.
        func_index: u32,
        /// What Cranelift or the code memory reported.
        message: String,
    },
    /// Instantiation or linking failed: a missing or mistyped import, or a
    /// failed segment initialization.
    #[error("{0}")]
    Link(String),
    /// Wasm code trapped.
    #[error(transparent)]
    Trap(Trap),
    /// A store's [`ResourceLimiter`](crate::ResourceLimiter) refused an
    /// instantiation or the creation of a memory or table (or, with
    /// [`StoreLimitsBuilder::trap_on_grow_failure`](crate::StoreLimitsBuilder::trap_on_grow_failure),
    /// a grow).
    #[error("resource limit exceeded: {0}")]
    ResourceLimit(String),
    /// A host function returned an error.
    #[error("host error: {0}")]
    Host(String),
    /// An API argument was wrong (a value of the wrong type, a handle from
    /// another store, an out-of-range access through the host API).
    #[error("{0}")]
    Usage(String),
    /// Reading a module file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl Error {
    /// The kind of the error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match &*self.kind {
            ErrorKind::Trap(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Error {
        ErrorKind::Usage(message.into()).into()
    }

    pub(crate) fn link(message: impl Into<String>) -> Error {
        ErrorKind::Link(message.into()).into()
    }

    pub(crate) fn invalid(offset: u64, message: impl Into<String>) -> Error {
        ErrorKind::InvalidModule {
            offset,
            func_index: None,
            message: message.into(),
        }
        .into()
    }

    /// Attributes a module-level error to function `func_index`'s body.
    pub(crate) fn in_function(mut self, func_index: u32) -> Error {
        if let ErrorKind::InvalidModule { func_index: f, .. } = &mut *self.kind {
            f.get_or_insert(func_index);
        }
        self
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
        }
    }
}

impl From<Trap> for Error {
    fn from(trap: Trap) -> Error {
        ErrorKind::Trap(trap).into()
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Error {
        Error::invalid(e.offset(), e.message())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.kind)
    }
}

fn in_function(func_index: Option<u32>) -> String {
    func_index.map_or_else(String::new, |f| format!(" (function {f})"))
}

/// `Result` with weft's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
