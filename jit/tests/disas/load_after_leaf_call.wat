;; config: no_inlining
;; Inlining off: with it on, $leaf would be inlined (see inline_*.wat).
;; A callee that provably cannot grow a memory (no memory.grow, no import
;; or indirect call, and calls only such functions) leaves the cached
;; length valid: no reload after the call. The callee itself, using no
;; memory, loads nothing of the memory's.
(module
  (memory 1)
  (func $leaf (param i32) (result i32) (i32.shl (local.get 0) (i32.const 2)))
  (func (export "load_after_leaf_call") (param i32) (result i32)
    (i32.load (call $leaf (local.get 0)))))
