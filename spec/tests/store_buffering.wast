;; Store buffering (Dekker's core) with sequentially consistent atomics.
;;
;; Round i uses fresh cells x_i and y_i, both 0. Thread A stores x_i = 1 then
;; loads y_i; thread B stores y_i = 1 then loads x_i. Under sequential
;; consistency at least one of them must see the other's store, so the
;; outcome (0, 0) is forbidden; every other outcome is allowed and which one
;; occurs depends on timing. The two threads meet at a barrier before every
;; round so that the rounds really race. After both finish, the script counts
;; the rounds where both loads saw 0: it must be none.
;;
;; Layout: barrier counter at 0; x_i at 1024 + 4i, y_i at 2048 + 4i;
;; A's loads at 4096 + 4i, B's loads at 8192 + 4i; 200 rounds.

(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "forbidden_outcomes") (param $rounds i32) (result i32)
    (local $i i32) (local $bad i32)
    (loop $each
      (if (i32.eqz
            (i32.or
              (i32.atomic.load offset=4096 (i32.shl (local.get $i) (i32.const 2)))
              (i32.atomic.load offset=8192 (i32.shl (local.get $i) (i32.const 2)))))
        (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
      (br_if $each
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                  (local.get $rounds))))
    (local.get $bad))
  (func (export "barrier") (result i32)
    (i32.atomic.load (i32.const 0))))

(thread $A (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    ;; Two-party barrier for round i: arrive, then spin briefly (so that
    ;; both threads leave it close together when both are running) and
    ;; sleep on the counter after that (so that a loaded machine is not
    ;; flooded with spinning). The second to arrive notifies; a sleeper
    ;; expects the value it last saw, so the wake-up cannot be lost.
    (func $barrier (param $i i32)
      (local $target i32) (local $seen i32) (local $spins i32)
      (local.set $target (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 1)))
      (if (i32.eq (i32.add (i32.atomic.rmw.add (i32.const 0) (i32.const 1)) (i32.const 1))
                  (local.get $target))
        (then (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))))
      (block $done
        (loop $again
          (local.set $seen (i32.atomic.load (i32.const 0)))
          (br_if $done (i32.ge_u (local.get $seen) (local.get $target)))
          (if (i32.lt_u (local.get $spins) (i32.const 100))
            (then (local.set $spins (i32.add (local.get $spins) (i32.const 1))))
            (else (drop (memory.atomic.wait32 (i32.const 0) (local.get $seen) (i64.const -1)))))
          (br $again))))
    (func (export "run") (param $rounds i32)
      (local $i i32) (local $a i32)
      (loop $round
        (call $barrier (local.get $i))
        (local.set $a (i32.shl (local.get $i) (i32.const 2)))
        (i32.atomic.store offset=1024 (local.get $a) (i32.const 1))
        (i32.atomic.store offset=4096 (local.get $a)
          (i32.atomic.load offset=2048 (local.get $a)))
        (br_if $round
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $rounds))))))
  (invoke "run" (i32.const 200)))

(thread $B (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func $barrier (param $i i32)
      (local $target i32) (local $seen i32) (local $spins i32)
      (local.set $target (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 1)))
      (if (i32.eq (i32.add (i32.atomic.rmw.add (i32.const 0) (i32.const 1)) (i32.const 1))
                  (local.get $target))
        (then (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))))
      (block $done
        (loop $again
          (local.set $seen (i32.atomic.load (i32.const 0)))
          (br_if $done (i32.ge_u (local.get $seen) (local.get $target)))
          (if (i32.lt_u (local.get $spins) (i32.const 100))
            (then (local.set $spins (i32.add (local.get $spins) (i32.const 1))))
            (else (drop (memory.atomic.wait32 (i32.const 0) (local.get $seen) (i64.const -1)))))
          (br $again))))
    (func (export "run") (param $rounds i32)
      (local $i i32) (local $a i32)
      (loop $round
        (call $barrier (local.get $i))
        (local.set $a (i32.shl (local.get $i) (i32.const 2)))
        (i32.atomic.store offset=2048 (local.get $a) (i32.const 1))
        (i32.atomic.store offset=8192 (local.get $a)
          (i32.atomic.load offset=1024 (local.get $a)))
        (br_if $round
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $rounds))))))
  (invoke "run" (i32.const 200)))

(wait $A)
(wait $B)

(assert_return (invoke $Mem "forbidden_outcomes" (i32.const 200)) (i32.const 0))
(assert_return (invoke $Mem "barrier") (i32.const 400))
