;; A fixture of jit/tests/stress.rs: see the doc comment on `COUNTERS` there.
(module
  (import "env" "memory" (memory 1 1 shared))
  ;; one increment per step on the words $addr, $addr+4, ..., round robin
  (func (export "add32") (param $addr i32) (param $words i32) (param $n i32) (local $i i32)
    (loop $l
      (drop (i32.atomic.rmw.add
        (i32.add (local.get $addr)
          (i32.shl (i32.rem_u (local.get $i) (local.get $words)) (i32.const 2)))
        (i32.const 1)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  ;; adds $k to the 64-bit word at $addr: a $k with bit 31 set carries
  ;; into the high half
  (func (export "add64") (param $addr i32) (param $k i64) (param $n i32)
    (loop $l
      (drop (i64.atomic.rmw.add (local.get $addr) (local.get $k)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "add8_i32") (param $addr i32) (param $k i32) (param $n i32)
    (loop $l
      (if (i32.gt_u (i32.atomic.rmw8.add_u (local.get $addr) (local.get $k)) (i32.const 0xff))
        (then unreachable))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "add8_i64") (param $addr i32) (param $k i64) (param $n i32)
    (loop $l
      (if (i64.gt_u (i64.atomic.rmw8.add_u (local.get $addr) (local.get $k)) (i64.const 0xff))
        (then unreachable))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "add16_i32") (param $addr i32) (param $k i32) (param $n i32)
    (loop $l
      (if (i32.gt_u (i32.atomic.rmw16.add_u (local.get $addr) (local.get $k)) (i32.const 0xffff))
        (then unreachable))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "add16_i64") (param $addr i32) (param $k i64) (param $n i32)
    (loop $l
      (if (i64.gt_u (i64.atomic.rmw16.add_u (local.get $addr) (local.get $k)) (i64.const 0xffff))
        (then unreachable))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; compare-exchange loops: read, try to install old + $k, retry on a race
  (func (export "cas64") (param $addr i32) (param $k i64) (param $n i32) (local $old i64)
    (loop $l
      (loop $retry
        (local.set $old (i64.atomic.load (local.get $addr)))
        (br_if $retry (i64.ne (local.get $old)
          (i64.atomic.rmw.cmpxchg (local.get $addr) (local.get $old)
            (i64.add (local.get $old) (local.get $k))))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "cas8") (param $addr i32) (param $n i32) (local $old i32)
    (loop $l
      (loop $retry
        (local.set $old (i32.atomic.load8_u (local.get $addr)))
        ;; the replacement is wrapped to 8 bits by the instruction itself
        (br_if $retry (i32.ne (local.get $old)
          (i32.atomic.rmw8.cmpxchg_u (local.get $addr) (local.get $old)
            (i32.add (local.get $old) (i32.const 1))))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "cas16_i64") (param $addr i32) (param $n i32) (local $old i64)
    (loop $l
      (loop $retry
        (local.set $old (i64.atomic.load16_u (local.get $addr)))
        (br_if $retry (i64.ne (local.get $old)
          (i64.atomic.rmw16.cmpxchg_u (local.get $addr) (local.get $old)
            (i64.add (local.get $old) (i64.const 1))))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
