;; Mutual exclusion built from compare-exchange and wait/notify.
;;
;; Four threads each take a lock 250 times and, holding it, increment two
;; counters with plain loads and stores. The lock is a compare-exchange on a
;; word; a thread that finds it taken sleeps on the word until an unlock
;; notifies it. If the lock ever let two threads in at once, increments
;; would be lost or the two counters would disagree mid-update; if a wake-up
;; were lost, the script would hang. The counters must end at exactly 1000.

(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0))))

(thread $T0 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    ;; Lock word at 0: 0 free, 1 held. Acquire with cmpxchg; on contention
    ;; sleep on the word (wait32 expecting 1) rather than spin.
    (func $lock
      (loop $retry
        (if (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 1))
          (then
            (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1)))
            (br $retry)))))
    (func $unlock
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
    (func (export "run") (param $n i32)
      (local $i i32)
      (loop $each
        (call $lock)
        ;; Plain, non-atomic read-modify-write of two words: the lock alone
        ;; makes it race-free and keeps the words equal.
        (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
        (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
        (if (i64.ne (i64.extend_i32_u (i32.load (i32.const 8))) (i64.load (i32.const 16)))
          (then (i32.store (i32.const 24) (i32.const 1))))
        (call $unlock)
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))))
  (invoke "run" (i32.const 250)))

(thread $T1 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    ;; Lock word at 0: 0 free, 1 held. Acquire with cmpxchg; on contention
    ;; sleep on the word (wait32 expecting 1) rather than spin.
    (func $lock
      (loop $retry
        (if (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 1))
          (then
            (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1)))
            (br $retry)))))
    (func $unlock
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
    (func (export "run") (param $n i32)
      (local $i i32)
      (loop $each
        (call $lock)
        ;; Plain, non-atomic read-modify-write of two words: the lock alone
        ;; makes it race-free and keeps the words equal.
        (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
        (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
        (if (i64.ne (i64.extend_i32_u (i32.load (i32.const 8))) (i64.load (i32.const 16)))
          (then (i32.store (i32.const 24) (i32.const 1))))
        (call $unlock)
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))))
  (invoke "run" (i32.const 250)))

(thread $T2 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    ;; Lock word at 0: 0 free, 1 held. Acquire with cmpxchg; on contention
    ;; sleep on the word (wait32 expecting 1) rather than spin.
    (func $lock
      (loop $retry
        (if (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 1))
          (then
            (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1)))
            (br $retry)))))
    (func $unlock
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
    (func (export "run") (param $n i32)
      (local $i i32)
      (loop $each
        (call $lock)
        ;; Plain, non-atomic read-modify-write of two words: the lock alone
        ;; makes it race-free and keeps the words equal.
        (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
        (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
        (if (i64.ne (i64.extend_i32_u (i32.load (i32.const 8))) (i64.load (i32.const 16)))
          (then (i32.store (i32.const 24) (i32.const 1))))
        (call $unlock)
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))))
  (invoke "run" (i32.const 250)))

(thread $T3 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    ;; Lock word at 0: 0 free, 1 held. Acquire with cmpxchg; on contention
    ;; sleep on the word (wait32 expecting 1) rather than spin.
    (func $lock
      (loop $retry
        (if (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 1))
          (then
            (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1)))
            (br $retry)))))
    (func $unlock
      (i32.atomic.store (i32.const 0) (i32.const 0))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
    (func (export "run") (param $n i32)
      (local $i i32)
      (loop $each
        (call $lock)
        ;; Plain, non-atomic read-modify-write of two words: the lock alone
        ;; makes it race-free and keeps the words equal.
        (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
        (i64.store (i32.const 16) (i64.add (i64.load (i32.const 16)) (i64.const 1)))
        (if (i64.ne (i64.extend_i32_u (i32.load (i32.const 8))) (i64.load (i32.const 16)))
          (then (i32.store (i32.const 24) (i32.const 1))))
        (call $unlock)
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))))
  (invoke "run" (i32.const 250)))

(wait $T0)
(wait $T1)
(wait $T2)
(wait $T3)

(assert_return (invoke $Mem "load32" (i32.const 8)) (i32.const 1000))
(assert_return (invoke $Mem "load64" (i32.const 16)) (i64.const 1000))
(assert_return (invoke $Mem "load32" (i32.const 24)) (i32.const 0))
(assert_return (invoke $Mem "load32" (i32.const 0)) (i32.const 0))
