;; config: consume_fuel
;; Fuel: each segment of straight-line code is charged its operator count on
;; entry (docs/interruption.md): 2 for `local.get; if` at entry, then the
;; then-arm through `end`, the loop body through `br_if`, the rest.
(module
  (func (export "count") (param i32) (result i32)
    (if (local.get 0) (then (nop)))
    (loop $l
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (local.get 0)))
