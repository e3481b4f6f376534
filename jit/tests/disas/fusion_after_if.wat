;; Elimination follows structured control flow. The check before the `if`
;; (end 12) dominates the arm and the code after the `if`: the loads of
;; end 8 inside and end 4 after need none. The arm's own check (end 32) is
;; dropped at `else`, so the `else` arm checks again, and so does the code
;; after the `if`.
(module
  (memory 1)
  (func (export "f") (param $p i32) (param $c i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load offset=8 (local.get $p)))
    (if (local.get $c)
      (then
        (local.set $x (i32.add (local.get $x) (i32.load offset=4 (local.get $p))))
        (local.set $x (i32.add (local.get $x) (i32.load offset=28 (local.get $p)))))
      (else
        (local.set $x (i32.add (local.get $x) (i32.load offset=28 (local.get $p))))))
    (i32.add
      (i32.add (local.get $x) (i32.load (local.get $p)))
      (i32.load offset=28 (local.get $p)))))
