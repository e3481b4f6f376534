//! End-to-end tests of the embedding API.

use weft::{Engine, Func, FuncType, Instance, Module, Store, TrapCode, Val, ValType};

fn instance(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    (store, instance)
}

#[test]
fn calls_an_export_with_control_flow_and_locals() {
    let (mut store, i) = instance(
        r#"(module (func (export "fac") (param i64) (result i64) (local i64)
             i64.const 1 local.set 1
             block loop
               local.get 0 i64.eqz br_if 1
               local.get 1 local.get 0 i64.mul local.set 1
               local.get 0 i64.const 1 i64.sub local.set 0
               br 0
             end end
             local.get 1))"#,
    );
    let fac = i.get_typed_func::<i64, i64>(&store, "fac").expect("typed");
    assert_eq!(
        fac.call(&mut store, 20).expect("runs"),
        2_432_902_008_176_640_000
    );
}

#[test]
fn recursion_multi_value_and_br_table() {
    let (mut store, i) = instance(
        r#"(module
            (func $fib (export "fib") (param i32) (result i32)
              local.get 0 i32.const 2 i32.lt_u
              if (result i32) local.get 0
              else local.get 0 i32.const 1 i32.sub call $fib
                   local.get 0 i32.const 2 i32.sub call $fib i32.add end)
            (func (export "swap") (param i32 i32) (result i32 i32) local.get 1 local.get 0)
            (func (export "pick") (param i32) (result i32)
              block block block
                local.get 0 br_table 0 1 2
              end i32.const 10 return
              end i32.const 20 return
              end i32.const 30))"#,
    );
    let fib = i.get_typed_func::<i32, i32>(&store, "fib").expect("typed");
    assert_eq!(fib.call(&mut store, 20).expect("runs"), 6765);
    let swap = i
        .get_typed_func::<(i32, i32), (i32, i32)>(&store, "swap")
        .expect("typed");
    assert_eq!(swap.call(&mut store, (1, 2)).expect("runs"), (2, 1));
    let pick = i.get_typed_func::<i32, i32>(&store, "pick").expect("typed");
    let got: Vec<i32> = (0..5)
        .map(|x| pick.call(&mut store, x).expect("runs"))
        .collect();
    assert_eq!(got, [10, 20, 30, 30, 30]);
}

#[test]
fn traps_are_values_with_codes_and_locations() {
    let (mut store, i) = instance(
        r#"(module
            (memory 1)
            (func (export "unreachable") unreachable)
            (func (export "oob") (result i32) i32.const 65535 i32.load)
            (func $inner (i32.const 0) (i32.const 0) (i32.div_u) drop)
            (func (export "outer") call $inner)
            (func $rec (export "rec") call $rec))"#,
    );
    let call = |store: &mut Store<()>, name: &str| {
        let f = i.get_func(&*store, name).expect("export");
        let n = f.ty(&*store).expect("type").results().len();
        let mut out = vec![Val::I32(0); n];
        f.call(store, &[], &mut out).expect_err("traps")
    };
    let e = call(&mut store, "unreachable");
    assert_eq!(e.as_trap().expect("trap").code(), TrapCode::Unreachable);
    assert_eq!(e.as_trap().expect("trap").func_index(), Some(0));
    let e = call(&mut store, "oob");
    assert_eq!(
        e.as_trap().expect("trap").code(),
        TrapCode::MemoryOutOfBounds
    );
    assert_eq!(e.to_string(), "out of bounds memory access");
    let e = call(&mut store, "outer");
    assert_eq!(
        e.as_trap().expect("trap").code(),
        TrapCode::IntegerDivisionByZero
    );
    assert_eq!(e.as_trap().expect("trap").func_index(), Some(2));
    let e = call(&mut store, "rec");
    assert_eq!(e.as_trap().expect("trap").code(), TrapCode::StackOverflow);
    // The store is usable after every trap.
    let e = call(&mut store, "rec");
    assert_eq!(e.as_trap().expect("trap").code(), TrapCode::StackOverflow);
}

