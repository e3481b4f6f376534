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
    ;; Two-party barrier: arrive, then spin until both arrived for round i.
    (func $barrier (param $i i32)
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (loop $spin
        (br_if $spin
          (i32.lt_u (i32.atomic.load (i32.const 0))
                    (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 1))))))
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
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (loop $spin
        (br_if $spin
          (i32.lt_u (i32.atomic.load (i32.const 0))
                    (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 1))))))
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
