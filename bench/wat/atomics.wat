;; Atomic read-modify-write and notify on word 0 of a host-created shared
;; memory. One instance per thread, all importing the same memory.
(module
  (import "env" "memory" (memory 1 1 shared))

  ;; Adds 1 to word 0, $n times; returns nothing useful (the host reads the
  ;; word with "get" once every thread is done).
  (func (export "add") (param $n i32) (result i64)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.const 0))

  (func (export "get") (param i32) (result i64)
    (i64.extend_i32_u (i32.atomic.load (i32.const 0))))

  (func (export "reset") (param i32) (result i64)
    (i32.atomic.store (i32.const 0) (i32.const 0))
    (i64.const 0))

  ;; Notifies word 0 $n times with nobody waiting; returns how many waiters
  ;; were woken in total, which must be 0.
  (func (export "notify") (param $n i32) (result i64)
    (local $i i32) (local $woken i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $woken
          (i32.add (local.get $woken) (memory.atomic.notify (i32.const 0) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.extend_i32_u (local.get $woken))))
