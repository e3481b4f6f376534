//! The runner's own behaviour (`weft-wast`), checked on the interpreter:
//! that every kind of directive passes when it should and, just as
//! important, fails (at the right position) when it should. These live here
//! rather than in `weft-wast` because they need a real engine, and the
//! runner crate depends on none.

use weft_spec::engines::InterpEngine;
use weft_wast::report::Report;
use weft_wast::run_script;

fn run(script: &str) -> Report {
    run_script(&InterpEngine::default(), script)
}

/// Asserts every directive passed and returns how many there were.
fn passes(script: &str) -> usize {
    let report = run(script);
    assert!(
        report.is_success(),
        "unexpected failures: {:#?}",
        report.failures
    );
    report.passed
}

/// Asserts exactly the directives starting on `lines` failed.
fn fails_at(script: &str, lines: &[usize]) -> Report {
    let report = run(script);
    let failed: Vec<usize> = report.failures.iter().map(|f| f.pos.line).collect();
    assert_eq!(failed, lines, "failures: {:#?}", report.failures);
    report
}

const ADD: &str = r#"(module $M
  (global (export "g") (mut i32) (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "null") (result externref) (ref.null extern))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "self") (result funcref) (ref.func 0))
  (func (export "loop") (result i32) (call 7))
  (func (result i32) (call 7))
  (elem declare func 0))
"#;

#[test]
fn results_of_every_form_are_checked() {
    let script = format!(
        "{ADD}{}",
        r#"
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (get "g") (i32.const 7))
(assert_return (get $M "g") (i32.const 7))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
(assert_return (invoke "null") (ref.null extern))
(assert_return (invoke "null") (ref.null))
(assert_return (invoke "id" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "id" (ref.extern 5)) (ref.extern))
(assert_return (invoke "self") (ref.func))
(assert_return (invoke "add" (i32.const 1) (i32.const 1)) (either (i32.const 1) (i32.const 2)))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(invoke "add" (i32.const 1) (i32.const 2))
"#
    );
    assert_eq!(passes(&script), 15);
}

#[test]
fn wrong_expectations_fail_at_their_line() {
    let script = format!(
        "{ADD}{}",
        r#"(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)))
(assert_return (invoke "id" (ref.extern 5)) (ref.extern 6))
(assert_return (invoke "null") (ref.null func))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")
(assert_trap (invoke "add" (i32.const 1) (i32.const 0)) "integer overflow")
(assert_return (invoke "div" (i32.const 1) (i32.const 0)) (i32.const 0))
(assert_return (invoke "missing"))
(assert_return (invoke $Nope "add"))
(invoke "div" (i32.const 1) (i32.const 0))
(assert_return (invoke "self") (ref.null func))
(assert_return (invoke "add" (i32.const 1) (i32.const 1)) (either (i32.const 1) (i32.const 3)))
"#
    );
    let report = fails_at(&script, &(12..=23).collect::<Vec<_>>());
    assert_eq!(report.passed, 1);
}

#[test]
fn module_assertions_pass_and_fail() {
    let script = r#"(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func (foo))") "unknown operator")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_unlinkable (module (import "nowhere" "f" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
(assert_trap (module (func unreachable) (start 0)) "unreachable")
(assert_invalid (module (func)) "type mismatch")
(assert_malformed (module quote "(func)") "unknown operator")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "incompatible import type")
(assert_trap (module (func) (start 0)) "unreachable")
(assert_trap (module (func unreachable) (start 0)) "integer overflow")
(module (import "nowhere" "f" (func)))
"#;
    let report = fails_at(script, &[7, 8, 9, 10, 11, 12]);
    assert_eq!(report.passed, 6);
}

#[test]
fn definitions_registrations_and_spectest_link() {
    let script = r#"(module definition $D
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "table" (table 10 20 funcref))
  (global (export "g") i32 (global.get 0))
  (func (export "print") (call 0 (i32.const 1))))
(module instance $I1 $D)
(module instance $I2 $D)
(assert_return (get $I1 "g") (i32.const 666))
(invoke $I2 "print")
(register "reg" $I1)
(module (import "reg" "g" (global i32)) (func (export "f") (result i32) (global.get 0)))
(assert_return (invoke "f") (i32.const 666))
(module instance $I3 $Missing)
"#;
    let report = fails_at(script, &[15]);
    assert_eq!(report.passed, 8);
}

#[test]
fn threads_report_their_directives_and_share_memory() {
    let script = r#"(module $Mem (memory (export "m") 1 1 shared)
  (func (export "get") (result i32) (i32.atomic.load (i32.const 0))))
(thread $T (shared (module $Mem))
  (register "mem" $Mem)
  (module (memory (import "mem" "m") 1 1 shared)
    (func (export "run") (i32.atomic.store (i32.const 0) (i32.const 42))))
  (invoke "run")
  (assert_return (invoke "run") (i32.const 1)))
(wait $T)
(assert_return (invoke $Mem "get") (i32.const 42))
(wait $T)
(thread $U (invoke $Mem "get"))
"#;
    // Inside $T: register, module, invoke pass; the assert fails (line 8).
    // Then `wait $T` and the check pass; the second wait has no thread; $U
    // does not see $Mem, and is joined at the end.
    let report = fails_at(script, &[8, 11, 12]);
    assert_eq!(report.passed, 1 + 1 + 3 + 1 + 1 + 1);
}

#[test]
fn a_script_that_does_not_parse_is_one_failure() {
    let report = fails_at("(module", &[1]);
    assert_eq!(report.passed, 0);
}
