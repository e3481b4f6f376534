;; Atomic accesses that could trap for more than one reason, one assertion
;; per pair (and the triple) of reasons, on an unshared and on a shared
;; memory. Both engines must report the reason the threads proposal's
;; execution steps reach first.
;;
;; The order, from the proposal's `exec/instructions.rst`:
;; - loads, stores, read-modify-writes, cmpxchg and `memory.atomic.notify`:
;;   the effective address's alignment ("If ea modulo N/8 is not equal to 0,
;;   then trap"), then bounds;
;; - `memory.atomic.wait32/64`: alignment (step 9), then "If mem.type is
;;   limits unshared, then trap" (step 14), and bounds only against a shared
;;   memory's length (step 15b). So on an unshared memory an unaligned wait
;;   traps `unaligned atomic`, and an aligned but out-of-bounds one traps
;;   `expected shared memory`.
;;
;; Each memory has one page (65536 bytes): 65536 is out of bounds and
;; aligned for every width, 65533 out of bounds for width 4 and 8 and
;; unaligned for both, 65535 out of bounds and unaligned for width 2.

(module $unshared
  (memory 1 1)
  (func (export "wait32") (param i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const 0)))
  (func (export "wait64") (param i32) (result i32)
    (memory.atomic.wait64 (local.get 0) (i64.const 0) (i64.const 0)))
  (func (export "wait32_offset") (param i32) (result i32)
    (memory.atomic.wait32 offset=65535 (local.get 0) (i32.const 0) (i64.const 0)))
  (func (export "notify") (param i32) (result i32)
    (memory.atomic.notify (local.get 0) (i32.const 1)))
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
  (func (export "load16") (param i32) (result i32) (i32.atomic.load16_u (local.get 0)))
  (func (export "store32") (param i32) (i32.atomic.store (local.get 0) (i32.const 1)))
  (func (export "store64") (param i32) (i64.atomic.store (local.get 0) (i64.const 1)))
  (func (export "rmw32") (param i32) (result i32)
    (i32.atomic.rmw.add (local.get 0) (i32.const 1)))
  (func (export "rmw64") (param i32) (result i64)
    (i64.atomic.rmw.xchg (local.get 0) (i64.const 1)))
  (func (export "rmw16") (param i32) (result i32)
    (i32.atomic.rmw16.or_u (local.get 0) (i32.const 1)))
  (func (export "cmpxchg32") (param i32) (result i32)
    (i32.atomic.rmw.cmpxchg (local.get 0) (i32.const 0) (i32.const 1)))
  (func (export "cmpxchg64") (param i32) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get 0) (i64.const 0) (i64.const 1))))

;; wait: unaligned vs unshared -> unaligned.
(assert_trap (invoke $unshared "wait32" (i32.const 1)) "unaligned atomic")
(assert_trap (invoke $unshared "wait32" (i32.const 2)) "unaligned atomic")
(assert_trap (invoke $unshared "wait64" (i32.const 4)) "unaligned atomic")
;; wait: unshared vs out of bounds -> unshared (bounds are checked only
;; against a shared memory).
(assert_trap (invoke $unshared "wait32" (i32.const 65536)) "expected shared memory")
(assert_trap (invoke $unshared "wait64" (i32.const 65536)) "expected shared memory")
(assert_trap (invoke $unshared "wait32" (i32.const -4)) "expected shared memory")
;; wait: unaligned vs unshared vs out of bounds -> unaligned.
(assert_trap (invoke $unshared "wait32" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "wait64" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "wait64" (i32.const -1)) "unaligned atomic")
;; The effective address is what is aligned: offset 65535 + 1 = 65536.
(assert_trap (invoke $unshared "wait32_offset" (i32.const 1)) "expected shared memory")
(assert_trap (invoke $unshared "wait32_offset" (i32.const 0)) "unaligned atomic")
;; wait: in bounds and aligned -> unshared.
(assert_trap (invoke $unshared "wait32" (i32.const 0)) "expected shared memory")

;; notify on an unshared memory: unaligned vs out of bounds -> unaligned;
;; aligned and in bounds wakes nobody.
(assert_trap (invoke $unshared "notify" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "notify" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke $unshared "notify" (i32.const 2)) "unaligned atomic")
(assert_return (invoke $unshared "notify" (i32.const 0)) (i32.const 0))

