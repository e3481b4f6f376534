//! How much stack wasm may use on this thread.
//!
//! Generated code compares its stack pointer with a limit at every function
//! entry. The limit is set when the host first calls into wasm on a thread:
//! `max_wasm_stack` below the current stack pointer, but never closer than
//! [`HOST_RESERVE`] to the bottom of the thread's actual stack, so that deep
//! recursion traps with "call stack exhausted" before it can touch the
//! guard page, and host functions called from wasm still have room to run.
//!
//! The check runs after a function's prologue has moved the stack pointer
//! down by the whole frame, so a function whose stack pointer was just above
//! the limit ends up one frame below it. A wasm function with tens of
//! thousands of live locals can have a frame larger than the reserve; so the
//! floor under the limit also leaves room for the largest frame of any
//! module instantiated in the store (`Module::max_frame_bytes`, measured by
//! Cranelift when compiling: the largest body frame plus the largest
//! array-entry frame). Between a body that passed its check and the next
//! check there is at most an array entry (which has no check of its own)
//! and one body's frame, so the stack pointer is at most those two frames
//! (plus return addresses) below the limit, which stays [`HOST_RESERVE`]
//! above the guard page.

/// Stack kept free below the limit for host functions, builtins and the
/// frames of the function that detects exhaustion.
pub(crate) const HOST_RESERVE: usize = 256 * 1024;

/// The lowest usable address of the current thread's stack, if the OS
/// says; looked up once per thread.
///
/// Every outermost host-to-wasm call needs it, and on the main thread
/// glibc's `pthread_getattr_np` finds the stack by reading and parsing
/// `/proc/self/maps`: 0.1-0.2 ms per call in a process with many mappings
/// (the bench's, with two runtimes' code and reservations), which was most
/// of what `sieve` and `strided_copy` lost to wasmtime per call. A thread's
/// stack does not move while it runs, so the first answer stays right. (On
/// the main thread glibc derives the bottom from `RLIMIT_STACK` at the time
/// of the query; a program that lowers that limit later, while wasm runs,
/// would keep the older, lower bottom.)
fn thread_stack_low() -> Option<usize> {
    thread_local! {
        static STACK_LOW: std::cell::Cell<Option<Option<usize>>> =
            const { std::cell::Cell::new(None) };
    }
    STACK_LOW.with(|cached| {
        cached.get().unwrap_or_else(|| {
            let low = query_thread_stack_low();
            cached.set(Some(low));
            low
        })
    })
}

/// Asks the OS where the current thread's stack ends.
#[cfg(target_os = "linux")]
fn query_thread_stack_low() -> Option<usize> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `pthread_self` is always valid; `attr` is written by
    // `pthread_getattr_np` before we read it, and destroyed once.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        ok.then_some(addr as usize)
    }
}

#[cfg(not(target_os = "linux"))]
fn query_thread_stack_low() -> Option<usize> {
    None
}

/// The lowest limit this thread's stack allows when no frame is larger than
/// `max_frame_bytes`; `None` when the OS does not say where the stack ends.
pub(crate) fn floor(max_frame_bytes: usize) -> Option<usize> {
    thread_stack_low().map(|low| {
        low.saturating_add(HOST_RESERVE)
            .saturating_add(max_frame_bytes)
    })
}

/// The stack limit for a host-to-wasm call starting here, for code whose
/// frames are at most `max_frame_bytes`.
pub(crate) fn limit_for_entry(max_wasm_stack: usize, max_frame_bytes: usize) -> usize {
    let sp = stack_pointer();
    let wanted = sp.saturating_sub(max_wasm_stack);
    match floor(max_frame_bytes) {
        Some(floor) => wanted.max(floor),
        // Without the bounds, trust the configuration (documented on
        // `Config::max_wasm_stack`).
        None => wanted,
    }
}

/// The current stack pointer, as generated code will compare it.
///
/// Not the address of a local: AddressSanitizer's
/// `detect_stack_use_after_return` moves locals to a heap "fake stack", and a
/// limit derived from one can lie above the real stack, so that the first
/// wasm call traps `call stack exhausted` (found by the `differential_threads`
/// fuzzer; `fuzz/regressions/differential_threads/`).
#[inline(always)]
fn stack_pointer() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let sp: usize;
        // SAFETY: copies `rsp` into a register; it touches no memory and
        // leaves the stack and the flags as they were.
        unsafe {
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags));
        }
        sp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let sp: usize;
        // SAFETY: copies `sp` into a register; it touches no memory and
        // leaves the stack and the flags as they were.
        unsafe {
            std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
        }
        sp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        // Elsewhere a local's address is the best estimate there is.
        let marker = 0u8;
        std::hint::black_box(std::ptr::from_ref(&marker)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_pointer_is_within_this_threads_stack() {
        let marker = 0u8;
        let local = std::ptr::from_ref(&marker) as usize;
        let sp = stack_pointer();
        // Below this frame's locals, and not far below them.
        assert!(
            sp <= local && local - sp < 64 * 1024,
            "sp {sp:#x}, local {local:#x}"
        );
        if let Some(low) = thread_stack_low() {
            assert!(sp > low);
        }
    }

    #[test]
    fn limit_is_below_the_current_frame_and_above_the_stack_bottom() {
        let marker = 0u8;
        let sp = std::ptr::from_ref(&marker) as usize;
        let limit = limit_for_entry(1 << 20, 0);
        assert!(limit < sp);
        if let Some(low) = thread_stack_low() {
            assert!(limit >= low + HOST_RESERVE);
        }
    }

    #[test]
    fn each_thread_remembers_its_own_stack() {
        let here = thread_stack_low().expect("linux reports thread stacks");
        assert_eq!(query_thread_stack_low(), Some(here));
        assert_eq!(thread_stack_low(), Some(here), "the cached answer");
        let (there, queried) =
            std::thread::spawn(|| (thread_stack_low(), query_thread_stack_low()))
                .join()
                .expect("the thread runs");
        assert_eq!(there, queried);
        assert_ne!(there, Some(here), "another thread has another stack");
    }

    #[test]
    fn a_huge_request_is_clamped_to_the_thread_stack() {
        let low = thread_stack_low().expect("linux reports thread stacks");
        assert_eq!(limit_for_entry(usize::MAX, 0), low + HOST_RESERVE);
    }

    #[test]
    fn the_largest_frame_raises_the_floor() {
        let low = thread_stack_low().expect("linux reports thread stacks");
        let frame = 300 * 1024;
        assert_eq!(
            limit_for_entry(usize::MAX, frame),
            low + HOST_RESERVE + frame
        );
        assert_eq!(floor(frame), Some(low + HOST_RESERVE + frame));
    }
}
