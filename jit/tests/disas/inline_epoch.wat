;; config: epoch_interruption
;; With epoch checks on, an inlined leaf brings no check of its own: the
;; caller's checks (its entry, its loop header) are all that remain, and
;; a leaf without loops or calls runs a bounded number of instructions
;; between them. The leaf's own body keeps its entry check.
(module
  (memory 1)
  (func $slot (param $i i32) (result i32) (i32.shl (local.get $i) (i32.const 2)))
  (func (export "clear") (param $n i32)
    (loop $l
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (i32.store (call $slot (local.get $n)) (i32.const 0))
      (br_if $l (local.get $n)))))
