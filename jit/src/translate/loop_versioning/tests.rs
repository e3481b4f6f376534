//! Which loops the analysis plans for, and which it must refuse.

use std::rc::Rc;

use wasmparser::{Operator, OperatorsReader, Parser, Payload};

use super::{Affine, Context, Plan, Shape, plan};
use crate::types::ValType;

/// The plan for the first `loop` of the module's first function, whose
/// parameters and locals are all `i32` (`locals` of them).
fn plan_of(wat: &str, locals: usize) -> Option<Plan> {
    let bytes = wat::parse_str(wat).expect("valid text");
    let body = Parser::new(0)
        .parse_all(&bytes)
        .find_map(|p| match p.expect("valid module") {
            Payload::CodeSectionEntry(body) => Some(body),
            _ => None,
        })
        .expect("one function");
    let mut reader: OperatorsReader<'_> = body.get_operators_reader().expect("operators");
    while !matches!(reader.read().expect("valid"), Operator::Loop { .. }) {}
    let types = vec![ValType::I32; locals];
    let cx = Context {
        locals: &types,
        num_memories: 1,
        call_arity: &|_| None,
        address_function: &|_| None,
    };
    plan(reader, &cx)
}

fn func(params: &str, body: &str) -> String {
    format!("(module (memory 1) (func {params} {body}))")
}

#[test]
fn a_guarded_while_loop_covers_its_store() {
    let p = plan_of(
        &func(
            "(param $j i32) (param $step i32) (param $n i32)",
            "(block $done (loop $l
               (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
               (i32.store8 offset=3 (local.get $j) (i32.const 1))
               (local.set $j (i32.add (local.get $j) (local.get $step)))
               (br $l)))",
        ),
        3,
    )
    .expect("planned");
    assert_eq!(
        (p.shape, p.induction, p.limit),
        (Shape::Guarded, 0, Rc::new(Affine::Invariant(2)))
    );
    assert_eq!(p.checks.len(), 1);
    assert_eq!(p.checks[0].end_offset, 4, "offset 3 + 1 byte");
}

#[test]
fn the_eqz_of_lt_u_form_and_a_constant_limit_are_guards_too() {
    let p = plan_of(
        &func(
            "(param $i i32)",
            "(block $done (loop $l
               (br_if $done (i32.eqz (i32.lt_u (local.get $i) (i32.const 100))))
               (drop (i32.load (i32.shl (local.get $i) (i32.const 2))))
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br $l)))",
        ),
        1,
    )
    .expect("planned");
    assert_eq!(
        (p.shape, p.limit),
        (Shape::Guarded, Rc::new(Affine::Const(100)))
    );
}

#[test]
fn a_do_while_loop_covers_the_accesses_before_the_increment_only() {
    let p = plan_of(
        &func(
            "(param $a i32) (param $k i32) (param $n i32)",
            "(loop $l
               (i32.store (i32.add (local.get $a) (local.get $k)) (i32.const 0))
               (local.set $k (i32.add (local.get $k) (i32.const 1)))
               (i32.store (local.get $k) (i32.const 0))
               (br_if $l (i32.lt_u (local.get $k) (local.get $n))))",
        ),
        3,
    )
    .expect("planned");
    assert_eq!(
        (p.shape, p.induction, p.limit),
        (Shape::DoWhile, 1, Rc::new(Affine::Invariant(2)))
    );
    assert_eq!(
        p.checks.len(),
        1,
        "the store after the increment is not covered"
    );
}

#[test]
fn a_limit_may_be_an_expression_of_invariants() {
    let p = plan_of(
        &func(
            "(param $c i32) (param $k i32) (param $n i32)",
            "(loop $l
               (drop (f64.load (i32.add (local.get $c) (i32.shl (local.get $k) (i32.const 3)))))
               (local.set $k (i32.add (local.get $k) (i32.const 1)))
               (br_if $l (i32.lt_u (local.get $k) (i32.mul (local.get $n) (local.get $n)))))",
        ),
        3,
    )
    .expect("planned");
    let n = || Rc::new(Affine::Invariant(2));
    assert_eq!(p.shape, Shape::DoWhile);
    assert_eq!(p.limit, Rc::new(Affine::Mul(n(), n())));
}

