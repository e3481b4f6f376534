;; config: no_inlining
;; Inlining off: with it on, $add would be inlined (see inline_*.wat).
;; A direct call of a body in the same module: vmctx and arguments in
;; registers, the returned trap code checked and propagated, the result
;; taken from the call's second return value.
(module
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "f") (param i32) (result i32)
    (call $add (local.get 0) (i32.const 1))))
