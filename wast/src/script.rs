//! A `.wast` script lowered to owned commands.
//!
//! The `wast` crate's directives borrow from the parse buffer and keep
//! modules as text trees. The runner wants the opposite: owned data that can
//! move to the OS thread a `(thread ...)` directive asks for, modules already
//! encoded to bytes, values already in the engine-neutral [`Val`] form, and
//! every position already turned into a line and column. Lowering once up
//! front gives all of that and keeps the runner free of parser types.

use std::fmt;

use wast::core::{
    AbstractHeapType, HeapType, NanPattern, V128Const, V128Pattern, WastArgCore, WastRetCore,
};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{Id, Span};
use wast::{
    QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet,
};

use crate::engine::{RefType, Val};

/// A 1-based line and column in a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Module bytes, or why the module text could not be turned into bytes
/// (which is the expected outcome of some `assert_malformed` directives).
pub(crate) type Encoded = Result<Vec<u8>, String>;

/// One directive, at its position.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) pos: Pos,
    pub(crate) kind: CommandKind,
}

/// What a directive asks for.
#[derive(Debug)]
pub(crate) enum CommandKind {
    /// `(module $M ...)`: compile and instantiate, making it the current
    /// instance. With `define_only`, `(module definition $M ...)`: compile
    /// and keep for a later `(module instance ...)`.
    Module {
        name: Option<String>,
        wasm: Encoded,
        define_only: bool,
    },
    /// `(module instance $I $M)`.
    ModuleInstance {
        instance: Option<String>,
        module: Option<String>,
    },
    /// `(register "name" $M)`.
    Register {
        as_name: String,
        module: Option<String>,
    },
    /// A bare `(invoke ...)` or `(get ...)`: must not fail.
    Action(Action),
    /// `(assert_return ...)`.
    AssertReturn {
        action: Action,
        expected: Vec<Expected>,
    },
    /// `(assert_trap (invoke ...) "msg")` or `(assert_trap (module ...) "msg")`.
    AssertTrap { exec: Exec, message: String },
    /// `(assert_exhaustion (invoke ...) "msg")`.
    AssertExhaustion { action: Action, message: String },
    /// `(assert_invalid (module ...) "msg")`.
    AssertInvalid { wasm: Encoded, message: String },
    /// `(assert_malformed (module ...) "msg")`.
    AssertMalformed { wasm: Encoded, message: String },
    /// `(assert_unlinkable (module ...) "msg")`.
    AssertUnlinkable { wasm: Encoded, message: String },
    /// `(thread $T (shared (module $M)) ...)`.
    Thread {
        name: String,
        shared: Option<String>,
        commands: Vec<Command>,
    },
    /// `(wait $T)`.
    Wait { thread: String },
    /// A directive this runner cannot execute; running it fails with the
    /// reason, so it is counted and never silently skipped.
    Unsupported(String),
}

/// An `invoke` or `get`.
#[derive(Debug)]
pub(crate) enum Action {
    /// Call export `name` of `module` (or the current instance).
    Invoke {
        module: Option<String>,
        name: String,
        args: Result<Vec<Val>, String>,
    },
    /// Read the global export `name` of `module` (or the current instance).
    Get {
        module: Option<String>,
        name: String,
    },
}

/// What an `assert_trap` runs.
#[derive(Debug)]
pub(crate) enum Exec {
    Action(Action),
    /// Instantiate a module that should trap while doing so.
    Instantiate(Encoded),
}

/// One expected result of `assert_return`.
#[derive(Clone, Debug)]
pub(crate) enum Expected {
    I32(i32),
    I64(i64),
    F32(FloatPattern<u32>),
    F64(FloatPattern<u64>),
    /// A null reference; `None` accepts either reference type.
    NullRef(Option<RefType>),
    /// Any non-null function reference.
    FuncRef,
    /// A non-null extern reference, with the given host value if any.
    ExternRef(Option<u32>),
    /// A `v128`, lane by lane in the shape the script wrote.
    V128(V128Lanes),
    /// Any one of the alternatives.
    Either(Vec<Expected>),
    /// A result form this runner cannot check (GC references).
    Unsupported(String),
}

/// An expected `v128` in the lane shape the script wrote it in. Integer
/// lanes are compared as bits (a script may write `-1` or `0xff` for the
/// same lane); float lanes may each be a NaN class, which is why the shape
/// matters and the value is not flattened to 128 bits.
#[derive(Clone, Copy, Debug)]
pub(crate) enum V128Lanes {
    I8x16([u8; 16]),
    I16x8([u16; 8]),
    I32x4([u32; 4]),
    I64x2([u64; 2]),
    F32x4([FloatPattern<u32>; 4]),
    F64x2([FloatPattern<u64>; 2]),
}

/// An expected float: exact bits, or a class of NaNs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FloatPattern<T> {
    /// Exactly these bits.
    Bits(T),
    /// The canonical NaN of either sign.
    CanonicalNan,
    /// Any NaN with the quiet bit set.
    ArithmeticNan,
}