/// Loops that must not be versioned, each with the reason.
#[test]
fn unbounded_or_unknown_loops_get_no_plan() {
    let cases = [
        (
            "the bound is written in the loop",
            "(block $d (loop $l
               (br_if $d (i32.ge_u (local.get 0) (local.get 1)))
               (i32.store8 (local.get 0) (i32.const 1))
               (local.set 1 (i32.add (local.get 1) (i32.const 1)))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (br $l)))",
        ),
        (
            "the index is written between the guard and the access",
            "(block $d (loop $l
               (br_if $d (i32.ge_u (local.get 0) (local.get 1)))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (i32.store8 (local.get 0) (i32.const 1))
               (br $l)))",
        ),
        (
            "a signed guard bounds nothing unsigned",
            "(block $d (loop $l
               (br_if $d (i32.ge_s (local.get 0) (local.get 1)))
               (i32.store8 (local.get 0) (i32.const 1))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (br $l)))",
        ),
        (
            "a guard inside an if does not dominate the access",
            "(block $d (loop $l
               (if (local.get 1) (then (br_if $d (i32.ge_u (local.get 0) (local.get 1)))))
               (i32.store8 (local.get 0) (i32.const 1))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (br $l)))",
        ),
        (
            "a limit that reads a local the loop writes",
            "(block $d (loop $l
               (br_if $d (i32.ge_u (local.get 0) (i32.add (local.get 1) (local.get 0))))
               (i32.store8 (local.get 0) (i32.const 1))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (br $l)))",
        ),
        (
            "a subtraction is not monotone",
            "(block $d (loop $l
               (br_if $d (i32.ge_u (local.get 0) (local.get 1)))
               (i32.store8 (i32.sub (local.get 1) (local.get 0)) (i32.const 1))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (br $l)))",
        ),
        (
            "a do-while loop with a second way back to its header",
            "(loop $l
               (i32.store8 (local.get 0) (i32.const 1))
               (local.set 0 (i32.add (local.get 0) (i32.const 1)))
               (br_if $l (local.get 1))
               (br_if $l (i32.lt_u (local.get 0) (local.get 1))))",
        ),
        (
            "a loop with a loop inside (only innermost loops are versioned)",
            "(loop $outer
               (i32.store8 (local.get 0) (i32.const 1))
               (loop $inner)
               (br_if $outer (i32.lt_u (local.get 0) (local.get 1))))",
        ),
    ];
    for (why, body) in cases {
        let planned = plan_of(&func("(param i32 i32)", body), 2);
        assert!(planned.is_none(), "{why}: {planned:?}");
    }
}

/// The summary of the module's first function, if it is an address
/// function.
fn address_function_of(wat: &str) -> Option<super::AddressFunction> {
    let bytes = wat::parse_str(wat).expect("valid text");
    let mut ty = None;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.expect("valid module") {
            Payload::TypeSection(types) => {
                let t = types.into_iter_err_on_gc_types().next().expect("a type");
                let t = t.expect("valid type");
                let map = |v: &[wasmparser::ValType]| -> Vec<ValType> {
                    v.iter()
                        .map(|&v| ValType::from_wasm(v).expect("plain"))
                        .collect()
                };
                ty = Some((map(t.params()), map(t.results())));
            }
            Payload::CodeSectionEntry(body) => {
                let (params, results) = ty.as_ref().expect("types come first");
                return super::address_function(params, results, &body);
            }
            _ => {}
        }
    }
    None
}

#[test]
fn leaf_functions_of_one_address_expression_are_summarized() {
    let element = "(module (func (param i32 i32 i32 i32) (result i32)
        (i32.add (local.get 0)
          (i32.shl (i32.add (i32.mul (local.get 2) (local.get 1)) (local.get 3)) (i32.const 3)))))";
    let f = address_function_of(element).expect("summarized");
    assert_eq!((f.params, f.body.len()), (4, 9));
    for (why, wat) in [
        (
            "a subtraction",
            "(module (func (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1))))",
        ),
        (
            "a declared local",
            "(module (func (param i32) (result i32) (local i32) (local.get 0)))",
        ),
        (
            "an i64 parameter",
            "(module (func (param i64) (result i32) (i32.wrap_i64 (local.get 0))))",
        ),
        (
            "a load",
            "(module (memory 1) (func (param i32) (result i32) (i32.load (local.get 0))))",
        ),
        ("no result", "(module (func (param i32)))"),
    ] {
        assert!(address_function_of(wat).is_none(), "{why}");
    }
}
