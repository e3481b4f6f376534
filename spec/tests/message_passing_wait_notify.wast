;; Message passing where the consumer sleeps instead of spinning.
;;
;; The consumer loops: while the flag is 0, `memory.atomic.wait32` on it
;; expecting 0. The wait compares and enqueues atomically with respect to
;; notify, so a producer that sets the flag and then notifies can never leave
;; the consumer asleep: either the consumer sees the flag before sleeping
;; (wait returns 1, "not-equal") or it is asleep when notify runs (wait
;; returns 0, "ok"). A timed-out wait (2) is impossible with an infinite
;; timeout. The consumer counts each return code so the script can check
;; that no other value ever came back.

(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "load") (param i32) (result i32)
    (i32.atomic.load (local.get 0))))

(thread $Consumer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (result i32)
      (local $r i32)
      (block $done
        (loop $sleep
          (br_if $done (i32.ne (i32.atomic.load (i32.const 0)) (i32.const 0)))
          (local.set $r
            (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
          ;; Tally return codes at 32 + 4*r (r is 0, 1 or 2).
          (drop (i32.atomic.rmw.add offset=32
            (i32.shl (local.get $r) (i32.const 2)) (i32.const 1)))
          (br $sleep)))
      (i32.load (i32.const 8))))
  (assert_return (invoke "run") (i32.const 0x600d)))

(thread $Producer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.store (i32.const 8) (i32.const 0x600d))
      (i32.atomic.store (i32.const 0) (i32.const 1))
      ;; How many were woken depends on timing; it is at most 1.
      (i32.atomic.store (i32.const 16)
        (memory.atomic.notify (i32.const 0) (i32.const 1)))))
  (invoke "run"))

(wait $Consumer)
(wait $Producer)

;; Nobody timed out, and notify woke at most the one sleeper.
(assert_return (invoke $Mem "load" (i32.const 40)) (i32.const 0))
(assert_return (invoke $Mem "load" (i32.const 0)) (i32.const 1))
(register "mem" $Mem)
(module $Check
  (memory (import "mem" "shared") 1 1 shared)
  (func (export "woken_at_most_one") (result i32)
    (i32.le_u (i32.atomic.load (i32.const 16)) (i32.const 1)))
  ;; A sleeper that was woken by notify saw "ok" exactly as often as notify
  ;; reported waking it.
  (func (export "ok_matches_notify") (result i32)
    (i32.eq (i32.atomic.load (i32.const 32)) (i32.atomic.load (i32.const 16)))))
(assert_return (invoke $Check "woken_at_most_one") (i32.const 1))
(assert_return (invoke $Check "ok_matches_notify") (i32.const 1))
