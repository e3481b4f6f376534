;; Lane loads and stores are bounds-checked with the lane's width; a shift
;; count is masked to the lane width; swizzle and shuffle keep i8x16.
(module
  (memory 1)
  (func (export "lane") (param $v v128) (param $p i32) (result v128)
    (v128.store16_lane 3 (local.get $p) (local.get $v))
    (v128.load32_lane offset=8 1 (local.get $p) (local.get $v)))
  (func (export "splat_zero") (param $p i32) (result v128)
    (v128.xor (v128.load8_splat (local.get $p)) (v128.load64_zero (local.get $p))))
  (func (export "shift") (param $v v128) (param $n i32) (result v128)
    (i8x16.shl (local.get $v) (local.get $n)))
  (func (export "shuffle") (param v128 v128) (result v128)
    (i8x16.swizzle
      (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get 0) (local.get 1))
      (local.get 1))))
