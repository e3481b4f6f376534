;; A trap inside an inlined callee: both copies of `$get` share one cold
;; exit for it, which records `$get` (function 0) as the trapping function
;; and the backtrace's first frame, then joins the caller's `propagate`,
;; which appends the caller (function 1), as after a real call that
;; returned the trap code. `return` inside the callee's nested block jumps
;; to the end of its inlined body with the result.
(module
  (memory 1)
  (func $get (param $p i32) (result i32)
    (block
      (br_if 0 (local.get $p))
      (return (i32.const -1)))
    (i32.load offset=4 (local.get $p)))
  (func (export "sum") (param i32 i32) (result i32)
    (i32.add (call $get (local.get 0)) (call $get (local.get 1)))))
