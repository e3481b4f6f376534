;; A callee may grow an unshared memory, so the cached length is reloaded
;; after every call (the access after the call compares with the reload).
(module
  (memory 1)
  (func $callee)
  (func (export "load_after_call") (param i32) (result i32)
    (call $callee)
    (i32.load (local.get 0))))
