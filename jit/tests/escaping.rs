//! Only functions that escape get an array entry: every way of reaching a
//! function from outside its body's direct calls must still work.

use weft::{Engine, Instance, Module, Store, Val};

const WAT: &str = r#"(module
    (type $unary (func (param i32) (result i32)))
    (table $t (export "t") 4 funcref)
    (elem (i32.const 0) $double)
    (elem declare func $triple)
    (global $g (export "g") funcref (ref.func $square))
    ;; Not escaping: only called directly.
    (func $helper (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $double (type $unary) (i32.mul (call $helper (local.get 0)) (i32.const 2)))
    (func $triple (type $unary) (i32.mul (local.get 0) (i32.const 3)))
    (func $square (type $unary) (i32.mul (local.get 0) (local.get 0)))
    (func (export "exported") (param i32) (result i32) (call $helper (local.get 0)))
    (func (export "indirect") (param i32 i32) (result i32)
        (call_indirect $t (type $unary) (local.get 0) (local.get 1)))
    ;; ref.func of a declared function, stored at run time, called through
    ;; the table.
    (func (export "install_triple") (param i32)
        (table.set $t (local.get 0) (ref.func $triple)))
    (func (export "install_global") (param i32)
        (table.set $t (local.get 0) (global.get $g)))
    (func (export "get_triple") (result funcref) (ref.func $triple)))"#;

fn instance() -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    (store, instance)
}

#[test]
fn every_export_can_be_called() {
    let (mut store, instance) = instance();
    let exported = instance
        .get_typed_func::<i32, i32>(&store, "exported")
        .expect("typed");
    assert_eq!(exported.call(&mut store, 4).expect("runs"), 5);
    for (name, ext) in instance.exports(&store) {
        if let Some(f) = ext.into_func() {
            let ty = f.ty(&store).expect("type");
            let params: Vec<Val> = ty.params().iter().map(|_| Val::I32(0)).collect();
            let mut results: Vec<Val> = ty.results().iter().map(|_| Val::I32(0)).collect();
            f.call(&mut store, &params, &mut results)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn call_indirect_reaches_element_segment_and_ref_func_targets() {
    let (mut store, instance) = instance();
    let indirect = instance
        .get_typed_func::<(i32, i32), i32>(&store, "indirect")
        .expect("typed");
    assert_eq!(indirect.call(&mut store, (5, 0)).expect("runs"), 12);
    let install_triple = instance
        .get_typed_func::<i32, ()>(&store, "install_triple")
        .expect("typed");
    install_triple.call(&mut store, 1).expect("runs");
    assert_eq!(indirect.call(&mut store, (5, 1)).expect("runs"), 15);
    let install_global = instance
        .get_typed_func::<i32, ()>(&store, "install_global")
        .expect("typed");
    install_global.call(&mut store, 2).expect("runs");
    assert_eq!(indirect.call(&mut store, (5, 2)).expect("runs"), 25);
    let null = indirect.call(&mut store, (5, 3)).expect_err("null entry");
    assert!(null.to_string().contains("uninitialized element"), "{null}");
}

#[test]
fn references_read_by_the_host_are_callable() {
    let (mut store, instance) = instance();
    let table = instance.get_table(&store, "t").expect("table");
    let get_triple = instance.get_func(&store, "get_triple").expect("func");
    let mut result = [Val::FuncRef(None)];
    get_triple
        .call(&mut store, &[], &mut result)
        .expect("returns a reference");
    table.set(&mut store, 3, result[0]).expect("set");
    let from_table = table.get(&store, 0).expect("in range");
    for (value, want) in [(from_table, 16), (Some(result[0]), 21)] {
        let Some(Val::FuncRef(Some(f))) = value else {
            panic!("a function reference: {value:?}");
        };
        let mut out = [Val::I32(0)];
        f.call(&mut store, &[Val::I32(7)], &mut out).expect("runs");
        assert_eq!(out[0], Val::I32(want));
    }
    let indirect = instance
        .get_typed_func::<(i32, i32), i32>(&store, "indirect")
        .expect("typed");
    assert_eq!(indirect.call(&mut store, (2, 3)).expect("runs"), 6);
}

#[test]
fn an_internal_function_has_no_array_entry() {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).expect("valid");
    let sizes: Vec<usize> = module.function_code_sizes().map(|(_, s)| s).collect();
    // `$helper` and `$double` compute the same kind of thing; only
    // `$double` escapes, so only its size includes an entry.
    let with_entry = Module::new(
        &engine,
        r#"(module (func (export "h") (param i32) (result i32)
               (i32.add (local.get 0) (i32.const 1))))"#,
    )
    .expect("valid");
    let helper_with_entry: usize = with_entry.function_code_sizes().map(|(_, s)| s).sum();
    assert!(
        sizes[0] < helper_with_entry,
        "{} bytes without an entry, {helper_with_entry} with",
        sizes[0]
    );
}
