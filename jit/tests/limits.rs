//! Resource limits: `Store::limiter`, `ResourceLimiter`, `StoreLimits`,
//! for owned and shared memories (from several threads at once), tables and
//! instance/memory/table counts; limiters that refuse, fail or panic.

use std::sync::{Arc, Barrier};

use weft::{
    Config, Engine, Error, ErrorKind, Instance, Memory, MemoryType, Module, ResourceLimiter,
    SharedMemory, Store, StoreLimits, StoreLimitsBuilder, Table, TableType, Val, ValType,
};

const PAGE: usize = 65536;

fn threads_engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true);
    Engine::new(&config).expect("this host supports the JIT")
}

fn limited_store(engine: &Engine, limits: StoreLimits) -> Store<StoreLimits> {
    let mut store = Store::new(engine, limits);
    store.limiter(|limits| limits);
    store
}

/// Grows its memory from wasm; `size` reads it.
const OWNED: &str = r#"(module
  (memory (export "memory") 1 10)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

/// The same over an imported shared memory.
const SHARED: &str = r#"(module
  (import "env" "memory" (memory 1 64 shared))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

#[test]
fn store_limits_bound_an_owned_memory_from_wasm_and_from_the_host() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, OWNED)?;
    let mut store = limited_store(
        &engine,
        StoreLimitsBuilder::new().memory_size(3 * PAGE).build(),
    );
    let instance = Instance::new(&mut store, &module, &[])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 2)?, 1, "to 3 pages: allowed");
    assert_eq!(grow.call(&mut store, 1)?, -1, "to 4 pages: refused");
    assert_eq!(grow.call(&mut store, 0)?, 3, "a grow by 0 asks nothing");
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    assert!(
        memory.grow(&mut store, 1).is_err(),
        "the host's grow is refused too"
    );
    assert_eq!(
        memory.size(&store)?,
        3,
        "refusals leave the memory unchanged"
    );
    Ok(())
}

/// Records every question, to check what a limiter is shown.
#[derive(Default)]
struct Recorder {
    max_bytes: usize,
    asked: Vec<(usize, usize, Option<usize>)>,
    failed: usize,
}

impl ResourceLimiter for Recorder {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> weft::Result<bool> {
        self.asked.push((current, desired, max));
        Ok(desired <= self.max_bytes)
    }
    fn memory_grow_failed(&mut self, _: Error) -> weft::Result<()> {
        self.failed += 1;
        Ok(())
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        Ok(true)
    }
}

#[test]
fn the_limiter_sees_creation_then_each_grow_in_bytes_and_hears_of_failures() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, OWNED)?;
    let mut store = Store::new(
        &engine,
        Recorder {
            max_bytes: usize::MAX,
            ..Recorder::default()
        },
    );
    store.limiter(|r| r);
    let instance = Instance::new(&mut store, &module, &[])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 2)?, 1);
    assert_eq!(
        grow.call(&mut store, 100)?,
        -1,
        "past the declared maximum of 10"
    );
    let max = Some(10 * PAGE);
    assert_eq!(
        store.data().asked,
        [
            (0, PAGE, max),
            (PAGE, 3 * PAGE, max),
            (3 * PAGE, 103 * PAGE, max)
        ]
    );
    assert_eq!(
        store.data().failed,
        1,
        "the approved grow past the maximum failed"
    );
    Ok(())
}

/// Several threads, each with its own store and limiter, grow one shared
/// memory one page at a time until refused: the limiters' bound holds
/// exactly, each thread sees every old size below it, and the old sizes
/// handed out are distinct.
#[test]
fn limiters_of_several_stores_bound_one_shared_memory_grown_from_many_threads() -> weft::Result<()>
{
    const THREADS: usize = 8;
    const LIMIT_PAGES: usize = 40;
    let engine = threads_engine();
    let module = Module::new(&engine, SHARED)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 64))?;
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (engine, module, shared, barrier) = (
                engine.clone(),
                module.clone(),
                shared.clone(),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || -> weft::Result<Vec<i32>> {
                let limits = StoreLimitsBuilder::new()
                    .memory_size(LIMIT_PAGES * PAGE)
                    .build();
                let mut store = limited_store(&engine, limits);
                let memory = Memory::from_shared_memory(&mut store, &shared)?;
                let instance = Instance::new(&mut store, &module, &[memory.into()])?;
                let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
                barrier.wait();
                let mut olds = Vec::new();
                loop {
                    match grow.call(&mut store, 1)? {
                        -1 => break,
                        old => olds.push(old),
                    }
                }
                // Refused at the limit, and still refused (from the host too).
                assert_eq!(grow.call(&mut store, 1)?, -1);
                assert!(memory.grow(&mut store, 1).is_err());
                Ok(olds)
            })
        })
        .collect();
    let mut olds: Vec<i32> = Vec::new();
    for w in workers {
        olds.extend(w.join().expect("worker panicked")?);
    }
    olds.sort_unstable();
    let expected: Vec<i32> = (1..LIMIT_PAGES as i32).collect();
    assert_eq!(
        olds, expected,
        "every page from 1 to the limit granted exactly once"
    );
    assert_eq!(shared.size(), LIMIT_PAGES as u64);
    Ok(())
}

