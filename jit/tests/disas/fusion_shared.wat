;; On a shared memory the widened end is compared with the length loaded
;; at the first access: lengths only grow, so it still holds at the second.
(module
  (memory 1 1 shared)
  (func (export "pair") (param $p i32) (result i64)
    (i64.add (i64.load (local.get $p)) (i64.load offset=8 (local.get $p)))))
