//! Modules whose loops access memory at affine addresses near its end, for
//! `bounds_loops`.
//!
//! weft's bounds-check optimizations (check fusion, loop versioning,
//! inlining; `docs/bounds-checks.md`) change the code of exactly such
//! loops, and each must keep the trap at the access the spec names with
//! every earlier store visible. wasm-smith almost never writes a loop that
//! runs for more than one iteration with in-bounds addresses, let alone
//! one that runs off the end of memory at a chosen iteration; this
//! generator writes nothing else.
//!
//! A module has one memory (1-2 pages, shared or not, sometimes with a
//! maximum, sometimes grown by its start function or by an exported
//! `grow`), a data segment at the end of the initial memory, two exported
//! globals (`sum`, the last call's accumulator, and `progress`, the
//! induction value at the start of the last iteration entered, set by some
//! functions) and 1-4 exported loop functions, all of type
//! `(param $base $start $n $step $div i32) (result i64)`. Each has one
//! induction local `$i` with a start, a step (1, 2, 4, 8 or the `$step`
//! parameter) and a bound (a constant, the `$n` parameter, or the memory's
//! size in bytes minus a constant), in while form
//! (`block (loop (br_if 1 (i >= n)) ... (br 0)))`) or do-while form
//! (`loop ... i += step; br_if 0 (i < n)`). Its body is up to six accesses
//! at `base + i*scale (+ bump) offset=...` (loads and stores mixed, widths
//! 1, 2, 4, 8 and `v128`), where `base` is the `$base` parameter or the
//! memory's size minus it, and the address is computed inline (`mul` or
//! `shl`), by a call to a leaf helper (`$element`-like), by a pointer
//! local stepped with the induction, or by a local set once per iteration
//! and shared by accesses that differ only in `offset=` (bounds-check
//! fusion's case); some accesses are made by leaf helper
//! functions (inlining candidates); a division by `$div` (which traps
//! when it is 0) or a call to a pure leaf can sit between accesses.
//!
//! Loads fold into an `i64` accumulator, stores write values derived from
//! it and from `$i`, so the memory after a trap shows which stores ran.
//! The parameters are chosen per call by [`crate::loop_model::aim`], which
//! knows the shapes ([`LoopFunc`]) and the memory's size, so that a loop
//! traps at its first, a middle or its last iteration, or completes; and
//! [`crate::loop_model::simulate`] says what a call must do.

use std::fmt::Write as _;

use arbitrary::{Result, Unstructured};

/// The most loop functions in one module.
const MAX_FUNCS: usize = 4;
/// The most memory accesses in one loop body.
const MAX_ACCESSES: usize = 6;
/// Bytes of the data segment at the end of the initial memory.
const DATA_BYTES: u32 = 32;

/// Static offsets (`offset=`): mostly small, some large. (An offset of a
/// page or more makes the other accesses of its loop trap at once on a
/// one-page memory, so none is that large.)
const OFFSETS: [u32; 16] = [0, 0, 0, 1, 2, 3, 4, 7, 8, 12, 15, 16, 31, 64, 4096, 0x8000];
/// Dynamic constants added to an address before the offset (`i32.add`),
/// negative ones wrapping like C's `p[-2]`.
const BUMPS: [u32; 10] = [
    1,
    2,
    3,
    4,
    8,
    16,
    256,
    0xffff_fffc,
    0xffff_fff8,
    0xffff_fff0,
];
/// Scales of the induction value in an address: element sizes, a
/// non-power of two, and 0 (a loop-invariant address).
const SCALES: [u32; 9] = [1, 2, 4, 8, 16, 3, 12, 1, 0];
/// Constant starts of the induction: mostly small; a quarter large enough
/// that `i * scale` wraps past 2^32 (then accesses of different scales
/// are gigabytes apart, and such a loop traps at once).
const STARTS: [u32; 8] = [0, 0, 0, 1, 5, 64, 0x4000_0000, 0x7fff_ff00];
/// Constant bounds a parameter start is aimed below; a quarter large.
const BOUNDS: [u32; 8] = [16, 64, 256, 4096, 16, 64, 0x1_0040, 0x4000_0040];

