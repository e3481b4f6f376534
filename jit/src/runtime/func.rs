//! Functions: handles, calls from the host, host functions.
//!
//! A host function is a Rust closure behind a [`VMFuncRef`] whose code is
//! a monomorphized trampoline, [`host_trampoline`], with the same calling
//! convention as compiled wasm. Wasm therefore calls host and wasm
//! functions alike, and the trampoline is where host panics stop: it runs
//! the closure under `catch_unwind` and turns a panic into a trap, so
//! nothing ever unwinds through generated code.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use weft_core::vm::VMFuncRef;

use crate::error::{Error, Result};
use crate::runtime::instance::{Extern, InstanceData};
use crate::runtime::store::{
    AsContext, AsContextMut, ErasedBox, StoreContext, StoreContextMut, StoreInner, StoreOpaque,
};
use crate::runtime::values::{V128, Val};
use crate::trap::TrapCode;
use crate::types::{FuncType, ValType};

/// A function handle: wasm or host, belonging to one store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func {
    store_id: u64,
    index: u32,
}

type HostCallback<T> =
    dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static;

/// What a host function's `VMFuncRef` points at.
struct HostFuncState<T> {
    funcref: VMFuncRef,
    store: *mut StoreInner<T>,
    ty: Arc<FuncType>,
    callback: Arc<HostCallback<T>>,
}

impl Func {
    pub(crate) fn from_parts(store_id: u64, index: u32) -> Func {
        Func { store_id, index }
    }

    pub(crate) fn store_id(self) -> u64 {
        self.store_id
    }

    pub(crate) fn index(self) -> u32 {
        self.index
    }

    /// A host function of type `ty` that receives and returns [`Val`]s.
    ///
    /// The closure must fill `results` with values of the declared result
    /// types; returning `Err` traps the calling wasm code and the call that
    /// reached it returns that error.
    ///
    /// ```
    /// use weft::{Engine, Func, FuncType, Store, Val, ValType};
    /// let mut store = Store::new(&Engine::default(), ());
    /// let ty = FuncType::new([ValType::I32], [ValType::I32]);
    /// let double = Func::new(&mut store, ty, |_caller, params, results| {
    ///     results[0] = Val::I32(params[0].i32().unwrap_or(0) * 2);
    ///     Ok(())
    /// });
    /// let mut out = [Val::I32(0)];
    /// double.call(&mut store, &[Val::I32(21)], &mut out)?;
    /// assert_eq!(out[0], Val::I32(42));
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        callback: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let ctx = store.as_context_mut();
        let inner: *mut StoreInner<T> = ctx.0;
        let type_id = ctx.0.opaque.engine.type_id(&ty);
        let state = Box::new(HostFuncState {
            funcref: VMFuncRef {
                code: host_trampoline::<T> as *const u8,
                vmctx: std::ptr::null_mut(),
                type_id,
            },
            store: inner,
            ty: Arc::new(ty.clone()),
            callback: Arc::new(callback),
        });
        let raw = Box::into_raw(state);
        // SAFETY: `raw` is a fresh, valid box; the funcref's context is the
        // state itself, which the trampoline casts back.
        unsafe { (*raw).funcref.vmctx = raw.cast() };
        /// Frees a host function's state.
        ///
        /// # Safety
        /// `p` comes from `Box::into_raw` of a `HostFuncState<T>` and is not
        /// used afterwards.
        unsafe fn drop_state<T>(p: *mut u8) {
            // SAFETY: `p` came from `Box::into_raw` of this type (caller).
            drop(unsafe { Box::from_raw(p.cast::<HostFuncState<T>>()) });
        }
        let opaque = &mut ctx.0.opaque;
        opaque.push_host_state(ErasedBox {
            ptr: raw.cast(),
            drop: drop_state::<T>,
        });
        // SAFETY: `raw` is valid until the store drops `host_state`.
        let funcref = unsafe { &raw const (*raw).funcref };
        opaque.push_func(funcref, ty)
    }

    /// A host function from a closure with typed parameters and results.
    ///
    /// ```
    /// use weft::{Caller, Engine, Func, Store};
    /// let mut store = Store::new(&Engine::default(), 10i32);
    /// let add = Func::wrap(&mut store, |caller: Caller<'_, i32>, x: i32| x + *caller.data());
    /// let typed = add.typed::<i32, i32>(&store)?;
    /// assert_eq!(typed.call(&mut store, 5)?, 15);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn wrap<T: 'static, Params, Results>(
        store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, callback) = f.into_callback();
        Func::new(store, ty, callback)
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> Result<FuncType> {
        Ok(store.as_context().0.opaque.func_data(*self)?.ty.clone())
    }

    /// Calls the function with `params`, writing `results`.
    ///
    /// Argument count and types are checked; a trap comes back as an
    /// [`Error`] whose [`Error::as_trap`] says which.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let ctx = store.as_context_mut();
        let opaque: *mut StoreOpaque = &mut ctx.0.opaque;
        // SAFETY: `opaque` comes from the exclusive borrow above, used only
        // through this pointer until the call returns.
        let store = unsafe { &mut *opaque };
        let data = store.func_data(*self)?;
        let ty = data.ty.clone();
        let funcref = data.funcref;
        if params.len() != ty.params().len() {
            return Err(Error::usage(format!(
                "expected {} arguments, got {}",
                ty.params().len(),
                params.len()
            )));
        }
        if results.len() != ty.results().len() {
            return Err(Error::usage(format!(
                "expected {} results, got room for {}",
                ty.results().len(),
                results.len()
            )));
        }
        let mut values = vec![0u128; ty.value_slots()];
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            if p.ty() != *t {
                return Err(Error::usage(format!(
                    "argument {i} is {}, expected {t}",
                    p.ty()
                )));
            }
            values[i] = p.to_slot(store)?;
        }
        // SAFETY: `funcref` is this store's; `values` holds the typed
        // arguments in `value_slots()` slots.
        unsafe { StoreOpaque::invoke(opaque, funcref, &mut values)? };
        // SAFETY: the call returned; the store is ours again.
        let store = unsafe { &*opaque };
        for (i, t) in ty.results().iter().enumerate() {
            results[i] = Val::from_slot(store, *t, values[i])?;
        }
        Ok(())
    }

    /// A typed view of the function, after checking its type.
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<Params, Results>> {
        let ty = self.ty(&store)?;
        if !Params::matches(ty.params()) || !Results::matches(ty.results()) {
            return Err(Error::usage(format!(
                "function has type {ty}, which does not match the requested typed signature"
            )));
        }
        Ok(TypedFunc {
            func: *self,
            _marker: std::marker::PhantomData,
        })
    }
}

