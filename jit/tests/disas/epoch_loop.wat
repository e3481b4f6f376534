;; config: epoch_interruption
;; Epoch checks: one at entry (after the stack check) and one at the loop
;; header, each two pointer loads from the store context, the epoch and the
;; deadline, one compare, and a cold call of the `epoch_interrupt` builtin
;; whose trap code is raised.
(module
  (func (export "count") (param i32) (result i32)
    (loop $l
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (local.get 0)))
