;; A callee may grow an unshared memory, so the cached length is reloaded
;; after a call that may (here: to an import, which the host implements)
;; and the access after the call compares with the reload.
(module
  (import "env" "callee" (func $callee))
  (memory 1)
  (func (export "load_after_call") (param i32) (result i32)
    (call $callee)
    (i32.load (local.get 0))))