;; Accesses on an unshared memory: unaligned vs out of bounds -> unaligned.
(assert_trap (invoke $unshared "load32" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "load64" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "load16" (i32.const 65535)) "unaligned atomic")
(assert_trap (invoke $unshared "store32" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "store64" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "rmw32" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "rmw64" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "rmw16" (i32.const 65535)) "unaligned atomic")
(assert_trap (invoke $unshared "cmpxchg32" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $unshared "cmpxchg64" (i32.const 65533)) "unaligned atomic")
;; ... and each reason alone.
(assert_trap (invoke $unshared "load64" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke $unshared "store32" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke $unshared "rmw16" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke $unshared "cmpxchg64" (i32.const 4)) "unaligned atomic")
;; Nothing was written by the trapping accesses.
(assert_return (invoke $unshared "load64" (i32.const 65528)) (i64.const 0))

(module $shared
  (memory 1 1 shared)
  (func (export "wait32") (param i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (i32.const 1) (i64.const 0)))
  (func (export "wait64") (param i32) (result i32)
    (memory.atomic.wait64 (local.get 0) (i64.const 1) (i64.const 0)))
  (func (export "notify") (param i32) (result i32)
    (memory.atomic.notify (local.get 0) (i32.const 1)))
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "store64") (param i32) (i64.atomic.store (local.get 0) (i64.const 1)))
  (func (export "rmw16") (param i32) (result i32)
    (i32.atomic.rmw16.sub_u (local.get 0) (i32.const 1)))
  (func (export "cmpxchg32") (param i32) (result i32)
    (i32.atomic.rmw.cmpxchg (local.get 0) (i32.const 0) (i32.const 1))))

;; A shared memory: unaligned vs out of bounds -> unaligned, for every kind.
(assert_trap (invoke $shared "wait32" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $shared "wait64" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $shared "wait64" (i32.const 65532)) "unaligned atomic")
(assert_trap (invoke $shared "notify" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $shared "load32" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $shared "store64" (i32.const 65533)) "unaligned atomic")
(assert_trap (invoke $shared "rmw16" (i32.const 65535)) "unaligned atomic")
(assert_trap (invoke $shared "cmpxchg32" (i32.const 65533)) "unaligned atomic")
;; ... and out of bounds alone.
(assert_trap (invoke $shared "wait32" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke $shared "wait64" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke $shared "notify" (i32.const 65536)) "out of bounds memory access")
;; In bounds, aligned, not equal: no trap, "not-equal".
(assert_return (invoke $shared "wait32" (i32.const 0)) (i32.const 1))
(assert_return (invoke $shared "wait64" (i32.const 8)) (i32.const 1))

;; Effective addresses past 2^32 (a 32-bit address plus a large offset):
;; alignment is judged on the whole effective address, before bounds.
(module $wide
  (memory 1 1)
  (func (export "load32") (param i32) (result i32)
    (i32.atomic.load offset=0xffffffff (local.get 0)))
  (func (export "rmw64") (param i32) (result i64)
    (i64.atomic.rmw.add offset=0xfffffff8 (local.get 0) (i64.const 1)))
  (func (export "wait32") (param i32) (result i32)
    (memory.atomic.wait32 offset=0xffffffff (local.get 0) (i32.const 0) (i64.const 0))))

(assert_trap (invoke $wide "load32" (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke $wide "load32" (i32.const 2)) "unaligned atomic")
(assert_trap (invoke $wide "rmw64" (i32.const 8)) "out of bounds memory access")
(assert_trap (invoke $wide "rmw64" (i32.const 4)) "unaligned atomic")
(assert_trap (invoke $wide "wait32" (i32.const 1)) "expected shared memory")
(assert_trap (invoke $wide "wait32" (i32.const 3)) "unaligned atomic")

(module $wide_shared
  (memory 1 1 shared)
  (func (export "wait32") (param i32) (result i32)
    (memory.atomic.wait32 offset=0xffffffff (local.get 0) (i32.const 0) (i64.const 0)))
  (func (export "notify") (param i32) (result i32)
    (memory.atomic.notify offset=0xffffffff (local.get 0) (i32.const 1))))

(assert_trap (invoke $wide_shared "wait32" (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke $wide_shared "wait32" (i32.const 3)) "unaligned atomic")
(assert_trap (invoke $wide_shared "notify" (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke $wide_shared "notify" (i32.const 2)) "unaligned atomic")
