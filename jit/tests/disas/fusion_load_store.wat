;; A load may be widened by the store after it: one check of end 12 covers
;; both. The store then closes the check, so the load after it, which
;; needs a larger end, gets its own check.
(module
  (memory 1)
  (func (export "copy") (param $p i32) (result i32)
    (i32.store offset=8 (local.get $p) (i32.load (local.get $p)))
    (i32.load offset=16 (local.get $p))))
