;; config: no_bounds_check_fusion
;; fusion_loads.wat with Config::bounds_check_fusion(false): one check per
;; load, as before the optimization existed.
(module
  (memory 1)
  (func (export "sum3") (param $p i32) (result i32)
    (i32.add
      (i32.add (i32.load (local.get $p)) (i32.load offset=8 (local.get $p)))
      (i32.load offset=4 (local.get $p)))))
