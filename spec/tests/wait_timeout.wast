;; Return values of `memory.atomic.wait32/64` — 0 "ok", 1 "not-equal",
;; 2 "timed-out" — and their traps.

(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "store64") (param i32 i64) (i64.atomic.store (local.get 0) (local.get 1)))
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  ;; Spins until the sleeper at `flag` has announced itself, then notifies
  ;; `addr` until one waiter was woken or the sleeper is done (which only
  ;; happens if its wait ended some other way, a failure checked below).
  (func (export "wake") (param $flag i32) (param $addr i32)
    (loop $spin
      (br_if $spin (i32.eqz (i32.atomic.load (local.get $flag)))))
    (block $done
      (loop $retry
        (br_if $done (i32.eq (memory.atomic.notify (local.get $addr) (i32.const 1))
                             (i32.const 1)))
        (br_if $done (i32.eq (i32.atomic.load (local.get $flag)) (i32.const 2)))
        (br $retry)))))

;; Not-equal: the value differs, whatever the timeout.
(assert_return (invoke "wait32" (i32.const 0) (i32.const 1) (i64.const 0)) (i32.const 1))
(assert_return (invoke "wait32" (i32.const 0) (i32.const 1) (i64.const -1)) (i32.const 1))
(assert_return (invoke "wait64" (i32.const 8) (i64.const 1) (i64.const -1)) (i32.const 1))

;; Timed out: the value matches and nobody notifies.
(assert_return (invoke "wait32" (i32.const 0) (i32.const 0) (i64.const 0)) (i32.const 2))
(assert_return (invoke "wait32" (i32.const 0) (i32.const 0) (i64.const 1000000)) (i32.const 2))
(assert_return (invoke "wait64" (i32.const 8) (i64.const 0) (i64.const 0)) (i32.const 2))
(assert_return (invoke "wait64" (i32.const 8) (i64.const 0) (i64.const 1000000)) (i32.const 2))

;; wait64 compares all 64 bits; wait32 only its own 32.
(invoke "store64" (i32.const 16) (i64.const 0x1_0000_0000))
(assert_return (invoke "wait64" (i32.const 16) (i64.const 0) (i64.const 0)) (i32.const 1))
(assert_return (invoke "wait64" (i32.const 16) (i64.const 0x1_0000_0000) (i64.const 0)) (i32.const 2))
(assert_return (invoke "wait32" (i32.const 16) (i32.const 0) (i64.const 0)) (i32.const 2))
(assert_return (invoke "wait32" (i32.const 20) (i32.const 1) (i64.const 0)) (i32.const 2))

;; Notify with nobody waiting wakes nobody.
(assert_return (invoke "notify" (i32.const 0) (i32.const 1)) (i32.const 0))
(assert_return (invoke "notify" (i32.const 0) (i32.const -1)) (i32.const 0))

;; Traps: misaligned and out-of-bounds addresses.
(assert_trap (invoke "wait32" (i32.const 2) (i32.const 0) (i64.const 0)) "unaligned atomic")
(assert_trap (invoke "wait64" (i32.const 4) (i64.const 0) (i64.const 0)) "unaligned atomic")
(assert_trap (invoke "notify" (i32.const 1) (i32.const 1)) "unaligned atomic")
(assert_trap (invoke "wait32" (i32.const 65536) (i32.const 0) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "wait64" (i32.const 65536) (i64.const 0) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "notify" (i32.const 65536) (i32.const 1)) "out of bounds memory access")

;; Ok: a sleeper with a long (10 s) timeout, woken by notify. Its wait word
;; never changes, so only the notify ends the wait early. Flags at 100
;; (wait32) and 112 (wait64): 1 = about to wait, 2 = done; wait words at 104
;; and 120; results at 32 and 36.
(register "mem" $Mem)
(thread $Sleeper32 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 100) (i32.const 1))
      (i32.atomic.store (i32.const 32)
        (memory.atomic.wait32 (i32.const 104) (i32.const 0) (i64.const 10000000000)))
      (i32.atomic.store (i32.const 100) (i32.const 2))))
  (invoke "run"))
(invoke "wake" (i32.const 100) (i32.const 104))
(wait $Sleeper32)
(assert_return (invoke "load32" (i32.const 32)) (i32.const 0))

(thread $Sleeper64 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.atomic.store (i32.const 112) (i32.const 1))
      (i32.atomic.store (i32.const 36)
        (memory.atomic.wait64 (i32.const 120) (i64.const 0) (i64.const 10000000000)))
      (i32.atomic.store (i32.const 112) (i32.const 2))))
  (invoke "run"))
(invoke "wake" (i32.const 112) (i32.const 120))
(wait $Sleeper64)
(assert_return (invoke "load32" (i32.const 36)) (i32.const 0))

;; A memory that is not shared: wait traps, notify finds nobody.
(module $Unshared
  (memory 1)
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1))))
(assert_trap (invoke "wait32" (i32.const 0) (i32.const 0) (i64.const 0)) "expected shared memory")
(assert_trap (invoke "wait64" (i32.const 0) (i64.const 0) (i64.const 0)) "expected shared memory")
(assert_return (invoke "notify" (i32.const 0) (i32.const 1)) (i32.const 0))