/// Parses and lowers a whole script. `Err` is a parse error, rendered with
/// its position.
pub(crate) fn parse(text: &str) -> Result<Vec<Command>, String> {
    let mut lexer = Lexer::new(text);
    // The spec's `names.wast` deliberately uses confusable characters.
    lexer.allow_confusing_unicode(true);
    let buf = ParseBuffer::new_with_lexer(lexer).map_err(|e| render(e, text))?;
    let wast = parser::parse::<Wast>(&buf).map_err(|e| render(e, text))?;
    let lower = Lowering { text };
    Ok(wast
        .directives
        .into_iter()
        .map(|d| lower.directive(d))
        .collect())
}

fn render(mut err: wast::Error, text: &str) -> String {
    err.set_text(text);
    err.to_string()
}

struct Lowering<'t> {
    text: &'t str,
}

impl Lowering<'_> {
    fn pos(&self, span: Span) -> Pos {
        let (line, col) = span.linecol_in(self.text);
        Pos {
            line: line + 1,
            col: col + 1,
        }
    }

    fn directive(&self, directive: WastDirective<'_>) -> Command {
        let pos = self.pos(directive.span());
        let kind = match directive {
            WastDirective::Module(module) => self.module(module, false),
            WastDirective::ModuleDefinition(module) => self.module(module, true),
            WastDirective::ModuleInstance {
                instance, module, ..
            } => CommandKind::ModuleInstance {
                instance: instance.map(id),
                module: module.map(id),
            },
            WastDirective::Register { name, module, .. } => CommandKind::Register {
                as_name: name.to_string(),
                module: module.map(id),
            },
            WastDirective::Invoke(invoke) => CommandKind::Action(invoke_action(invoke)),
            WastDirective::AssertReturn { exec, results, .. } => match exec_action(exec) {
                Ok(action) => CommandKind::AssertReturn {
                    action,
                    expected: results.into_iter().map(expected).collect(),
                },
                Err(what) => CommandKind::Unsupported(what),
            },
            WastDirective::AssertTrap { exec, message, .. } => {
                let exec = match exec {
                    WastExecute::Wat(mut wat) => {
                        Exec::Instantiate(wat.encode().map_err(|e| self.error(e)))
                    }
                    other => match exec_action(other) {
                        Ok(action) => Exec::Action(action),
                        Err(what) => return unsupported(pos, what),
                    },
                };
                CommandKind::AssertTrap {
                    exec,
                    message: message.to_string(),
                }
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                CommandKind::AssertExhaustion {
                    action: invoke_action(call),
                    message: message.to_string(),
                }
            }
            WastDirective::AssertInvalid {
                module, message, ..
            } => CommandKind::AssertInvalid {
                wasm: self.encode(module),
                message: message.to_string(),
            },
            WastDirective::AssertMalformed {
                module, message, ..
            } => CommandKind::AssertMalformed {
                wasm: self.encode(module),
                message: message.to_string(),
            },
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => CommandKind::AssertUnlinkable {
                wasm: module.encode().map_err(|e| self.error(e)),
                message: message.to_string(),
            },
            WastDirective::Thread(thread) => CommandKind::Thread {
                name: id(thread.name),
                shared: thread.shared_module.map(id),
                commands: thread
                    .directives
                    .into_iter()
                    .map(|d| self.directive(d))
                    .collect(),
            },
            WastDirective::Wait { thread, .. } => CommandKind::Wait { thread: id(thread) },
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                CommandKind::Unsupported("custom-section assertions are not supported".into())
            }
            WastDirective::AssertException { .. } => {
                CommandKind::Unsupported("exceptions are not supported".into())
            }
            WastDirective::AssertSuspension { .. } => {
                CommandKind::Unsupported("stack switching is not supported".into())
            }
        };
        Command { pos, kind }
    }

    fn module(&self, module: QuoteWat<'_>, define_only: bool) -> CommandKind {
        if matches!(
            module,
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(wast::Wat::Component(_))
        ) {
            return CommandKind::Unsupported("components are not supported".into());
        }
        let name = module.name().map(id);
        CommandKind::Module {
            name,
            wasm: self.encode(module),
            define_only,
        }
    }

    /// Encodes a module that may be quoted text; text that does not parse is
    /// an `Err` carrying the parser's message.
    fn encode(&self, mut module: QuoteWat<'_>) -> Encoded {
        match module.to_test() {
            Ok(QuoteWatTest::Binary(bytes)) => Ok(bytes),
            Ok(QuoteWatTest::Text(text)) => {
                let text = String::from_utf8(text)
                    .map_err(|_| "quoted module is not valid UTF-8".to_string())?;
                let buf = ParseBuffer::new(&text).map_err(|e| render(e, &text))?;
                let mut wat = parser::parse::<wast::Wat>(&buf).map_err(|e| render(e, &text))?;
                wat.encode().map_err(|e| render(e, &text))
            }
            Err(e) => Err(self.error(e)),
        }
    }

    fn error(&self, err: wast::Error) -> String {
        render(err, self.text)
    }
}

