;; Dense f64 matrix product C = A * B of $n x $n matrices, laid out row-major
;; at A = 0, B = n*n*8, C = 2*n*n*8 (n <= 128 fits the 8 pages). Returns a
;; weighted checksum of C as the bits of an f64, so the host can compare it
;; bit for bit with the same computation done natively.
(module
  (memory 8)

  (func $element (param $base i32) (param $n i32) (param $i i32) (param $j i32) (result i32)
    (i32.add (local.get $base)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
        (i32.const 3))))

  (func (export "run") (param $n i32) (result i64)
    (local $a i32) (local $b i32) (local $c i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $sum f64) (local $total f64)
    (local.set $b (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3)))
    (local.set $c (i32.shl (local.get $b) (i32.const 1)))
    ;; A[i][j] = ((3i + 7j) mod 17) * 0.25 + 1;  B[i][j] = ((5i + 11j) mod 13) * 0.5 - 2
    (local.set $i (i32.const 0))
    (loop $fill_i
      (local.set $j (i32.const 0))
      (loop $fill_j
        (f64.store (call $element (local.get $a) (local.get $n) (local.get $i) (local.get $j))
          (f64.add
            (f64.mul
              (f64.convert_i32_u
                (i32.rem_u
                  (i32.add (i32.mul (local.get $i) (i32.const 3)) (i32.mul (local.get $j) (i32.const 7)))
                  (i32.const 17)))
              (f64.const 0.25))
            (f64.const 1)))
        (f64.store (call $element (local.get $b) (local.get $n) (local.get $i) (local.get $j))
          (f64.sub
            (f64.mul
              (f64.convert_i32_u
                (i32.rem_u
                  (i32.add (i32.mul (local.get $i) (i32.const 5)) (i32.mul (local.get $j) (i32.const 11)))
                  (i32.const 13)))
              (f64.const 0.5))
            (f64.const 2)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $fill_j (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill_i (i32.lt_u (local.get $i) (local.get $n))))
    ;; C = A * B, summing over k in order.
    (local.set $i (i32.const 0))
    (loop $mul_i
      (local.set $j (i32.const 0))
      (loop $mul_j
        (local.set $sum (f64.const 0))
        (local.set $k (i32.const 0))
        (loop $mul_k
          (local.set $sum
            (f64.add (local.get $sum)
              (f64.mul
                (f64.load (call $element (local.get $a) (local.get $n) (local.get $i) (local.get $k)))
                (f64.load (call $element (local.get $b) (local.get $n) (local.get $k) (local.get $j))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $mul_k (i32.lt_u (local.get $k) (local.get $n))))
        (f64.store (call $element (local.get $c) (local.get $n) (local.get $i) (local.get $j))
          (local.get $sum))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $mul_j (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $mul_i (i32.lt_u (local.get $i) (local.get $n))))
    ;; total = sum over idx of C[idx] * ((idx mod 5) + 1), in index order.
    (local.set $k (i32.const 0))
    (loop $check
      (local.set $total
        (f64.add (local.get $total)
          (f64.mul
            (f64.load (i32.add (local.get $c) (i32.shl (local.get $k) (i32.const 3))))
            (f64.convert_i32_u
              (i32.add (i32.rem_u (local.get $k) (i32.const 5)) (i32.const 1))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $check (i32.lt_u (local.get $k) (i32.mul (local.get $n) (local.get $n)))))
    (i64.reinterpret_f64 (local.get $total))))
