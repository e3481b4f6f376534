;; An f32x4 dot-product step and an i32x4 dot of i16 lanes: every v128 is
;; an i8x16 between operators, bitcast to the lane shape at each use.
(module
  (memory 1)
  (func (export "madd") (param $acc v128) (param $p i32) (result v128)
    (f32x4.add (local.get $acc)
      (f32x4.mul (v128.load (local.get $p)) (v128.load offset=16 (local.get $p)))))
  (func (export "dot") (param v128 v128) (result v128)
    (i32x4.dot_i16x8_s (local.get 0) (local.get 1))))