fn unsupported(pos: Pos, what: String) -> Command {
    Command {
        pos,
        kind: CommandKind::Unsupported(what),
    }
}

fn id(id: Id<'_>) -> String {
    id.name().to_string()
}

fn invoke_action(invoke: WastInvoke<'_>) -> Action {
    let args = invoke.args.into_iter().map(argument).collect();
    Action::Invoke {
        module: invoke.module.map(id),
        name: invoke.name.to_string(),
        args,
    }
}

/// Lowers the `(invoke ...)`/`(get ...)` of an assertion; a module in that
/// place is only meaningful for `assert_trap` and is reported otherwise.
fn exec_action(exec: WastExecute<'_>) -> Result<Action, String> {
    match exec {
        WastExecute::Invoke(invoke) => Ok(invoke_action(invoke)),
        WastExecute::Get { module, global, .. } => Ok(Action::Get {
            module: module.map(id),
            name: global.to_string(),
        }),
        WastExecute::Wat(_) => Err("a module is only expected in assert_trap".into()),
    }
}

fn argument(arg: WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(arg) = arg else {
        return Err("component-model arguments are not supported".into());
    };
    match arg {
        WastArgCore::I32(v) => Ok(Val::I32(v)),
        WastArgCore::I64(v) => Ok(Val::I64(v)),
        WastArgCore::F32(v) => Ok(Val::F32(v.bits)),
        WastArgCore::F64(v) => Ok(Val::F64(v.bits)),
        WastArgCore::RefNull(heap) => match ref_type(&heap) {
            Some(ty) => Ok(Val::NullRef(ty)),
            None => Err(format!("unsupported null reference type {heap:?}")),
        },
        WastArgCore::RefExtern(n) => Ok(Val::ExternRef(n)),
        WastArgCore::V128(v) => Ok(Val::V128(v128_bits(&v))),
        WastArgCore::RefHost(_) => Err("ref.host arguments are not supported".into()),
    }
}

fn ref_type(heap: &HeapType<'_>) -> Option<RefType> {
    match heap {
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func,
        } => Some(RefType::Func),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern,
        } => Some(RefType::Extern),
        _ => None,
    }
}

fn expected(ret: WastRet<'_>) -> Expected {
    let WastRet::Core(ret) = ret else {
        return Expected::Unsupported("component-model results are not supported".into());
    };
    expected_core(ret)
}

fn expected_core(ret: WastRetCore<'_>) -> Expected {
    match ret {
        WastRetCore::I32(v) => Expected::I32(v),
        WastRetCore::I64(v) => Expected::I64(v),
        WastRetCore::F32(p) => Expected::F32(float(p, |f| f.bits)),
        WastRetCore::F64(p) => Expected::F64(float(p, |f| f.bits)),
        WastRetCore::RefNull(None) => Expected::NullRef(None),
        WastRetCore::RefNull(Some(heap)) => match ref_type(&heap) {
            Some(ty) => Expected::NullRef(Some(ty)),
            None => Expected::Unsupported(format!("unsupported null reference type {heap:?}")),
        },
        WastRetCore::RefExtern(n) => Expected::ExternRef(n),
        WastRetCore::RefFunc(_) => Expected::FuncRef,
        WastRetCore::Either(alternatives) => {
            Expected::Either(alternatives.into_iter().map(expected_core).collect())
        }
        WastRetCore::V128(p) => Expected::V128(v128_lanes(p)),
        other => Expected::Unsupported(format!("unsupported result form {other:?}")),
    }
}

fn float<T, B>(pattern: NanPattern<T>, bits: impl Fn(T) -> B) -> FloatPattern<B> {
    match pattern {
        NanPattern::CanonicalNan => FloatPattern::CanonicalNan,
        NanPattern::ArithmeticNan => FloatPattern::ArithmeticNan,
        NanPattern::Value(v) => FloatPattern::Bits(bits(v)),
    }
}

/// A `v128.const` as the 128-bit little-endian number [`Val::V128`] carries.
fn v128_bits(v: &V128Const) -> u128 {
    u128::from_le_bytes(v.to_le_bytes())
}

fn v128_lanes(pattern: V128Pattern) -> V128Lanes {
    match pattern {
        V128Pattern::I8x16(l) => V128Lanes::I8x16(l.map(|x| x as u8)),
        V128Pattern::I16x8(l) => V128Lanes::I16x8(l.map(|x| x as u16)),
        V128Pattern::I32x4(l) => V128Lanes::I32x4(l.map(|x| x as u32)),
        V128Pattern::I64x2(l) => V128Lanes::I64x2(l.map(|x| x as u64)),
        V128Pattern::F32x4(l) => V128Lanes::F32x4(l.map(|p| float(p, |f| f.bits))),
        V128Pattern::F64x2(l) => V128Lanes::F64x2(l.map(|p| float(p, |f| f.bits))),
    }
}
