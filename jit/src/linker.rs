//! Resolving imports by module and field name.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::module::Module;
use crate::runtime::func::{Caller, Func, IntoFunc};
use crate::runtime::instance::{Extern, Instance};
use crate::runtime::store::AsContextMut;
use crate::runtime::values::Val;
use crate::types::FuncType;

type HostFn<T> = dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync;

enum Definition<T> {
    Extern(Extern),
    /// A host function not yet tied to a store: made into a [`Func`] in
    /// the store of each instantiation.
    Host(FuncType, Arc<HostFn<T>>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(e.clone()),
            Definition::Host(ty, f) => Definition::Host(ty.clone(), Arc::clone(f)),
        }
    }
}

/// Named definitions that instantiation looks imports up in.
///
/// ```
/// use weft::{Caller, Engine, Linker, Module, Store};
/// let engine = Engine::default();
/// let mut linker = Linker::new(&engine);
/// linker.func_wrap("env", "twice", |_: Caller<'_, ()>, x: i32| x * 2)?;
/// let module = Module::new(&engine, r#"
///     (module (import "env" "twice" (func $t (param i32) (result i32)))
///             (func (export "f") (result i32) i32.const 21 call $t))"#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = linker.instantiate(&mut store, &module)?;
/// let f = instance.get_typed_func::<(), i32>(&mut store, "f")?;
/// assert_eq!(f.call(&mut store, ())?, 42);
/// # Ok::<(), weft::Error>(())
/// ```
pub struct Linker<T> {
    engine: Engine,
    definitions: HashMap<(String, String), Definition<T>>,
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            definitions: HashMap::new(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Defines `module::name` (replacing any earlier definition).
    pub fn define(
        &mut self,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        self.definitions.insert(
            (module.to_owned(), name.to_owned()),
            Definition::Extern(item.into()),
        );
        Ok(self)
    }

    /// Defines a host function taking and returning [`Val`]s.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        self.definitions.insert(
            (module.to_owned(), name.to_owned()),
            Definition::Host(ty, Arc::new(f)),
        );
        Ok(self)
    }

    /// Defines a host function from a typed closure.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, callback) = f.into_callback();
        self.definitions.insert(
            (module.to_owned(), name.to_owned()),
            Definition::Host(ty, Arc::from(callback)),
        );
        Ok(self)
    }

    /// Defines every export of `instance` under `module`.
    pub fn instance(
        &mut self,
        store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        for (name, ext) in instance.exports(&store) {
            self.define(module, &name, ext)?;
        }
        Ok(self)
    }

    /// The definition of `module::name` as an [`Extern`] of `store`.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        match self
            .definitions
            .get(&(module.to_owned(), name.to_owned()))?
        {
            Definition::Extern(e) => Some(e.clone()),
            Definition::Host(ty, f) => {
                let f = Arc::clone(f);
                Some(Extern::Func(Func::new(
                    &mut store,
                    ty.clone(),
                    move |caller, params, results| f(caller, params, results),
                )))
            }
        }
    }

    /// Instantiates `module`, resolving each import by name.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let mut imports = Vec::with_capacity(module.imports().len());
        for (m, n, _) in module.imports() {
            let ext = self
                .get(&mut store, m, n)
                .ok_or_else(|| Error::link(format!("unknown import: `{m}::{n}` is not defined")))?;
            imports.push(ext);
        }
        Instance::new(store, module, &imports)
    }
}
