;; A shared memory can be grown by another thread at any moment: a failing
;; compare goes to a small cold block per access that reloads the length
;; atomically, updates the cache and compares again before trapping.
(module
  (memory 1 2 shared)
  (func (export "copy_word") (param i32 i32)
    (i32.store offset=4 (local.get 1) (i32.load offset=8 (local.get 0)))))
