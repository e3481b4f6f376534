;; Accesses at constant addresses: those that end within the declared
;; minimum (one page) are always in bounds and carry no check; the one that
;; ends past it is checked like any other.
(module
  (memory 1)
  (func (export "constants") (result i32)
    (i32.store (i32.const 16) (i32.const 1))
    (i32.store offset=65532 (i32.const 0) (i32.const 2))
    (i32.add
      (i32.load (i32.const 65532))
      (i32.load (i32.const 65533)))))