/// The memory of a generated module.
#[derive(Clone, Debug)]
pub struct MemoryShape {
    /// Declared `shared` (then it has a maximum).
    pub shared: bool,
    /// Initial pages.
    pub minimum: u32,
    /// Declared maximum pages. An exported `grow` only exists with one, so
    /// that whether it succeeds is known ([`MemoryShape::grows_from`]).
    pub maximum: Option<u32>,
    /// Pages the start function grows the memory by (always succeeds).
    pub start_grow: u32,
    /// Whether the module exports `grow` (`memory.grow 1`, result dropped).
    pub grow_export: bool,
}

impl MemoryShape {
    /// Pages after instantiation.
    pub fn initial_pages(&self) -> u32 {
        self.minimum + self.start_grow
    }

    /// Whether the exported `grow` succeeds when the memory has `pages`.
    pub fn grows_from(&self, pages: u32) -> bool {
        self.maximum.is_some_and(|max| pages < max)
    }
}

/// Where the loop tests its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `block (loop (br_if 1 (i >= n)) body (br 0)))`: zero or more
    /// iterations.
    While,
    /// `loop body i += step (br_if 0 (i < n))`: at least one.
    DoWhile,
}

/// A value that is a constant in the code or the parameter of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// `i32.const`.
    Const(u32),
    /// The function's parameter.
    Param,
}

/// The loop's bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// `i32.const`.
    Const(u32),
    /// The `$n` parameter.
    Param,
    /// `memory.size << 16` minus this, computed in the loop test.
    MemoryEnd(u32),
}

/// The base address of the accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// The `$base` parameter.
    Param,
    /// `memory.size << 16` minus the `$base` parameter.
    MemoryEnd,
}

/// How an access computes `base + i * scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Address {
    /// `i32.mul`.
    Multiply,
    /// `i32.shl` (scales that are powers of two).
    Shift,
    /// `call $element_<scale>`, a leaf helper.
    Element,
    /// A pointer local set before the loop and stepped with `$i`.
    Pointer,
    /// A local set at the top of every iteration, shared by every `Row`
    /// access of the same scale and bump: accesses that differ only in
    /// their `offset=`, off one address value (what bounds-check fusion
    /// merges).
    Row,
}

impl Access {
    /// The local of a `Row` access.
    fn row_local(&self) -> String {
        format!("$r{}_{}", self.scale, self.bump)
    }
}

impl LoopFunc {
    /// Whether two accesses of the body share one address value.
    pub fn shares_an_address(&self) -> bool {
        let rows: Vec<_> = self
            .accesses()
            .filter(|a| a.address == Address::Row)
            .map(|a| (a.scale, a.bump))
            .collect();
        rows.iter()
            .enumerate()
            .any(|(k, key)| rows[k + 1..].contains(key))
    }
}

/// One memory access in a loop body.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    /// A store (else a load).
    pub store: bool,
    /// Bytes accessed: 1, 2, 4, 8 or 16 (`v128`).
    pub width: u32,
    /// Which instruction of that width and direction (sign, result type).
    pub flavor: u8,
    /// The induction's multiplier.
    pub scale: u32,
    /// Added to the address with `i32.add` (wrapping).
    pub bump: u32,
    /// The static `offset=` (not wrapping).
    pub offset: u32,
    /// How the address is computed.
    pub address: Address,
    /// Made by a leaf helper function taking the address.
    pub in_helper: bool,
}

/// What a loop body does, in order.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A memory access.
    Access(Access),
    /// `i32.div_u` by the `$div` parameter: traps when it is 0.
    Divide,
    /// A call to a pure leaf function of the accumulator.
    Mix,
}

/// One exported loop function.
#[derive(Clone, Debug)]
pub struct LoopFunc {
    /// The export name.
    pub name: String,
    /// Where the bound is tested.
    pub form: Form,
    /// Signed compares (`lt_s`/`ge_s`) rather than unsigned.
    pub signed: bool,
    /// The induction's first value.
    pub start: Operand,
    /// The induction's step.
    pub step: Operand,
    /// The induction's bound.
    pub bound: Bound,
    /// The accesses' base.
    pub base: Base,
    /// Sets the `progress` global to `$i` at the start of every iteration.
    pub progress: bool,
    /// The loop body.
    pub body: Vec<Event>,
}

