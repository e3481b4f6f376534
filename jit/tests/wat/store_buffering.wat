;; A fixture of jit/tests/stress.rs: see the doc comment on `STORE_BUFFERING` there.
(module
  (import "env" "memory" (memory 16 16 shared))
  ;; cells: side 0 at 64 + 4k, side 1 at 64 + 4n + 4k; results after them
  (func (export "side") (param $side i32) (param $n i32) (local $k i32) (local $mine i32)
    (local $theirs i32) (local $out i32) (local $spin i32)
    (local.set $mine (i32.add (i32.const 64)
      (i32.mul (local.get $side) (i32.shl (local.get $n) (i32.const 2)))))
    (local.set $theirs (i32.add (i32.const 64)
      (i32.mul (i32.sub (i32.const 1) (local.get $side)) (i32.shl (local.get $n) (i32.const 2)))))
    (local.set $out (i32.add (i32.add (i32.const 64) (i32.shl (local.get $n) (i32.const 3)))
      (i32.mul (local.get $side) (i32.shl (local.get $n) (i32.const 2)))))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (loop $start (br_if $start (i32.lt_u (i32.atomic.load (i32.const 0)) (i32.const 2))))
    (loop $l
      ;; lockstep, but never waiting long: a slow other side only makes
      ;; the pairs overlap less, it cannot make the test wrong
      (local.set $spin (i32.const 2000))
      (if (local.get $k)
        (then (loop $lockstep
          (br_if $lockstep (i32.and
            (i32.eqz (i32.atomic.load (i32.add (local.get $theirs)
              (i32.shl (i32.sub (local.get $k) (i32.const 1)) (i32.const 2)))))
            (i32.ne (local.tee $spin (i32.sub (local.get $spin) (i32.const 1)))
              (i32.const 0)))))))
      (i32.atomic.store (i32.add (local.get $mine) (i32.shl (local.get $k) (i32.const 2)))
        (i32.const 1))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2)))
        (i32.atomic.load (i32.add (local.get $theirs) (i32.shl (local.get $k) (i32.const 2)))))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))))
