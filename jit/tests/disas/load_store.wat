;; Bounds-checked accesses to an unshared memory against the cached length:
;; a failing compare goes straight to the function's one out-of-bounds exit.
(module
  (memory 1)
  (func (export "copy_word") (param i32 i32)
    (i32.store offset=4 (local.get 1) (i32.load offset=8 (local.get 0)))))