#[test]
fn each_store_s_limiter_decides_for_its_own_grows_of_a_shared_memory() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, SHARED)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 64))?;
    let mut small = limited_store(
        &engine,
        StoreLimitsBuilder::new().memory_size(4 * PAGE).build(),
    );
    let mut large = limited_store(
        &engine,
        StoreLimitsBuilder::new().memory_size(8 * PAGE).build(),
    );
    let grow_in = |store: &mut Store<StoreLimits>| -> weft::Result<_> {
        let memory = Memory::from_shared_memory(&mut *store, &shared)?;
        let instance = Instance::new(&mut *store, &module, &[memory.into()])?;
        instance.get_typed_func::<i32, i32>(&mut *store, "grow")
    };
    let (grow_small, grow_large) = (grow_in(&mut small)?, grow_in(&mut large)?);
    assert_eq!(grow_small.call(&mut small, 3)?, 1);
    assert_eq!(
        grow_small.call(&mut small, 1)?,
        -1,
        "past the small store's limit"
    );
    assert_eq!(grow_large.call(&mut large, 4)?, 4, "the large store may");
    assert_eq!(
        grow_small.call(&mut small, 0)?,
        8,
        "the small store sees the growth"
    );
    assert_eq!(grow_small.call(&mut small, 1)?, -1);
    assert_eq!(shared.size(), 8);
    // The host's own SharedMemory handle belongs to no store: no limiter.
    assert_eq!(shared.grow(1)?, 8);
    Ok(())
}

/// A limiter that fails or panics on a grow past `max_bytes`.
struct Failing {
    max_bytes: usize,
    panic: bool,
}

impl ResourceLimiter for Failing {
    fn memory_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> weft::Result<bool> {
        if desired <= self.max_bytes {
            Ok(true)
        } else if self.panic {
            panic!("limiter bug");
        } else {
            Err(ErrorKind::Host("no more memory for you".into()).into())
        }
    }
    fn table_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> weft::Result<bool> {
        if desired <= 4 {
            Ok(true)
        } else if self.panic {
            panic!("table limiter bug");
        } else {
            Err(ErrorKind::Host("no more elements".into()).into())
        }
    }
}

fn assert_stays_usable(
    store: &mut Store<Failing>,
    instance: Instance,
    expected_pages: i32,
) -> weft::Result<()> {
    let size = instance.get_typed_func::<(), i32>(&mut *store, "size")?;
    assert_eq!(
        size.call(&mut *store, ())?,
        expected_pages,
        "memory unchanged"
    );
    let grow = instance.get_typed_func::<i32, i32>(&mut *store, "grow")?;
    assert_eq!(
        grow.call(&mut *store, 0)?,
        expected_pages,
        "the store still runs wasm"
    );
    Ok(())
}

