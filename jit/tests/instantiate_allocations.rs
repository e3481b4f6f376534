//! How many heap allocations an instantiation makes, counted by a global
//! allocator that counts per thread (so tests running in parallel do not
//! see each other's allocations).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use weft::{Config, Engine, Instance, Module, Store};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; the count is a
// thread-local `Cell` without a destructor, so touching it allocates
// nothing and cannot re-enter the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (and reallocations) made by one instantiation of `module`
/// in a fresh store, the store's own creation not counted.
fn allocations_to_instantiate(engine: &Engine, module: &Module) -> u64 {
    let mut store = Store::new(engine, ());
    // The first instantiation builds the module's lazily made parts
    // (memory images); count a later one.
    Instance::new(&mut store, module, &[]).expect("instantiates");
    let mut store = Store::new(engine, ());
    let before = ALLOCATIONS.with(Cell::get);
    let instance = Instance::new(&mut store, module, &[]).expect("instantiates");
    let after = ALLOCATIONS.with(Cell::get);
    drop((instance, store));
    after - before
}

/// A module with an exported function, a memory with two data segments,
/// and `internal` functions that nothing outside the module can reach.
fn module_with_internal_functions(engine: &Engine, internal: usize) -> Module {
    let mut wat = String::from(
        r#"(module (memory 1) (data (i32.const 0) "abc") (data (i32.const 100) "def")
             (func (export "run") (result i32) (call 1))"#,
    );
    for _ in 0..internal {
        wat.push_str("(func (result i32) (i32.const 7))");
    }
    wat.push(')');
    Module::new(engine, &wat).expect("valid")
}

#[test]
fn functions_that_do_not_escape_cost_an_instance_nothing() {
    let engine = Engine::default();
    let one = allocations_to_instantiate(&engine, &module_with_internal_functions(&engine, 1));
    let many = allocations_to_instantiate(&engine, &module_with_internal_functions(&engine, 300));
    eprintln!("allocations per instantiation: 1 internal function {one}, 300: {many}");
    assert_eq!(one, many, "allocations grow with non-escaping functions");
}

#[test]
fn the_bench_module_instantiates_in_few_allocations() {
    let wat = include_str!("../../bench/wat/instantiate.wat");
    let mut counts = Vec::new();
    for cow in [false, true] {
        let mut config = Config::new();
        config.memory_init_cow(cow);
        let engine = Engine::new(&config).expect("engine");
        let module = Module::new(&engine, wat).expect("valid");
        counts.push(allocations_to_instantiate(&engine, &module));
    }
    eprintln!(
        "bench/wat/instantiate.wat: {} allocations per instantiation copying, {} with an image",
        counts[0], counts[1]
    );
    // An image replaces the copies; it must not add allocations.
    assert!(counts[1] <= counts[0], "{counts:?}");
}