impl LoopFunc {
    /// The body's accesses, in order.
    pub fn accesses(&self) -> impl Iterator<Item = &Access> {
        self.body.iter().filter_map(|e| match e {
            Event::Access(a) => Some(a),
            _ => None,
        })
    }
}

/// A generated module: its text and the shapes [`crate::loop_model`] aims
/// and simulates calls with.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The module's text.
    pub text: String,
    /// Its memory.
    pub memory: MemoryShape,
    /// Its loop functions, in export order.
    pub funcs: Vec<LoopFunc>,
}

/// Generates a module from `u`; `Err` only if the input ran out.
pub fn generate(u: &mut Unstructured<'_>) -> Result<Generated> {
    let memory = memory_shape(u)?;
    let count = u.int_in_range(1..=MAX_FUNCS)?;
    let funcs = (0..count)
        .map(|f| loop_func(u, f))
        .collect::<Result<Vec<_>>>()?;
    let text = module_text(&memory, &funcs);
    Ok(Generated {
        text,
        memory,
        funcs,
    })
}

fn memory_shape(u: &mut Unstructured<'_>) -> Result<MemoryShape> {
    let shared = u.arbitrary::<bool>()?;
    let minimum = u.int_in_range(1..=2)?;
    let maximum = if shared || u.arbitrary::<bool>()? {
        Some(u.int_in_range(minimum..=minimum + 2)?)
    } else {
        None
    };
    let room = maximum.map_or(1, |max| (max - minimum).min(1));
    let start_grow = if u.ratio(1, 3)? { room } else { 0 };
    let grow_export = maximum.is_some() && u.ratio(1, 2)?;
    Ok(MemoryShape {
        shared,
        minimum,
        maximum,
        start_grow,
        grow_export,
    })
}

fn loop_func(u: &mut Unstructured<'_>, index: usize) -> Result<LoopFunc> {
    let form = if u.arbitrary::<bool>()? {
        Form::While
    } else {
        Form::DoWhile
    };
    let step = if u.ratio(1, 3)? {
        Operand::Param
    } else {
        Operand::Const(*u.choose(&[1, 2, 4, 8])?)
    };
    let bound = match u.int_in_range(0..=2)? {
        0 => Bound::Const(0),
        1 => Bound::Param,
        _ => Bound::MemoryEnd(*u.choose(&[0, 0, 1, 4, 8, 16, 64])?),
    };
    // A constant start below a memory-derived bound would make the trip
    // count depend on the memory's size: up to 2^16 iterations after a grow.
    let start = if matches!(bound, Bound::MemoryEnd(_)) || u.arbitrary::<bool>()? {
        Operand::Param
    } else {
        Operand::Const(*u.choose(&STARTS)?)
    };
    // A constant bound is aimed a few dozen steps above a constant start,
    // or picked for a parameter start to be aimed below.
    let bound = match (bound, start, step) {
        (Bound::Const(_), Operand::Const(s), step) => {
            let step = match step {
                Operand::Const(c) => c,
                Operand::Param => 4,
            };
            let trips = u.int_in_range(1..=48)?;
            Bound::Const(s.wrapping_add(step * trips))
        }
        (Bound::Const(_), Operand::Param, _) => Bound::Const(*u.choose(&BOUNDS)?),
        (bound, _, _) => bound,
    };
    let base = if u.ratio(1, 3)? {
        Base::MemoryEnd
    } else {
        Base::Param
    };
    let scale = *u.choose(&SCALES)?;
    let accesses = u.int_in_range(1..=MAX_ACCESSES)?;
    let mut body = Vec::new();
    for _ in 0..accesses {
        body.push(Event::Access(access(u, scale)?));
    }
    for _ in 0..u.int_in_range(0..=2)? {
        let at = u.int_in_range(0..=body.len())?;
        let event = if u.arbitrary::<bool>()? {
            Event::Divide
        } else {
            Event::Mix
        };
        body.insert(at, event);
    }
    Ok(LoopFunc {
        name: format!("f{index}"),
        form,
        signed: u.ratio(1, 6)?,
        start,
        step,
        bound,
        base,
        progress: u.arbitrary()?,
        body,
    })
}

