;; An index masked with a constant is at most the mask: an access that ends
;; within the declared minimum with it carries no check; one whose mask
;; reaches past the minimum is checked.
(module
  (memory 1)
  (func (export "masked") (param i32) (result i32)
    (i32.store (i32.and (local.get 0) (i32.const 0xfffc)) (i32.const 1))
    (i32.load (i32.and (i32.const 0xfffd) (local.get 0)))))
