;; Bounds-checked accesses against the cached length, with the cold
;; re-check path.
(module
  (memory 1)
  (func (export "copy_word") (param i32 i32)
    (i32.store offset=4 (local.get 1) (i32.load offset=8 (local.get 0)))))
