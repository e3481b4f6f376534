;; Loop versioning sees through a call of a function whose body is one
;; address expression of its parameters (matmul's `$element`): both loads
;; of this dot-product loop are covered, so the fast copy (where `$element`
;; is also inlined, `Config::inlining`)
;; loads without a bounds check.
(module
  (memory 1)
  (func $element (param $base i32) (param $n i32) (param $i i32) (param $j i32) (result i32)
    (i32.add (local.get $base)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
        (i32.const 3))))
  (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (param $i i32) (param $j i32) (result f64)
    (local $k i32) (local $sum f64)
    (loop $mul_k
      (local.set $sum
        (f64.add (local.get $sum)
          (f64.mul
            (f64.load (call $element (local.get $a) (local.get $n) (local.get $i) (local.get $k)))
            (f64.load (call $element (local.get $b) (local.get $n) (local.get $k) (local.get $j))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $mul_k (i32.lt_u (local.get $k) (local.get $n))))
    (local.get $sum)))
