;; A direct call: arguments through the values area, the returned trap
;; code checked and propagated, results loaded back.
(module
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "f") (param i32) (result i32)
    (call $add (local.get 0) (i32.const 1))))
