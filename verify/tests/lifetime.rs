//! Instances are freed when the last handle into them goes, even when their
//! own tables, globals and segments hold their own functions; handles that
//! escape keep them alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use weft_verify::interp::{Extern, FuncRef, FuncType, Instance, Module, Value};

/// Sets its flag when dropped: tells us the host function (owned by the
/// instance that imports it) was freed, hence the instance too.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

const SELF_REFERENTIAL: &str = r#"(module
  (import "h" "f" (func $h))
  (table $t (export "t") 2 funcref)
  (elem (i32.const 0) $g $h)
  (elem $passive func $g)
  (global $r (export "r") (mut funcref) (ref.func $g))
  (func $g (result i32) (i32.const 42))
  (func (export "call0") (result i32) (call_indirect (result i32) (i32.const 0)))
  (func (export "refill") (table.init $t $passive (i32.const 1) (i32.const 0) (i32.const 1))
    (global.set $r (table.get $t (i32.const 1)))))"#;

fn instantiate(freed: &Arc<AtomicBool>) -> Instance {
    let flag = DropFlag(Arc::clone(freed));
    let host = FuncRef::host(FuncType::new([], []), move |_| {
        let _ = &flag;
        Ok(vec![])
    });
    let wasm = wat::parse_str(SELF_REFERENTIAL).expect("valid text");
    let module = Module::new(&wasm).expect("validates");
    Instance::new(&module, &[Extern::Func(host)]).expect("instantiates")
}

#[test]
fn an_instance_holding_its_own_functions_is_freed() {
    let freed = Arc::new(AtomicBool::new(false));
    let instance = instantiate(&freed);
    assert_eq!(instance.invoke("call0", &[]), Ok(vec![Value::I32(42)]));
    instance.invoke("refill", &[]).unwrap();
    assert_eq!(instance.invoke("call0", &[]), Ok(vec![Value::I32(42)]));
    assert!(!freed.load(Ordering::SeqCst));
    drop(instance);
    assert!(freed.load(Ordering::SeqCst), "the instance leaked");
}

#[test]
fn exported_handles_keep_their_instance_alive() {
    let freed = Arc::new(AtomicBool::new(false));
    let instance = instantiate(&freed);
    let Some(Extern::Table(table)) = instance.export("t") else {
        panic!("table export")
    };
    let Some(Extern::Global(global)) = instance.export("r") else {
        panic!("global export")
    };
    drop(instance);
    assert!(!freed.load(Ordering::SeqCst));
    // The table's weakly held entry is still callable through the handle.
    let Some(Value::FuncRef(Some(f))) = table.get(0) else {
        panic!("element 0 is set")
    };
    assert_eq!(f.call(&[]), Ok(vec![Value::I32(42)]));
    drop(table);
    let Value::FuncRef(Some(g)) = global.get() else {
        panic!("global holds a function")
    };
    drop(global);
    drop(f);
    assert!(
        !freed.load(Ordering::SeqCst),
        "a FuncRef keeps its instance"
    );
    assert_eq!(g.call(&[]), Ok(vec![Value::I32(42)]));
    drop(g);
    assert!(freed.load(Ordering::SeqCst), "the instance leaked");
}
