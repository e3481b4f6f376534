;; A callee with a loop is not inlined, however small: it could run long
;; without the epoch check at its entry and its loop header going
;; anywhere else. The call stays a direct call of its body.
(module
  (func $count (param $n i32) (result i32)
    (loop $again
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $n))
  (func (export "f") (param i32) (result i32)
    (call $count (local.get 0))))
