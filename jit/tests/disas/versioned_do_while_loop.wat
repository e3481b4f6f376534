;; Loop versioning of a do-while loop (matmul's checksum loop): the body
;; ends with `br_if 0 (i32.lt_u k n)`, so a load before the increment sees
;; `k`'s entry value or one below `n`: the range check evaluates
;; `c + (k << 3) + 8` at `max(k0, max(n, 1) - 1)`, saturating each step
;; at 2^32 - 1, against the length.
(module
  (memory 1)
  (func (export "sum") (param $c i32) (param $k i32) (param $n i32) (result f64)
    (local $total f64)
    (loop $check
      (local.set $total
        (f64.add (local.get $total)
          (f64.load offset=16 (i32.add (local.get $c) (i32.shl (local.get $k) (i32.const 3))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $check (i32.lt_u (local.get $k) (local.get $n))))
    (local.get $total)))