#[test]
fn a_limiter_error_or_panic_traps_and_the_store_stays_usable() -> weft::Result<()> {
    for panic in [false, true] {
        // Owned memory.
        let engine = threads_engine();
        let module = Module::new(&engine, OWNED)?;
        let mut store = Store::new(
            &engine,
            Failing {
                max_bytes: 2 * PAGE,
                panic,
            },
        );
        store.limiter(|l| l);
        let instance = Instance::new(&mut store, &module, &[])?;
        let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
        assert_eq!(grow.call(&mut store, 1)?, 1);
        let e = grow.call(&mut store, 1).expect_err("the limiter fails");
        let expected = if panic {
            "limiter bug"
        } else {
            "no more memory for you"
        };
        assert!(e.to_string().contains(expected), "{e}");
        assert_stays_usable(&mut store, instance, 2)?;
        let memory = instance.get_memory(&mut store, "memory").expect("memory");
        let e = memory.grow(&mut store, 1).expect_err("from the host");
        assert!(e.to_string().contains(expected), "{e}");

        // Shared memory: the failure happens under its grow lock, which
        // must neither stay held nor be poisoned.
        let module = Module::new(&engine, SHARED)?;
        let shared = SharedMemory::new(&engine, MemoryType::shared(1, 64))?;
        let mut store = Store::new(
            &engine,
            Failing {
                max_bytes: 2 * PAGE,
                panic,
            },
        );
        store.limiter(|l| l);
        let memory = Memory::from_shared_memory(&mut store, &shared)?;
        let instance = Instance::new(&mut store, &module, &[memory.into()])?;
        let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
        assert_eq!(grow.call(&mut store, 1)?, 1);
        let e = grow.call(&mut store, 1).expect_err("the limiter fails");
        assert!(e.to_string().contains(expected), "{e}");
        assert_stays_usable(&mut store, instance, 2)?;
        let other = shared.clone();
        assert_eq!(
            std::thread::spawn(move || other.grow(1))
                .join()
                .expect("grower")?,
            2
        );
    }
    Ok(())
}

#[test]
fn tables_are_limited_from_wasm_and_from_the_host() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
          (table (export "t") 1 funcref)
          (func (export "grow") (param i32) (result i32)
            (table.grow (ref.null func) (local.get 0))))"#,
    )?;
    let mut store = limited_store(&engine, StoreLimitsBuilder::new().table_elements(3).build());
    let instance = Instance::new(&mut store, &module, &[])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 2)?, 1);
    assert_eq!(grow.call(&mut store, 1)?, -1);
    let table = instance.get_table(&mut store, "t").expect("table");
    assert!(table.grow(&mut store, 1, Val::FuncRef(None)).is_err());
    assert_eq!(table.size(&store)?, 3);
    let e = Table::new(
        &mut store,
        TableType::new(ValType::FuncRef, 4, None),
        Val::FuncRef(None),
    )
    .expect_err("a table whose minimum passes the limit");
    assert!(matches!(e.kind(), ErrorKind::ResourceLimit(_)), "{e}");

    // A failing table limiter traps `table.grow`.
    let mut store = Store::new(
        &engine,
        Failing {
            max_bytes: 0,
            panic: false,
        },
    );
    store.limiter(|l| l);
    let instance = Instance::new(&mut store, &module, &[])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    let e = grow.call(&mut store, 10).expect_err("fails");
    assert!(e.to_string().contains("no more elements"), "{e}");
    assert_eq!(grow.call(&mut store, 1)?, 1, "the store still runs");
    Ok(())
}

#[test]
fn counts_of_instances_memories_and_tables_are_limited() -> weft::Result<()> {
    let engine = Engine::default();
    let plain = Module::new(&engine, "(module)")?;
    let with_memory = Module::new(&engine, "(module (memory 1))")?;
    let with_table = Module::new(&engine, "(module (table 1 funcref))")?;
    let limits = StoreLimitsBuilder::new()
        .instances(2)
        .memories(1)
        .tables(1)
        .build();
    let mut store = limited_store(&engine, limits);
    Instance::new(&mut store, &with_memory, &[])?;
    let e = Instance::new(&mut store, &with_memory, &[]).expect_err("a second memory");
    assert!(matches!(e.kind(), ErrorKind::ResourceLimit(_)), "{e}");
    assert!(e.to_string().contains("memory count"), "{e}");
    let e = Memory::new(&mut store, MemoryType::new(1, None)).expect_err("host memory");
    assert!(e.to_string().contains("memory count"), "{e}");
    Instance::new(&mut store, &with_table, &[])?;
    let e = Instance::new(&mut store, &plain, &[]).expect_err("a third instance");
    assert!(e.to_string().contains("instance count"), "{e}");

    let limits = StoreLimitsBuilder::new().tables(0).build();
    let mut store = limited_store(&engine, limits);
    let e = Instance::new(&mut store, &with_table, &[]).expect_err("no tables");
    assert!(e.to_string().contains("table count"), "{e}");
    Instance::new(&mut store, &plain, &[])?;
    Ok(())
}

