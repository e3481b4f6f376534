//! Compilation and runtime settings.

/// How hard Cranelift optimizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OptLevel {
    /// No optimization: fastest compile.
    None,
    /// Optimize for speed (the default).
    #[default]
    Speed,
    /// Optimize for speed and size.
    SpeedAndSize,
}

/// The default of [`Config::max_memory_reservation`]: 4 GiB.
const DEFAULT_MAX_MEMORY_RESERVATION: u64 = 1 << 32;

/// Settings for an [`Engine`](crate::Engine).
///
/// ```
/// let mut config = weft::Config::new();
/// config.wasm_threads(true).max_wasm_stack(512 * 1024);
/// let engine = weft::Engine::new(&config)?;
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) threads: bool,
    pub(crate) multi_memory: bool,
    pub(crate) simd: bool,
    pub(crate) opt_level: OptLevel,
    pub(crate) max_wasm_stack: usize,
    pub(crate) canonicalize_nans: bool,
    pub(crate) parallel_compilation: bool,
    pub(crate) verifier: bool,
    pub(crate) max_memory_reservation: u64,
    pub(crate) epoch_interruption: bool,
    pub(crate) consume_fuel: bool,
    pub(crate) bounds_check_fusion: bool,
    pub(crate) loop_versioning: bool,
    pub(crate) inlining: bool,
    pub(crate) memory_init_cow: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config::new()
    }
}

impl Config {
    /// The defaults: WebAssembly 2.0 (fixed-width SIMD included), threads off, speed
    /// optimization, 1 MiB of wasm stack, parallel compilation on, 4 GiB
    /// of address space per memory.
    pub fn new() -> Config {
        Config {
            threads: false,
            multi_memory: false,
            simd: true,
            opt_level: OptLevel::Speed,
            max_wasm_stack: 1 << 20,
            canonicalize_nans: false,
            parallel_compilation: true,
            // The verifier costs 25-35% of compile time: on where debug
            // assertions are, off in release builds.
            verifier: cfg!(debug_assertions),
            max_memory_reservation: DEFAULT_MAX_MEMORY_RESERVATION,
            epoch_interruption: false,
            consume_fuel: false,
            bounds_check_fusion: true,
            loop_versioning: true,
            inlining: true,
            memory_init_cow: true,
        }
    }

    /// Enables the threads proposal: shared memories, atomics,
    /// `memory.atomic.wait32/64` and `notify`.
    pub fn wasm_threads(&mut self, enable: bool) -> &mut Self {
        self.threads = enable;
        self
    }