/// The calling-convention entry of every host function.
///
/// # Safety
/// Called only by generated code or `StoreOpaque::invoke`, through a
/// `VMFuncRef` made by `Func::new`: `callee_vmctx` is its
/// `HostFuncState<T>`, `values` holds the parameters, and the store is not
/// otherwise in use during the call.
unsafe extern "C" fn host_trampoline<T: 'static>(
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut u128,
) -> u32 {
    let state = callee_vmctx.cast::<HostFuncState<T>>().cast_const();
    // SAFETY: per the function's contract `state` is a live
    // `HostFuncState<T>`; we copy out what we need and drop the borrow
    // before touching the store.
    let (store_ptr, ty, callback) = unsafe {
        (
            (*state).store,
            Arc::clone(&(*state).ty),
            Arc::clone(&(*state).callback),
        )
    };
    // SAFETY: `values` has `value_slots()` slots for this signature.
    let slots = unsafe { std::slice::from_raw_parts_mut(values, ty.value_slots()) };
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
        // SAFETY: the store outlives its functions and is exclusively ours
        // for the duration of the call (contract).
        let store = unsafe { &mut *store_ptr };
        let mut params = Vec::with_capacity(ty.params().len());
        for (i, t) in ty.params().iter().enumerate() {
            params.push(Val::from_slot(&store.opaque, *t, slots[i])?);
        }
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        callback(
            Caller {
                store: StoreContextMut(&mut *store),
                caller_vmctx,
            },
            &params,
            &mut results,
        )?;
        for (i, (r, t)) in results.iter().zip(ty.results()).enumerate() {
            if r.ty() != *t {
                return Err(Error::usage(format!(
                    "host function returned {} for result {i}, expected {t}",
                    r.ty()
                )));
            }
            slots[i] = r.to_slot(&store.opaque)?;
        }
        Ok(())
    }));
    let error = match outcome {
        Ok(Ok(())) => return 0,
        Ok(Err(e)) => e,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a host function panicked".to_owned());
            Error::from(crate::error::ErrorKind::Host(message))
        }
    };
    // SAFETY: as above; the closure's borrow of the store has ended.
    let store = unsafe { &mut *store_ptr };
    store.opaque.pending_error = Some(error);
    TrapCode::HostError.as_u32()
}