#[test]
fn host_functions_are_called_and_their_errors_propagate() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "f" (func $f (param i32) (result i32)))
             (func (export "g") (param i32) (result i32) local.get 0 call $f i32.const 1 i32.add))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, 0u32);
    let f = Func::new(
        &mut store,
        FuncType::new([ValType::I32], [ValType::I32]),
        |mut caller, params, results| {
            *caller.data_mut() += 1;
            let x = params[0].i32().unwrap_or(0);
            if x < 0 {
                return Err(weft::Error::from(weft::Trap::new(TrapCode::Unreachable)));
            }
            results[0] = Val::I32(x * 10);
            Ok(())
        },
    );
    let i = Instance::new(&mut store, &module, &[f.into()]).expect("links");
    let g = i.get_typed_func::<i32, i32>(&store, "g").expect("typed");
    assert_eq!(g.call(&mut store, 4).expect("runs"), 41);
    let e = g.call(&mut store, -1).expect_err("host error");
    assert_eq!(e.as_trap().expect("trap").code(), TrapCode::Unreachable);
    assert_eq!(*store.data(), 2);
}

#[test]
fn host_panics_become_errors() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let f = Func::wrap(&mut store, |_: weft::Caller<'_, ()>| -> i32 {
        panic!("boom")
    });
    let module = Module::new(
        &engine,
        r#"(module (import "" "" (func $f (result i32))) (func (export "g") (result i32) call $f))"#,
    )
    .expect("compiles");
    let i = Instance::new(&mut store, &module, &[f.into()]).expect("links");
    let g = i.get_typed_func::<(), i32>(&store, "g").expect("typed");
    let e = g.call(&mut store, ()).expect_err("panic is an error");
    assert!(e.to_string().contains("boom"), "{e}");
}

#[test]
fn memory_grow_size_and_bulk_ops() {
    let (mut store, i) = instance(
        r#"(module (memory (export "m") 1 3)
            (data "hello")
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
            (func (export "size") (result i32) memory.size)
            (func (export "store_last") (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 7)))
            (func (export "init") (memory.init 0 (i32.const 100) (i32.const 0) (i32.const 5)))
            (func (export "copy") (memory.copy (i32.const 200) (i32.const 100) (i32.const 5)))
            (func (export "fill") (memory.fill (i32.const 300) (i32.const 0x41) (i32.const 3))))"#,
    );
    let grow = i.get_typed_func::<i32, i32>(&store, "grow").expect("typed");
    let size = i.get_typed_func::<(), i32>(&store, "size").expect("typed");
    let store_last = i
        .get_typed_func::<(), ()>(&store, "store_last")
        .expect("typed");
    store_last.call(&mut store, ()).expect("in bounds");
    assert_eq!(grow.call(&mut store, 1).expect("runs"), 1);
    assert_eq!(size.call(&mut store, ()).expect("runs"), 2);
    store_last
        .call(&mut store, ())
        .expect("in bounds after growth");
    assert_eq!(grow.call(&mut store, 5).expect("runs"), -1);
    for name in ["init", "copy", "fill"] {
        i.get_typed_func::<(), ()>(&store, name)
            .expect("typed")
            .call(&mut store, ())
            .expect("runs");
    }
    let m = i.get_memory(&store, "m").expect("memory");
    let data = m.data(&store).expect("unshared");
    assert_eq!(&data[200..205], b"hello");
    assert_eq!(&data[300..303], b"AAA");
    assert_eq!(data.len(), 2 * 65536);
}

#[test]
fn tables_globals_and_call_indirect() {
    let (mut store, i) = instance(
        r#"(module
            (type $i (func (result i32)))
            (table (export "t") 3 funcref)
            (global $g (export "g") (mut i32) (i32.const 5))
            (elem (i32.const 0) $a $b)
            (func $a (result i32) global.get $g)
            (func $b (result i32) i32.const 2)
            (func (export "ci") (param i32) (result i32) local.get 0 call_indirect (type $i))
            (func (export "bump") global.get $g i32.const 1 i32.add global.set $g)
            (func (export "wrong") (param i32) i32.const 0 local.get 0 call_indirect (param i32)))"#,
    );
    let ci = i.get_typed_func::<i32, i32>(&store, "ci").expect("typed");
    assert_eq!(ci.call(&mut store, 0).expect("runs"), 5);
    assert_eq!(ci.call(&mut store, 1).expect("runs"), 2);
    let code = |e: weft::Error| e.as_trap().expect("trap").code();
    assert_eq!(
        code(ci.call(&mut store, 2).expect_err("null")),
        TrapCode::IndirectCallToNull
    );
    assert_eq!(
        code(ci.call(&mut store, 3).expect_err("oob")),
        TrapCode::UndefinedElement
    );
    let wrong = i.get_typed_func::<i32, ()>(&store, "wrong").expect("typed");
    assert_eq!(
        code(wrong.call(&mut store, 0).expect_err("sig")),
        TrapCode::BadSignature
    );
    i.get_typed_func::<(), ()>(&store, "bump")
        .expect("typed")
        .call(&mut store, ())
        .expect("runs");
    let g = i.get_global(&store, "g").expect("global");
    assert_eq!(g.get(&store).expect("get"), Val::I32(6));
    let t = i.get_table(&store, "t").expect("table");
    let Some(Val::FuncRef(Some(f))) = t.get(&store, 1).expect("get") else {
        panic!("expected a function in slot 1");
    };
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[], &mut out).expect("runs");
    assert_eq!(out[0], Val::I32(2));
}