fn access(u: &mut Unstructured<'_>, scale: u32) -> Result<Access> {
    let scale = if u.ratio(1, 5)? {
        *u.choose(&SCALES)?
    } else {
        scale
    };
    let mut address = *u.choose(&[
        Address::Multiply,
        Address::Shift,
        Address::Element,
        Address::Pointer,
        Address::Row,
        Address::Row,
    ])?;
    if address == Address::Shift && !scale.is_power_of_two() {
        address = Address::Multiply;
    }
    Ok(Access {
        store: u.arbitrary()?,
        width: *u.choose(&[1, 2, 4, 8, 8, 16])?,
        flavor: u.int_in_range(0..=2)?,
        scale,
        bump: if u.arbitrary()? {
            0
        } else {
            *u.choose(&BUMPS)?
        },
        offset: *u.choose(&OFFSETS)?,
        address,
        in_helper: u.ratio(1, 4)?,
    })
}

/// The module's text.
fn module_text(memory: &MemoryShape, funcs: &[LoopFunc]) -> String {
    let mut text = String::from("(module\n");
    let maximum = memory.maximum.map(|m| format!(" {m}")).unwrap_or_default();
    let shared = if memory.shared { " shared" } else { "" };
    let _ = writeln!(
        text,
        "  (memory (export \"m\") {}{maximum}{shared})",
        memory.minimum
    );
    let data = (0..DATA_BYTES)
        .map(|b| format!("\\{:02x}", (b * 37 + 11) & 0xff))
        .collect::<String>();
    let at = memory.minimum * 65536 - DATA_BYTES;
    let _ = writeln!(text, "  (data (i32.const {at}) \"{data}\")");
    text.push_str("  (global $sum (export \"sum\") (mut i64) (i64.const 0))\n");
    text.push_str("  (global $progress (export \"progress\") (mut i32) (i32.const -1))\n");
    if memory.start_grow > 0 {
        let _ = writeln!(
            text,
            "  (func $grow_at_start (drop (memory.grow (i32.const {}))))\n  (start $grow_at_start)",
            memory.start_grow
        );
    }
    if memory.grow_export {
        text.push_str("  (func (export \"grow\") (drop (memory.grow (i32.const 1))))\n");
    }
    text.push_str(
        "  (func $mix (param $x i64) (result i64)\n    \
         (i64.add (i64.mul (local.get $x) (i64.const 1000003)) (i64.const 7)))\n",
    );
    let mut scales = funcs
        .iter()
        .flat_map(|f| f.accesses())
        .filter(|a| a.address == Address::Element)
        .map(|a| a.scale)
        .collect::<Vec<_>>();
    scales.sort_unstable();
    scales.dedup();
    for scale in scales {
        let _ = writeln!(
            text,
            "  (func $element_{scale} (param $b i32) (param $i i32) (result i32)\n    \
             (i32.add (local.get $b) (i32.mul (local.get $i) (i32.const {scale}))))"
        );
    }
    for (f, func) in funcs.iter().enumerate() {
        helpers(&mut text, f, func);
        loop_text(&mut text, f, func);
    }
    text.push(')');
    text
}

/// The helper functions that make `func`'s `in_helper` accesses.
fn helpers(text: &mut String, f: usize, func: &LoopFunc) {
    for (e, event) in func.body.iter().enumerate() {
        let Event::Access(a) = event else { continue };
        if !a.in_helper {
            continue;
        }
        if a.store {
            let store = store_text(a, "(local.get $a)", "(local.get $x)");
            let _ = writeln!(
                text,
                "  (func $access_{f}_{e} (param $a i32) (param $x i64)\n    {store})"
            );
        } else {
            let (prelude, value) = load_text(a, "(local.get $a)");
            let _ = writeln!(
                text,
                "  (func $access_{f}_{e} (param $a i32) (result i64) (local $v v128)\n    \
                 {prelude}{value})"
            );
        }
    }
}