/// What a host function sees of its caller: the store's data and the
/// calling instance's exports.
pub struct Caller<'a, T> {
    store: StoreContextMut<'a, T>,
    caller_vmctx: *mut u8,
}

impl<T> Caller<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.store.0.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.0.data
    }

    /// An export of the calling instance (`None` if called from the host
    /// or if there is no such export).
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        if self.caller_vmctx.is_null() {
            return None;
        }
        let store = &self.store.0.opaque;
        store
            .instance_by_vmctx(self.caller_vmctx)
            .and_then(|i: &InstanceData| i.export(name))
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store.0)
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store.0)
    }
}

/// A Rust type that is a wasm value type.
pub trait WasmTy: Sized + Send + 'static {
    /// Its wasm type.
    fn valtype() -> ValType;
    /// Converts to a [`Val`].
    fn into_val(self) -> Val;
    /// Converts from a [`Val`] of the right type.
    fn from_val(v: Val) -> Option<Self>;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, $to:expr, $from:expr;)*) => {$(
        impl WasmTy for $t {
            fn valtype() -> ValType { ValType::$vt }
            fn into_val(self) -> Val { ($to)(self) }
            fn from_val(v: Val) -> Option<Self> { ($from)(v) }
        }
    )*};
}

wasm_ty! {
    i32 => I32, Val::I32, |v: Val| v.i32();
    u32 => I32, |x: u32| Val::I32(x as i32), |v: Val| v.i32().map(|x| x as u32);
    i64 => I64, Val::I64, |v: Val| v.i64();
    u64 => I64, |x: u64| Val::I64(x as i64), |v: Val| v.i64().map(|x| x as u64);
    f32 => F32, |x: f32| Val::F32(x.to_bits()), |v: Val| v.f32();
    f64 => F64, |x: f64| Val::F64(x.to_bits()), |v: Val| v.f64();
    V128 => V128, Val::V128, |v: Val| v.v128();
}

/// Parameter lists of typed functions: `()`, a single [`WasmTy`], or a
/// tuple of them.
pub trait WasmParams: Send + 'static {
    /// Whether `tys` is this list.
    fn matches(tys: &[ValType]) -> bool;
    /// The types.
    fn valtypes() -> Vec<ValType>;
    /// The values.
    fn into_vals(self) -> Vec<Val>;
}

/// Result lists of typed functions; same shapes as [`WasmParams`].
pub trait WasmResults: Sized + Send + 'static {
    /// Whether `tys` is this list.
    fn matches(tys: &[ValType]) -> bool;
    /// The types.
    fn valtypes() -> Vec<ValType>;
    /// Rebuilds the list from values of the right types.
    fn from_vals(vals: &[Val]) -> Option<Self>;
}

impl<A: WasmTy> WasmParams for A {
    fn matches(tys: &[ValType]) -> bool {
        tys == [A::valtype()]
    }
    fn valtypes() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
}

impl<A: WasmTy> WasmResults for A {
    fn matches(tys: &[ValType]) -> bool {
        tys == [A::valtype()]
    }
    fn valtypes() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn from_vals(vals: &[Val]) -> Option<Self> {
        A::from_val(*vals.first()?)
    }
}

macro_rules! tuples {
    ($(($($n:ident),*);)*) => {$(
        #[allow(non_snake_case, reason = "type parameters double as bindings")]
        impl<$($n: WasmTy),*> WasmParams for ($($n,)*) {
            fn matches(tys: &[ValType]) -> bool {
                tys == <Self as WasmParams>::valtypes().as_slice()
            }
            fn valtypes() -> Vec<ValType> {
                vec![$($n::valtype()),*]
            }
            fn into_vals(self) -> Vec<Val> {
                let ($($n,)*) = self;
                vec![$($n.into_val()),*]
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut, reason = "generated for every arity")]
        impl<$($n: WasmTy),*> WasmResults for ($($n,)*) {
            fn matches(tys: &[ValType]) -> bool {
                tys == <Self as WasmResults>::valtypes().as_slice()
            }
            fn valtypes() -> Vec<ValType> {
                vec![$($n::valtype()),*]
            }
            fn from_vals(vals: &[Val]) -> Option<Self> {
                let mut it = vals.iter();
                let r = ($($n::from_val(*it.next()?)?,)*);
                Some(r)
            }
        }
    )*};
}

