;; Blocks in `memory.atomic.wait32` with no timeout until something other
;; than a notify ends it: the `interrupt_wait` row's waiter.
(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "run") (param i32) (result i64)
    (i64.extend_i32_u
      (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const -1)))))
