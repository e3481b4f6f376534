//! Loads `hello.wat`, links a host function that reads the instance's
//! memory, and calls two exports.
//!
//! Run with `cargo run -p weft --example hello`.

use weft::{Caller, Engine, Extern, Linker, Module, Store};

fn main() -> Result<(), weft::Error> {
    let engine = Engine::default();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hello.wat");
    let module = Module::from_file(&engine, path)?;

    let mut linker: Linker<Vec<String>> = Linker::new(&engine);
    linker.func_wrap(
        "host",
        "print",
        |mut caller: Caller<'_, Vec<String>>, ptr: i32, len: i32| -> weft::Result<()> {
            let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                return Err(weft::Error::from(weft::ErrorKind::Host(
                    "the caller exports no memory".into(),
                )));
            };
            let mut bytes = vec![0u8; len as usize];
            memory.read(&caller, ptr as usize, &mut bytes)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            println!("{text}");
            caller.data_mut().push(text);
            Ok(())
        },
    )?;

    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &module)?;
    instance
        .get_typed_func::<(), ()>(&store, "greet")?
        .call(&mut store, ())?;
    let sum = instance
        .get_typed_func::<i32, i64>(&store, "sum_to")?
        .call(&mut store, 100)?;
    println!("1 + 2 + ... + 100 = {sum}");
    assert_eq!(store.data().as_slice(), ["Hello from wasm!"]);
    Ok(())
}