    /// Compiles a check at every function entry and loop header that
    /// compares the engine's epoch ([`Engine::increment_epoch`](crate::Engine::increment_epoch))
    /// with the store's deadline ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline));
    /// the same check stops running code after
    /// [`InterruptHandle::interrupt`](crate::InterruptHandle::interrupt).
    /// As in wasmtime, a store's deadline starts already reached. Off by
    /// default; off, generated code has no check at all.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.epoch_interruption = enable;
        self
    }

    /// Makes wasm code consume fuel by the rule of `docs/interruption.md`
    /// (each straight-line segment costs its operator count, charged on
    /// entry) and trap with [`TrapCode::OutOfFuel`](crate::TrapCode::OutOfFuel)
    /// where less is left. A store starts with no fuel
    /// ([`Store::set_fuel`](crate::Store::set_fuel)). Off by default.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.consume_fuel = enable;
        self
    }

    /// Enables fixed-width 128-bit SIMD (`v128`), part of WebAssembly 2.0:
    /// on by default, as in wasmtime. Off, a module that uses `v128`
    /// anywhere fails validation ("SIMD support is not enabled"). Relaxed
    /// SIMD is a separate proposal and not supported.
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Self {
        self.simd = enable;
        self
    }

    /// Enables the multi-memory proposal.
    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Self {
        self.multi_memory = enable;
        self
    }

    /// Sets Cranelift's optimization level.
    pub fn cranelift_opt_level(&mut self, level: OptLevel) -> &mut Self {
        self.opt_level = level;
        self
    }

    /// The most stack, in bytes, that wasm code may use on one host call.
    ///
    /// Exceeding it traps with "call stack exhausted". weft also never lets
    /// wasm use stack the host thread does not have: the limit is clamped
    /// to the calling thread's remaining stack minus a reserve for host
    /// functions, so deep recursion traps instead of crashing the process.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// The most address space, in bytes, that one linear memory may
    /// reserve (rounded down to whole 64 KiB pages). Default: 4 GiB, the
    /// whole 32-bit index space, which never limits a wasm32 memory.
    ///
    /// Every memory reserves its maximum up front so that its base never
    /// moves (shared memories rely on that). This caps the reservation of
    /// every memory created under the engine: owned memories of instances
    /// and of [`Memory::new`](crate::Memory::new), and
    /// [`SharedMemory::new`](crate::SharedMemory::new).
    ///
    /// * A memory whose maximum (or, without one, the 4 GiB limit) is
    ///   beyond the cap reserves only the cap; growing past it fails:
    ///   `memory.grow` returns -1 in wasm, `grow` is an `Err` on the host.
    /// * A memory whose *minimum* is beyond the cap cannot be created:
    ///   instantiation, `Memory::new` and `SharedMemory::new` fail with an
    ///   error that names the cap.
    ///
    /// ```
    /// use weft::{Config, Engine, Memory, MemoryType, Store};
    /// let mut config = Config::new();
    /// config.max_memory_reservation(2 * 65536);
    /// let engine = Engine::new(&config)?;
    /// let mut store = Store::new(&engine, ());
    /// let memory = Memory::new(&mut store, MemoryType::new(1, Some(1000)))?;
    /// assert_eq!(memory.grow(&mut store, 1)?, 1);
    /// assert!(memory.grow(&mut store, 1).is_err()); // past the cap
    /// assert!(Memory::new(&mut store, MemoryType::new(3, None)).is_err());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn max_memory_reservation(&mut self, bytes: u64) -> &mut Self {
        self.max_memory_reservation = bytes;
        self
    }

    pub(crate) fn reservation_policy(&self) -> weft_core::memory::ReservationPolicy {
        weft_core::memory::ReservationPolicy {
            max_reserved_bytes: self.max_memory_reservation,
        }
    }

    /// Replaces every NaN produced by float arithmetic with the canonical
    /// NaN, making results deterministic.
    pub fn cranelift_nan_canonicalization(&mut self, enable: bool) -> &mut Self {
        self.canonicalize_nans = enable;
        self
    }

    /// Compiles a module's functions on several threads.
    pub fn parallel_compilation(&mut self, enable: bool) -> &mut Self {
        self.parallel_compilation = enable;
        self
    }

    /// Runs Cranelift's IR verifier on every function (slower compiles).
    pub fn cranelift_debug_verifier(&mut self, enable: bool) -> &mut Self {
        self.verifier = enable;
        self
    }

    /// Lets one bounds check cover several accesses: an access whose end
    /// an earlier passed check of the same index already covers is not
    /// checked again, and a check can be widened to cover later accesses
    /// off the same index when nothing observable happens in between
    /// (`docs/bounds-checks.md`). On by default; off, every access that is
    /// not provably in bounds is checked on its own. The program's
    /// behaviour, traps included, is the same either way: the switch exists
    /// so that tests and fuzzers can compare the two.
    pub fn bounds_check_fusion(&mut self, enable: bool) -> &mut Self {
        self.bounds_check_fusion = enable;
        self
    }

    /// Compiles loops whose accesses are affine in an induction variable
    /// twice: a copy without per-access bounds checks, entered when one
    /// check before the loop shows that every access it can make is in
    /// bounds, and the checked loop otherwise (`docs/bounds-checks.md`).
    /// On by default; the behaviour is the same either way.
    pub fn loop_versioning(&mut self, enable: bool) -> &mut Self {
        self.loop_versioning = enable;
        self
    }

    /// Inlines small leaf functions at their direct call sites within a
    /// module, so that their address arithmetic meets the caller's bounds
    /// checks (`docs/bounds-checks.md`). On by default; the behaviour,
    /// traps and their backtraces included, is the same either way, except
    /// that with [`Config::epoch_interruption`] an inlined leaf has no
    /// entry check of its own, so an interrupt is noticed at the caller's
    /// next check. With [`Config::consume_fuel`] nothing is inlined.
    pub fn inlining(&mut self, enable: bool) -> &mut Self {
        self.inlining = enable;
        self
    }

    /// Gives each defined memory whose data segments all sit at constant
    /// offsets inside its minimum a copy-on-write image, built once per
    /// module and mapped into every instance's memory instead of copying
    /// the segments (Linux; elsewhere, or when the image cannot be built,
    /// the segments are copied). On by default; the memory's contents are
    /// the same either way (`docs/jit.md`, "Copy-on-write memory images").
    pub fn memory_init_cow(&mut self, enable: bool) -> &mut Self {
        self.memory_init_cow = enable;
        self
    }

    pub(crate) fn features(&self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as F;
        let mut f = F::WASM2;
        f.set(F::SIMD, self.simd);
        f.set(F::THREADS, self.threads);
        f.set(F::MULTI_MEMORY, self.multi_memory);
        f
    }
}
