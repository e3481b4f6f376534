;; `memory.atomic.notify` counts with several sleepers.
;;
;; Three sleepers each announce themselves on a counter and then wait on a
;; word that never changes, so only a notify can wake them and each wakes
;; with 0 ("ok"). The notifier first spins until all three have announced.
;; An announced sleeper may not be asleep yet, so the notifier cannot expect
;; one call to wake all three; instead it keeps asking for at most two at a
;; time and adds up the returns until three were woken. Whatever the timing,
;; no call may report more than it asked for, the returns must add up to
;; exactly three, and a last notify must find nobody. A notify for zero
;; waiters, or at another address, wakes nobody even with sleepers present.
;;
;; Layout: 0 announced; 4 the wait word; 12 total woken; 16 the final
;; notify's return; 20 "a notify over-reported" flag; 24 notify(0) and
;; notify at another address, summed; 32 + 4r tally of wait returns r.

(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0))))

(thread $S0 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (result i32)
      (local $r i32)
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      ;; The word at 4 stays 0 and the timeout is infinite: only a notify
      ;; can end this wait.
      (local.set $r (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1)))
      (drop (i32.atomic.rmw.add offset=32 (i32.shl (local.get $r) (i32.const 2)) (i32.const 1)))
      (local.get $r)))
  (assert_return (invoke "run") (i32.const 0)))

(thread $S1 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (result i32)
      (local $r i32)
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      ;; The word at 4 stays 0 and the timeout is infinite: only a notify
      ;; can end this wait.
      (local.set $r (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1)))
      (drop (i32.atomic.rmw.add offset=32 (i32.shl (local.get $r) (i32.const 2)) (i32.const 1)))
      (local.get $r)))
  (assert_return (invoke "run") (i32.const 0)))

(thread $S2 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (result i32)
      (local $r i32)
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      ;; The word at 4 stays 0 and the timeout is infinite: only a notify
      ;; can end this wait.
      (local.set $r (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1)))
      (drop (i32.atomic.rmw.add offset=32 (i32.shl (local.get $r) (i32.const 2)) (i32.const 1)))
      (local.get $r)))
  (assert_return (invoke "run") (i32.const 0)))

(thread $N (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (local $total i32) (local $ask i32) (local $n i32)
      (loop $spin
        (br_if $spin (i32.lt_u (i32.atomic.load (i32.const 0)) (i32.const 3))))
      (i32.atomic.store (i32.const 24)
        (i32.add
          (memory.atomic.notify (i32.const 4) (i32.const 0))
          (memory.atomic.notify (i32.const 8) (i32.const 3))))
      (loop $wake
        (local.set $ask (i32.sub (i32.const 3) (local.get $total)))
        (if (i32.gt_u (local.get $ask) (i32.const 2))
          (then (local.set $ask (i32.const 2))))
        (local.set $n (memory.atomic.notify (i32.const 4) (local.get $ask)))
        (if (i32.gt_u (local.get $n) (local.get $ask))
          (then (i32.atomic.store (i32.const 20) (i32.const 1))))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br_if $wake (i32.lt_u (local.get $total) (i32.const 3))))
      (i32.atomic.store (i32.const 12) (local.get $total))
      (i32.atomic.store (i32.const 16)
        (memory.atomic.notify (i32.const 4) (i32.const 100)))))
  (invoke "run"))

(wait $N)
(wait $S0)
(wait $S1)
(wait $S2)

(assert_return (invoke $Mem "load32" (i32.const 12)) (i32.const 3))
(assert_return (invoke $Mem "load32" (i32.const 16)) (i32.const 0))
(assert_return (invoke $Mem "load32" (i32.const 20)) (i32.const 0))
(assert_return (invoke $Mem "load32" (i32.const 24)) (i32.const 0))
;; All three woke with "ok"; none saw "not-equal" or "timed-out".
(assert_return (invoke $Mem "load32" (i32.const 32)) (i32.const 3))
(assert_return (invoke $Mem "load32" (i32.const 36)) (i32.const 0))
(assert_return (invoke $Mem "load32" (i32.const 40)) (i32.const 0))