/// A load at `address` as an `i64` value, after a `prelude` statement
/// (`v128` loads go through the local `$v`).
fn load_text(a: &Access, address: &str) -> (String, String) {
    let at = format!("offset={} {address}", a.offset);
    let value = match (a.width, a.flavor) {
        (1, 0) => format!("(i64.extend_i32_u (i32.load8_u {at}))"),
        (1, 1) => format!("(i64.extend_i32_s (i32.load8_s {at}))"),
        (1, _) => format!("(i64.load8_u {at})"),
        (2, 0) => format!("(i64.extend_i32_u (i32.load16_u {at}))"),
        (2, 1) => format!("(i64.extend_i32_s (i32.load16_s {at}))"),
        (2, _) => format!("(i64.load16_s {at})"),
        (4, 0) => format!("(i64.extend_i32_u (i32.load {at}))"),
        (4, 1) => format!("(i64.load32_u {at})"),
        (4, _) => format!("(i64.load32_s {at})"),
        (8, 0 | 1) => format!("(i64.load {at})"),
        (8, _) => format!("(i64.reinterpret_f64 (f64.load {at}))"),
        _ => {
            let prelude = format!("(local.set $v (v128.load {at}))\n    ");
            let value = "(i64.xor (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $v)))";
            return (prelude, value.to_owned());
        }
    };
    (String::new(), value)
}

/// A store of the `i64` `value` at `address`.
fn store_text(a: &Access, address: &str, value: &str) -> String {
    let at = format!("offset={} {address}", a.offset);
    match (a.width, a.flavor) {
        (1, 0) => format!("(i32.store8 {at} (i32.wrap_i64 {value}))"),
        (1, _) => format!("(i64.store8 {at} {value})"),
        (2, 0) => format!("(i32.store16 {at} (i32.wrap_i64 {value}))"),
        (2, _) => format!("(i64.store16 {at} {value})"),
        (4, 0) => format!("(i32.store {at} (i32.wrap_i64 {value}))"),
        (4, _) => format!("(i64.store32 {at} {value})"),
        (8, 0 | 1) => format!("(i64.store {at} {value})"),
        (8, _) => format!("(f64.store {at} (f64.reinterpret_i64 {value}))"),
        _ => format!(
            "(v128.store {at} (i64x2.replace_lane 1 (i64x2.splat {value}) \
             (i64.rotl {value} (i64.const 7))))"
        ),
    }
}

fn operand(op: Operand, param: &str) -> String {
    match op {
        Operand::Const(c) => format!("(i32.const {c})"),
        Operand::Param => format!("(local.get ${param})"),
    }
}

/// `base + i * scale`, without the bump, for access `e`.
fn element_address(a: &Access, e: usize) -> String {
    let scale = a.scale;
    match a.address {
        Address::Multiply => {
            format!("(i32.add (local.get $b) (i32.mul (local.get $i) (i32.const {scale})))")
        }
        Address::Shift => format!(
            "(i32.add (local.get $b) (i32.shl (local.get $i) (i32.const {})))",
            scale.trailing_zeros()
        ),
        Address::Element => format!("(call $element_{scale} (local.get $b) (local.get $i))"),
        Address::Pointer => format!("(local.get $p{e})"),
        Address::Row => format!("(local.get {})", a.row_local()),
    }
}