#[test]
fn a_minimum_size_past_the_limit_refuses_instantiation() -> weft::Result<()> {
    let engine = threads_engine();
    let limits = StoreLimitsBuilder::new().memory_size(PAGE).build();
    let mut store = limited_store(&engine, limits);
    let module = Module::new(&engine, "(module (memory 2))")?;
    let e = Instance::new(&mut store, &module, &[]).expect_err("2 pages > 1");
    assert!(matches!(e.kind(), ErrorKind::ResourceLimit(_)), "{e}");
    let module = Module::new(&engine, "(module (memory 2 4 shared))")?;
    assert!(
        Instance::new(&mut store, &module, &[]).is_err(),
        "shared ones too"
    );
    let module = Module::new(&engine, "(module (memory 1 4 shared))")?;
    Instance::new(&mut store, &module, &[])?;
    Ok(())
}

#[test]
fn trap_on_grow_failure_turns_refusals_into_traps() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, OWNED)?;
    let limits = StoreLimitsBuilder::new()
        .memory_size(2 * PAGE)
        .trap_on_grow_failure(true)
        .build();
    let mut store = limited_store(&engine, limits);
    let instance = Instance::new(&mut store, &module, &[])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 1)?, 1);
    let e = grow.call(&mut store, 1).expect_err("traps instead of -1");
    assert!(matches!(e.kind(), ErrorKind::ResourceLimit(_)), "{e}");
    Ok(())
}

/// A limiter that tries to grow the shared memory it is asked about (which
/// would deadlock on the grow lock it runs under).
struct Reentrant(SharedMemory, Option<String>);

impl ResourceLimiter for Reentrant {
    fn memory_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        self.1 = Some(match self.0.grow(1) {
            Ok(_) => "grew".to_owned(),
            Err(e) => e.to_string(),
        });
        Ok(true)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        Ok(true)
    }
}

#[test]
fn a_limiter_growing_a_shared_memory_is_refused_not_deadlocked() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, SHARED)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 64))?;
    let mut store = Store::new(&engine, Reentrant(shared.clone(), None));
    store.limiter(|r| r);
    let memory = Memory::from_shared_memory(&mut store, &shared)?;
    let instance = Instance::new(&mut store, &module, &[memory.into()])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 1)?, 1);
    let inner = store.data().1.clone().expect("asked");
    assert!(inner.contains("inside a ResourceLimiter"), "{inner}");
    assert_eq!(shared.size(), 2, "only the outer grow happened");
    Ok(())
}

/// Approves grows up to `max_bytes` and records the size it was shown for
/// each grow it approved.
struct Bounded {
    max_bytes: usize,
    approved_from: Vec<usize>,
}

impl ResourceLimiter for Bounded {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _: Option<usize>,
    ) -> weft::Result<bool> {
        let approve = desired <= self.max_bytes;
        if approve && current > 0 {
            self.approved_from.push(current);
        }
        Ok(approve)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        Ok(true)
    }
}

/// Under contention, the size each limiter is shown is exactly the size its
/// grow starts from: the old sizes wasm gets back are the sizes approved.
#[test]
fn under_contention_each_limiter_sees_the_size_its_grow_starts_from() -> weft::Result<()> {
    const THREADS: usize = 6;
    let engine = threads_engine();
    let module = Module::new(&engine, SHARED)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 64))?;
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (engine, module, shared, barrier) = (
                engine.clone(),
                module.clone(),
                shared.clone(),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || -> weft::Result<()> {
                // Different bounds per store: 20 to 60 pages.
                let max_bytes = (20 + 8 * t) * PAGE;
                let mut store = Store::new(
                    &engine,
                    Bounded {
                        max_bytes,
                        approved_from: Vec::new(),
                    },
                );
                store.limiter(|b| b);
                let memory = Memory::from_shared_memory(&mut store, &shared)?;
                let instance = Instance::new(&mut store, &module, &[memory.into()])?;
                let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
                barrier.wait();
                let mut olds = Vec::new();
                loop {
                    match grow.call(&mut store, 1)? {
                        -1 => break,
                        old => olds.push(old as usize * PAGE),
                    }
                }
                assert_eq!(store.data().approved_from, olds, "thread {t}");
                assert!(
                    shared.size() as usize * PAGE >= max_bytes,
                    "refused only at its bound"
                );
                Ok(())
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked")?;
    }
    assert_eq!(shared.size(), 60, "the largest bound");
    Ok(())
}
