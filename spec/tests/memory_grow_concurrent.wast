;; Concurrent `memory.grow` on one shared memory.
;;
;; Four threads each grow the memory by one page ten times. Growth is
;; serialized by the memory, so the forty calls must return the old sizes 1
;; to 40 exactly once each, in some order, and the memory must end at 41
;; pages. Each thread writes into the page it just added and checks that
;; `memory.size` already covers it, without any synchronization beyond the
;; grow itself.
;;
;; Layout: 0 sum of old sizes; 8 i64 bitmap of old sizes; 100 + 4t "a grow
;; failed" flags; 200 + 4t "size did not cover my page" flags.

(module $Mem
  (memory (export "shared") 1 64 shared)
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
  ;; Pages 1..40 whose first word no thread wrote: must be none.
  (func (export "unwritten_pages") (result i32)
    (local $p i32) (local $bad i32)
    (local.set $p (i32.const 1))
    (loop $each
      (if (i32.eqz (i32.load (i32.shl (local.get $p) (i32.const 16))))
        (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
      (br_if $each
        (i32.le_u (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                  (i32.const 40))))
    (local.get $bad))
  ;; Sum of the per-thread failure flags at 100.. and 200..: must be 0.
  (func (export "flags") (result i32)
    (local $t i32) (local $sum i32)
    (loop $each
      (local.set $sum (i32.add (local.get $sum)
        (i32.add
          (i32.atomic.load offset=100 (i32.shl (local.get $t) (i32.const 2)))
          (i32.atomic.load offset=200 (i32.shl (local.get $t) (i32.const 2))))))
      (br_if $each
        (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1)))
                  (i32.const 4))))
    (local.get $sum)))

(thread $T0 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 64 shared)
    (func (export "run") (param $t i32)
      (local $i i32) (local $old i32)
      (loop $each
        (local.set $old (memory.grow (i32.const 1)))
        (if (i32.eq (local.get $old) (i32.const -1))
          (then (i32.atomic.store offset=100
                  (i32.shl (local.get $t) (i32.const 2)) (i32.const 1)))
          (else
            ;; Every old size comes back exactly once: sum and bitmap.
            (drop (i32.atomic.rmw.add (i32.const 0) (local.get $old)))
            (drop (i64.atomic.rmw.or (i32.const 8)
              (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $old)))))
            ;; The page this grow added is usable at once by this thread...
            (i32.store (i32.shl (local.get $old) (i32.const 16))
              (i32.add (local.get $t) (i32.const 1)))
            ;; ...and the size this thread sees covers it.
            (if (i32.le_u (memory.size) (local.get $old))
              (then (i32.atomic.store offset=200
                      (i32.shl (local.get $t) (i32.const 2)) (i32.const 1))))))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 10))))))
  (invoke "run" (i32.const 0)))

(thread $T1 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 64 shared)
    (func (export "run") (param $t i32)
      (local $i i32) (local $old i32)
      (loop $each
        (local.set $old (memory.grow (i32.const 1)))
        (if (i32.eq (local.get $old) (i32.const -1))
          (then (i32.atomic.store offset=100
                  (i32.shl (local.get $t) (i32.const 2)) (i32.const 1)))
          (else
            ;; Every old size comes back exactly once: sum and bitmap.
            (drop (i32.atomic.rmw.add (i32.const 0) (local.get $old)))
            (drop (i64.atomic.rmw.or (i32.const 8)
              (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $old)))))
            ;; The page this grow added is usable at once by this thread...
            (i32.store (i32.shl (local.get $old) (i32.const 16))
              (i32.add (local.get $t) (i32.const 1)))
            ;; ...and the size this thread sees covers it.
            (if (i32.le_u (memory.size) (local.get $old))
              (then (i32.atomic.store offset=200
                      (i32.shl (local.get $t) (i32.const 2)) (i32.const 1))))))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 10))))))
  (invoke "run" (i32.const 1)))

(thread $T2 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 64 shared)
    (func (export "run") (param $t i32)
      (local $i i32) (local $old i32)
      (loop $each
        (local.set $old (memory.grow (i32.const 1)))
        (if (i32.eq (local.get $old) (i32.const -1))
          (then (i32.atomic.store offset=100
                  (i32.shl (local.get $t) (i32.const 2)) (i32.const 1)))
          (else
            ;; Every old size comes back exactly once: sum and bitmap.
            (drop (i32.atomic.rmw.add (i32.const 0) (local.get $old)))
            (drop (i64.atomic.rmw.or (i32.const 8)
              (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $old)))))
            ;; The page this grow added is usable at once by this thread...
            (i32.store (i32.shl (local.get $old) (i32.const 16))
              (i32.add (local.get $t) (i32.const 1)))
            ;; ...and the size this thread sees covers it.
            (if (i32.le_u (memory.size) (local.get $old))
              (then (i32.atomic.store offset=200
                      (i32.shl (local.get $t) (i32.const 2)) (i32.const 1))))))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 10))))))
  (invoke "run" (i32.const 2)))

(thread $T3 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 64 shared)
    (func (export "run") (param $t i32)
      (local $i i32) (local $old i32)
      (loop $each
        (local.set $old (memory.grow (i32.const 1)))
        (if (i32.eq (local.get $old) (i32.const -1))
          (then (i32.atomic.store offset=100
                  (i32.shl (local.get $t) (i32.const 2)) (i32.const 1)))
          (else
            ;; Every old size comes back exactly once: sum and bitmap.
            (drop (i32.atomic.rmw.add (i32.const 0) (local.get $old)))
            (drop (i64.atomic.rmw.or (i32.const 8)
              (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $old)))))
            ;; The page this grow added is usable at once by this thread...
            (i32.store (i32.shl (local.get $old) (i32.const 16))
              (i32.add (local.get $t) (i32.const 1)))
            ;; ...and the size this thread sees covers it.
            (if (i32.le_u (memory.size) (local.get $old))
              (then (i32.atomic.store offset=200
                      (i32.shl (local.get $t) (i32.const 2)) (i32.const 1))))))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 10))))))
  (invoke "run" (i32.const 3)))

(wait $T0)
(wait $T1)
(wait $T2)
(wait $T3)

(assert_return (invoke $Mem "size") (i32.const 41))
(assert_return (invoke $Mem "flags") (i32.const 0))
(assert_return (invoke $Mem "load32" (i32.const 0)) (i32.const 820))
(assert_return (invoke $Mem "load64" (i32.const 8)) (i64.const 0x1fffffffffe))
(assert_return (invoke $Mem "unwritten_pages") (i32.const 0))
;; The maximum still holds after concurrent growth.
(assert_return (invoke $Mem "grow" (i32.const 24)) (i32.const -1))
(assert_return (invoke $Mem "grow" (i32.const 23)) (i32.const 41))
(assert_return (invoke $Mem "size") (i32.const 64))