/// One loop function's text.
fn loop_text(text: &mut String, f: usize, func: &LoopFunc) {
    let _ = writeln!(
        text,
        "  (func (export \"{}\") (param $base i32) (param $start i32) (param $n i32) \
         (param $step i32) (param $div i32) (result i64)",
        func.name
    );
    text.push_str("    (local $i i32) (local $b i32) (local $acc i64) (local $v v128)");
    let pointers = func
        .body
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::Access(a) if a.address == Address::Pointer))
        .collect::<Vec<_>>();
    for (e, _) in &pointers {
        let _ = write!(text, " (local $p{e} i32)");
    }
    let mut rows: Vec<&Access> = Vec::new();
    for a in func.accesses().filter(|a| a.address == Address::Row) {
        if !rows.iter().any(|r| r.row_local() == a.row_local()) {
            rows.push(a);
        }
    }
    for a in &rows {
        let _ = write!(text, " (local {} i32)", a.row_local());
    }
    text.push('\n');
    let memory_end = "(i32.shl (memory.size) (i32.const 16))";
    let base = match func.base {
        Base::Param => "(local.get $base)".to_owned(),
        Base::MemoryEnd => format!("(i32.sub {memory_end} (local.get $base))"),
    };
    let _ = writeln!(text, "    (local.set $b {base})");
    let _ = writeln!(text, "    (local.set $i {})", operand(func.start, "start"));
    let step = operand(func.step, "step");
    // Pointers start at their first address and step with `$i`; the bump
    // is folded in here, so it wraps exactly as the inline forms' `add`.
    let mut advance = format!("      (local.set $i (i32.add (local.get $i) {step}))\n");
    for (e, event) in &pointers {
        let Event::Access(a) = event else { continue };
        let first = format!(
            "(i32.add (i32.add (local.get $b) (i32.mul (local.get $i) (i32.const {}))) (i32.const {}))",
            a.scale, a.bump
        );
        let _ = writeln!(text, "    (local.set $p{e} {first})");
        let _ = writeln!(
            advance,
            "      (local.set $p{e} (i32.add (local.get $p{e}) (i32.mul {step} (i32.const {}))))",
            a.scale
        );
    }
    let bound = match func.bound {
        Bound::Const(n) => format!("(i32.const {n})"),
        Bound::Param => "(local.get $n)".to_owned(),
        Bound::MemoryEnd(minus) => format!("(i32.sub {memory_end} (i32.const {minus}))"),
    };
    let sign = if func.signed { "s" } else { "u" };
    let mut body = String::new();
    if func.progress {
        body.push_str("      (global.set $progress (local.get $i))\n");
    }
    // Row addresses are computed from `$i` before any access, as the
    // inline forms compute theirs (with the bump, wrapping the same way).
    for a in &rows {
        let _ = writeln!(
            body,
            "      (local.set {} (i32.add (i32.add (local.get $b) (i32.mul (local.get $i) (i32.const {}))) (i32.const {})))",
            a.row_local(),
            a.scale,
            a.bump
        );
    }
    for (e, event) in func.body.iter().enumerate() {
        let _ = writeln!(body, "      {}", event_text(f, e, event));
    }
    match func.form {
        Form::While => {
            let _ = write!(
                text,
                "    (block $done\n      (loop $next\n      \
                 (br_if $done (i32.ge_{sign} (local.get $i) {bound}))\n{body}{advance}      \
                 (br $next)))\n"
            );
        }
        Form::DoWhile => {
            let _ = write!(
                text,
                "    (loop $next\n{body}{advance}      \
                 (br_if $next (i32.lt_{sign} (local.get $i) {bound})))\n"
            );
        }
    }
    text.push_str("    (global.set $sum (local.get $acc))\n    (local.get $acc))\n");
}

/// One body event as statements.
fn event_text(f: usize, e: usize, event: &Event) -> String {
    let fold = |value: &str| {
        format!("(local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) {value}))")
    };
    match event {
        Event::Divide => "(local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u \
             (i32.div_u (i32.wrap_i64 (local.get $acc)) (local.get $div)))))"
            .to_owned(),
        Event::Mix => "(local.set $acc (call $mix (local.get $acc)))".to_owned(),
        Event::Access(a) => {
            let mut address = element_address(a, e);
            if a.bump != 0 && !matches!(a.address, Address::Pointer | Address::Row) {
                address = format!("(i32.add {address} (i32.const {}))", a.bump);
            }
            // Distinct per access and per iteration, and dependent on
            // every load before it.
            let value = format!(
                "(i64.xor (local.get $acc) (i64.add (i64.extend_i32_u (local.get $i)) (i64.const {})))",
                (e as u64 + 1) << 40
            );
            match (a.store, a.in_helper) {
                (true, true) => format!("(call $access_{f}_{e} {address} {value})"),
                (true, false) => store_text(a, &address, &value),
                (false, true) => fold(&format!("(call $access_{f}_{e} {address})")),
                (false, false) => {
                    let (prelude, value) = load_text(a, &address);
                    format!("{prelude}{}", fold(&value))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn generated_modules_assemble_and_validate() {
        let mut made = 0;
        seeds::for_each_input(200, 64..1024, |data| {
            let Ok(generated) = generate(&mut Unstructured::new(data)) else {
                return;
            };
            let bytes = wat::parse_str(&generated.text)
                .unwrap_or_else(|e| panic!("{e}\n{}", generated.text));
            wasmparser::Validator::new_with_features(crate::smith::weft_features(true, false))
                .validate_all(&bytes)
                .unwrap_or_else(|e| panic!("{e}\n{}", generated.text));
            made += 1;
        });
        assert!(made > 150, "only {made} modules");
    }
}