tuples! {
    ();
    (A1, A2);
    (A1, A2, A3);
    (A1, A2, A3, A4);
    (A1, A2, A3, A4, A5);
    (A1, A2, A3, A4, A5, A6);
}

/// A function handle with its signature checked once, called with Rust
/// values.
pub struct TypedFunc<Params, Results> {
    func: Func,
    _marker: std::marker::PhantomData<fn(Params) -> Results>,
}

impl<Params, Results> Clone for TypedFunc<Params, Results> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Params, Results> Copy for TypedFunc<Params, Results> {}

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    /// Calls the function.
    pub fn call(&self, store: impl AsContextMut, params: Params) -> Result<Results> {
        let params = params.into_vals();
        let mut results: Vec<Val> = Results::valtypes()
            .into_iter()
            .map(Val::default_for)
            .collect();
        self.func.call(store, &params, &mut results)?;
        Results::from_vals(&results)
            .ok_or_else(|| Error::usage("result types changed under a typed function (weft bug)"))
    }

    /// The untyped handle.
    pub fn func(&self) -> Func {
        self.func
    }
}

/// What a typed host function may return: a value list, or a `Result` of
/// one.
pub trait HostResults: Send + 'static {
    /// The result types.
    fn valtypes() -> Vec<ValType>;
    /// Writes the results.
    fn write(self, out: &mut [Val]) -> Result<()>;
}

impl<R: WasmResultsInto> HostResults for R {
    fn valtypes() -> Vec<ValType> {
        R::types()
    }
    fn write(self, out: &mut [Val]) -> Result<()> {
        self.write_vals(out);
        Ok(())
    }
}

impl<R: WasmResultsInto> HostResults for Result<R> {
    fn valtypes() -> Vec<ValType> {
        R::types()
    }
    fn write(self, out: &mut [Val]) -> Result<()> {
        self?.write_vals(out);
        Ok(())
    }
}

/// Value lists a host function can return.
pub trait WasmResultsInto: Send + 'static {
    /// The types.
    fn types() -> Vec<ValType>;
    /// Writes the values.
    fn write_vals(self, out: &mut [Val]);
}

impl<A: WasmTy> WasmResultsInto for A {
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn write_vals(self, out: &mut [Val]) {
        out[0] = self.into_val();
    }
}

macro_rules! results_into {
    ($(($($n:ident),*);)*) => {$(
        #[allow(non_snake_case, unused_variables, unused_mut, reason = "generated for every arity")]
        impl<$($n: WasmTy),*> WasmResultsInto for ($($n,)*) {
            fn types() -> Vec<ValType> {
                vec![$($n::valtype()),*]
            }
            fn write_vals(self, out: &mut [Val]) {
                let ($($n,)*) = self;
                let mut i = 0;
                $( out[i] = $n.into_val(); i += 1; )*
                let _ = i;
            }
        }
    )*};
}

results_into! {
    ();
    (A1, A2);
    (A1, A2, A3);
    (A1, A2, A3, A4);
}

/// A host function in dynamic form: what every typed closure becomes.
pub type DynHostFn<T> = Box<dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync>;

/// Closures usable with [`Func::wrap`]: `Fn(Caller<T>, A1, ..., An) -> R`.
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// The signature and the dynamic callback.
    #[doc(hidden)]
    fn into_callback(self) -> (FuncType, DynHostFn<T>);
}

macro_rules! into_func {
    ($(($($n:ident),*);)*) => {$(
        #[allow(non_snake_case, unused_variables, unused_mut, reason = "generated for every arity")]
        impl<T: 'static, F, R, $($n: WasmTy),*> IntoFunc<T, ($($n,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($n),*) -> R + Send + Sync + 'static,
            R: HostResults,
        {
            fn into_callback(self) -> (FuncType, DynHostFn<T>) {
                let ty = FuncType::new(vec![$($n::valtype()),*], R::valtypes());
                let cb = move |caller: Caller<'_, T>, params: &[Val], results: &mut [Val]| {
                    let mut it = params.iter();
                    $(
                        let $n = it
                            .next()
                            .and_then(|v| $n::from_val(*v))
                            .ok_or_else(|| Error::usage("host function argument of the wrong type"))?;
                    )*
                    (self)(caller, $($n),*).write(results)
                };
                (ty, Box::new(cb))
            }
        }
    )*};
}

into_func! {
    ();
    (A1);
    (A1, A2);
    (A1, A2, A3);
    (A1, A2, A3, A4);
    (A1, A2, A3, A4, A5);
}
