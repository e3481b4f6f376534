;; config: no_loop_versioning
;; The loop of versioned_while_loop.wat with versioning off: the plain
;; translation, one loop with its bounds check, no range check, no join.
(module
  (memory 1)
  (func (export "cross") (param $j i32) (param $step i32) (param $n i32)
    (block $done
      (loop $multiple
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (i32.store8 (local.get $j) (i32.const 1))
        (local.set $j (i32.add (local.get $j) (local.get $step)))
        (br $multiple)))))
