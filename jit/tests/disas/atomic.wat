;; An atomic read-modify-write: alignment check, then bounds check.
(module
  (memory 1 1 shared)
  (func (export "add") (param i32 i32) (result i32)
    (i32.atomic.rmw.add offset=4 (local.get 0) (local.get 1))))