#[test]
fn wrong_arguments_are_errors_not_panics() {
    let (mut store, i) = instance(r#"(module (func (export "f") (param i32)))"#);
    let f = i.get_func(&store, "f").expect("export");
    assert!(f.call(&mut store, &[], &mut []).is_err());
    assert!(f.call(&mut store, &[Val::I64(1)], &mut []).is_err());
    assert!(i.get_typed_func::<i64, ()>(&store, "f").is_err());
    let (other_store, _) = instance("(module)");
    assert!(f.ty(&other_store).is_err());
}

#[test]
fn host_functions_can_call_back_into_wasm() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "twice_via_wasm" (func $h (param i32) (result i32)))
             (func (export "double") (param i32) (result i32) local.get 0 local.get 0 i32.add)
             (func (export "run") (param i32) (result i32) local.get 0 call $h))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let h = Func::wrap(
        &mut store,
        |mut caller: weft::Caller<'_, ()>, x: i32| -> weft::Result<i32> {
            let double = caller
                .get_export("double")
                .and_then(weft::Extern::into_func)
                .ok_or_else(|| weft::Error::from(weft::ErrorKind::Host("no double".into())))?;
            let mut out = [Val::I32(0)];
            double.call(&mut caller, &[Val::I32(x)], &mut out)?;
            Ok(out[0].i32().unwrap_or(0) + 1)
        },
    );
    let i = Instance::new(&mut store, &module, &[h.into()]).expect("links");
    let run = i.get_typed_func::<i32, i32>(&store, "run").expect("typed");
    assert_eq!(run.call(&mut store, 20).expect("runs"), 41);
}

#[test]
fn parallel_and_serial_compilation_agree() {
    let mut wat = String::from("(module");
    for i in 0..64 {
        wat.push_str(&format!(
            "(func (export \"f{i}\") (param i32) (result i32) local.get 0 i32.const {i} i32.mul)"
        ));
    }
    wat.push(')');
    for parallel in [true, false] {
        let mut config = weft::Config::new();
        config.parallel_compilation(parallel);
        let engine = Engine::new(&config).expect("supported host");
        let module = Module::new(&engine, &wat).expect("compiles");
        let mut store = Store::new(&engine, ());
        let i = Instance::new(&mut store, &module, &[]).expect("instantiates");
        for k in 0..64 {
            let f = i
                .get_typed_func::<i32, i32>(&store, &format!("f{k}"))
                .expect("typed");
            assert_eq!(f.call(&mut store, 3).expect("runs"), 3 * k);
        }
    }
}

#[test]
fn invalid_bodies_say_which_function_and_where() {
    let engine = Engine::default();
    let e = Module::new(
        &engine,
        r#"(module (func) (func (result i32) i64.const 1))"#,
    )
    .expect_err("type mismatch");
    match e.kind() {
        weft::ErrorKind::InvalidModule {
            func_index, offset, ..
        } => {
            assert_eq!(*func_index, Some(1));
            assert!(*offset > 8);
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(e.to_string().contains("(function 1)"), "{e}");
}

#[test]
fn multiple_memories_are_addressed_by_index() {
    let mut config = weft::Config::new();
    config.wasm_multi_memory(true);
    let engine = Engine::new(&config).expect("supported host");
    let module = Module::new(
        &engine,
        r#"(module
            (memory $a (export "a") 1)
            (memory $b (export "b") 2)
            (func (export "run") (result i32)
              (i32.store $a (i32.const 8) (i32.const 11))
              (i32.store $b (i32.const 70000) (i32.const 22))
              (memory.copy $b $a (i32.const 100) (i32.const 8) (i32.const 4))
              (i32.add (i32.load $b (i32.const 100))
                       (i32.add (memory.size $a) (memory.size $b)))))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let run = i.get_typed_func::<(), i32>(&store, "run").expect("typed");
    assert_eq!(run.call(&mut store, ()).expect("runs"), 11 + 1 + 2);
    let b = i.get_memory(&store, "b").expect("memory b");
    assert_eq!(
        &b.data(&store).expect("unshared")[70000..70004],
        &22u32.to_le_bytes()
    );
}
