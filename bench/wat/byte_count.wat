;; Counts the bytes equal to a needle in 16 MiB, sixteen at a time:
;; `i8x16.eq` against a splat, `i8x16.bitmask`, `i32.popcnt`. `init` fills
;; the memory with a 32-bit LCG (outside the timed region).
(module
  (memory 256)
  (func (export "init") (param $seed i32) (result i64)
    (local $p i32) (local $x i32)
    (local.set $x (local.get $seed))
    (loop $fill
      (local.set $x
        (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store (local.get $p) (local.get $x))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $fill (i32.lt_u (local.get $p) (i32.const 16777216))))
    (i64.const 0))
  (func (export "run") (param $needle i32) (result i64)
    (local $p i32) (local $n v128) (local $total i32)
    (local.set $n (i8x16.splat (local.get $needle)))
    (loop $scan
      (local.set $total
        (i32.add (local.get $total)
          (i32.popcnt
            (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (local.get $n))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $scan (i32.lt_u (local.get $p) (i32.const 16777216))))
    (i64.extend_i32_u (local.get $total))))
