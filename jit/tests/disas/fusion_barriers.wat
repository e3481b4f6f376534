;; What must not fuse: a store between two loads off one base (the later
;; load's trap must come after the store), and a division between them
;; (its trap must come before the later load's).
(module
  (memory 1)
  (func (export "store_between") (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (i32.store offset=100 (i32.const 0) (local.get $x))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))
  (func (export "div_between") (param $p i32) (param $d i32) (result i32)
    (local $x i32)
    (local.set $x (i32.div_u (i32.load (local.get $p)) (local.get $d)))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p)))))
