;; Float-to-int conversions are the saturating CLIF forms, never trapping.
(module
  (func (export "u") (param v128) (result v128)
    (i32x4.trunc_sat_f32x4_u (local.get 0)))
  (func (export "s_zero") (param v128) (result v128)
    (i32x4.trunc_sat_f64x2_s_zero (local.get 0)))
  (func (export "bitmask") (param v128) (result i32)
    (i8x16.bitmask (local.get 0))))
