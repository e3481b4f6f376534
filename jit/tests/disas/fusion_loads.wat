;; Bounds-check fusion: three loads off one base at offsets 0, 8 and 4
;; share one check of end 12. The first load's check (end 4) is widened to
;; 12 by the second; the third (end 8) is covered by it.
(module
  (memory 1)
  (func (export "sum3") (param $p i32) (result i32)
    (i32.add
      (i32.add (i32.load (local.get $p)) (i32.load offset=8 (local.get $p)))
      (i32.load offset=4 (local.get $p)))))
