;; On a shared memory the widened end is what the cold re-check compares
;; with the freshly loaded length too: both use the one `iadd`.
(module
  (memory 1 1 shared)
  (func (export "pair") (param $p i32) (result i64)
    (i64.add (i64.load (local.get $p)) (i64.load offset=8 (local.get $p)))))
