;; Contended read-modify-write at every width.
;;
;; Three threads each run 300 rounds of atomic adds (and subtracts) on shared
;; counters of every access width: i32 at 8, 16 and 32 bits, i64 at 8, 16, 32
;; and 64 bits, plus compare-exchange increment loops at four widths. Narrow
;; counters sit next to each other so that a narrow RMW that rewrote its
;; neighbours would show up. The totals do not depend on the interleaving:
;; 900 increments of each counter, wrapped to its width. `or` sets one bit per
;; thread; `xchg` leaves one of the values the threads wrote.
;;
;; Layout (byte offsets): 0 i32 add; 4 rmw16 add, 6 rmw16 sub; 8 rmw8 +1,
;; 9 rmw8 +3; 16 i64 add; 24 i64 rmw32 +1, 28 i64 rmw32 +0x10000; 32 i64
;; rmw16 +1, 34 +2; 40 i64 rmw8 +1, 41 +5; 48 i32 cmpxchg; 56 i64 cmpxchg;
;; 64 i32 rmw8 cmpxchg; 66 i64 rmw16 cmpxchg; 72 i32 or; 80 i64 or; 88 xchg.

(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "load8") (param i32) (result i32) (i32.atomic.load8_u (local.get 0)))
  (func (export "load16") (param i32) (result i32) (i32.atomic.load16_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0))))

(thread $T0 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func $cas32 (param $addr i32)
      (local $old i32)
      (loop $retry
        (local.set $old (i32.atomic.load (local.get $addr)))
        (br_if $retry
          (i32.ne
            (i32.atomic.rmw.cmpxchg (local.get $addr) (local.get $old)
              (i32.add (local.get $old) (i32.const 1)))
            (local.get $old)))))
    (func $cas64 (param $addr i32)
      (local $old i64)
      (loop $retry
        (local.set $old (i64.atomic.load (local.get $addr)))
        (br_if $retry
          (i64.ne
            (i64.atomic.rmw.cmpxchg (local.get $addr) (local.get $old)
              (i64.add (local.get $old) (i64.const 1)))
            (local.get $old)))))
    (func $cas8 (param $addr i32)
      (local $old i32)
      (loop $retry
        (local.set $old (i32.atomic.load8_u (local.get $addr)))
        (br_if $retry
          (i32.ne
            (i32.atomic.rmw8.cmpxchg_u (local.get $addr) (local.get $old)
              (i32.add (local.get $old) (i32.const 1)))
            (local.get $old)))))
    (func $cas16 (param $addr i32)
      (local $old i64)
      (loop $retry
        (local.set $old (i64.atomic.load16_u (local.get $addr)))
        (br_if $retry
          (i64.ne
            (i64.atomic.rmw16.cmpxchg_u (local.get $addr) (local.get $old)
              (i64.add (local.get $old) (i64.const 1)))
            (local.get $old)))))
    (func (export "run") (param $t i32) (param $n i32)
      (local $i i32)
      (drop (i32.atomic.rmw.or (i32.const 72)
        (i32.shl (i32.const 1) (local.get $t))))
      (drop (i64.atomic.rmw.or (i32.const 80)
        (i64.shl (i64.const 1) (i64.extend_i32_u (i32.add (local.get $t) (i32.const 32))))))
      (loop $each
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (drop (i32.atomic.rmw16.add_u (i32.const 4) (i32.const 1)))
        (drop (i32.atomic.rmw16.sub_u (i32.const 6) (i32.const 1)))
        (drop (i32.atomic.rmw8.add_u (i32.const 8) (i32.const 1)))
        (drop (i32.atomic.rmw8.add_u (i32.const 9) (i32.const 3)))
        (drop (i64.atomic.rmw.add (i32.const 16) (i64.const 1)))
        (drop (i64.atomic.rmw32.add_u (i32.const 24) (i64.const 1)))
        (drop (i64.atomic.rmw32.add_u (i32.const 28) (i64.const 0x10000)))
        (drop (i64.atomic.rmw16.add_u (i32.const 32) (i64.const 1)))
        (drop (i64.atomic.rmw16.add_u (i32.const 34) (i64.const 2)))
        (drop (i64.atomic.rmw8.add_u (i32.const 40) (i64.const 1)))
        (drop (i64.atomic.rmw8.add_u (i32.const 41) (i64.const 5)))
        (call $cas32 (i32.const 48))
        (call $cas64 (i32.const 56))
        (call $cas8 (i32.const 64))
        (call $cas16 (i32.const 66))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))
      (drop (i32.atomic.rmw.xchg (i32.const 88) (i32.add (local.get $t) (i32.const 1))))))
  (invoke "run" (i32.const 0) (i32.const 300)))

(thread $T1 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func $cas32 (param $addr i32)
      (local $old i32)
      (loop $retry
        (local.set $old (i32.atomic.load (local.get $addr)))
        (br_if $retry
          (i32.ne
            (i32.atomic.rmw.cmpxchg (local.get $addr) (local.get $old)
              (i32.add (local.get $old) (i32.const 1)))
            (local.get $old)))))
    (func $cas64 (param $addr i32)
      (local $old i64)
      (loop $retry
        (local.set $old (i64.atomic.load (local.get $addr)))
        (br_if $retry
          (i64.ne
            (i64.atomic.rmw.cmpxchg (local.get $addr) (local.get $old)
              (i64.add (local.get $old) (i64.const 1)))
            (local.get $old)))))
    (func $cas8 (param $addr i32)
      (local $old i32)
      (loop $retry
        (local.set $old (i32.atomic.load8_u (local.get $addr)))
        (br_if $retry
          (i32.ne
            (i32.atomic.rmw8.cmpxchg_u (local.get $addr) (local.get $old)
              (i32.add (local.get $old) (i32.const 1)))
            (local.get $old)))))
    (func $cas16 (param $addr i32)
      (local $old i64)
      (loop $retry
        (local.set $old (i64.atomic.load16_u (local.get $addr)))
        (br_if $retry
          (i64.ne
            (i64.atomic.rmw16.cmpxchg_u (local.get $addr) (local.get $old)
              (i64.add (local.get $old) (i64.const 1)))
            (local.get $old)))))
    (func (export "run") (param $t i32) (param $n i32)
      (local $i i32)
      (drop (i32.atomic.rmw.or (i32.const 72)
        (i32.shl (i32.const 1) (local.get $t))))
      (drop (i64.atomic.rmw.or (i32.const 80)
        (i64.shl (i64.const 1) (i64.extend_i32_u (i32.add (local.get $t) (i32.const 32))))))
      (loop $each
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (drop (i32.atomic.rmw16.add_u (i32.const 4) (i32.const 1)))
        (drop (i32.atomic.rmw16.sub_u (i32.const 6) (i32.const 1)))
        (drop (i32.atomic.rmw8.add_u (i32.const 8) (i32.const 1)))
        (drop (i32.atomic.rmw8.add_u (i32.const 9) (i32.const 3)))
        (drop (i64.atomic.rmw.add (i32.const 16) (i64.const 1)))
        (drop (i64.atomic.rmw32.add_u (i32.const 24) (i64.const 1)))
        (drop (i64.atomic.rmw32.add_u (i32.const 28) (i64.const 0x10000)))
        (drop (i64.atomic.rmw16.add_u (i32.const 32) (i64.const 1)))
        (drop (i64.atomic.rmw16.add_u (i32.const 34) (i64.const 2)))
        (drop (i64.atomic.rmw8.add_u (i32.const 40) (i64.const 1)))
        (drop (i64.atomic.rmw8.add_u (i32.const 41) (i64.const 5)))
        (call $cas32 (i32.const 48))
        (call $cas64 (i32.const 56))
        (call $cas8 (i32.const 64))
        (call $cas16 (i32.const 66))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))
      (drop (i32.atomic.rmw.xchg (i32.const 88) (i32.add (local.get $t) (i32.const 1))))))
  (invoke "run" (i32.const 1) (i32.const 300)))

(thread $T2 (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func $cas32 (param $addr i32)
      (local $old i32)
      (loop $retry
        (local.set $old (i32.atomic.load (local.get $addr)))
        (br_if $retry
          (i32.ne
            (i32.atomic.rmw.cmpxchg (local.get $addr) (local.get $old)
              (i32.add (local.get $old) (i32.const 1)))
            (local.get $old)))))
    (func $cas64 (param $addr i32)
      (local $old i64)
      (loop $retry
        (local.set $old (i64.atomic.load (local.get $addr)))
        (br_if $retry
          (i64.ne
            (i64.atomic.rmw.cmpxchg (local.get $addr) (local.get $old)
              (i64.add (local.get $old) (i64.const 1)))
            (local.get $old)))))
    (func $cas8 (param $addr i32)
      (local $old i32)
      (loop $retry
        (local.set $old (i32.atomic.load8_u (local.get $addr)))
        (br_if $retry
          (i32.ne
            (i32.atomic.rmw8.cmpxchg_u (local.get $addr) (local.get $old)
              (i32.add (local.get $old) (i32.const 1)))
            (local.get $old)))))
    (func $cas16 (param $addr i32)
      (local $old i64)
      (loop $retry
        (local.set $old (i64.atomic.load16_u (local.get $addr)))
        (br_if $retry
          (i64.ne
            (i64.atomic.rmw16.cmpxchg_u (local.get $addr) (local.get $old)
              (i64.add (local.get $old) (i64.const 1)))
            (local.get $old)))))
    (func (export "run") (param $t i32) (param $n i32)
      (local $i i32)
      (drop (i32.atomic.rmw.or (i32.const 72)
        (i32.shl (i32.const 1) (local.get $t))))
      (drop (i64.atomic.rmw.or (i32.const 80)
        (i64.shl (i64.const 1) (i64.extend_i32_u (i32.add (local.get $t) (i32.const 32))))))
      (loop $each
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (drop (i32.atomic.rmw16.add_u (i32.const 4) (i32.const 1)))
        (drop (i32.atomic.rmw16.sub_u (i32.const 6) (i32.const 1)))
        (drop (i32.atomic.rmw8.add_u (i32.const 8) (i32.const 1)))
        (drop (i32.atomic.rmw8.add_u (i32.const 9) (i32.const 3)))
        (drop (i64.atomic.rmw.add (i32.const 16) (i64.const 1)))
        (drop (i64.atomic.rmw32.add_u (i32.const 24) (i64.const 1)))
        (drop (i64.atomic.rmw32.add_u (i32.const 28) (i64.const 0x10000)))
        (drop (i64.atomic.rmw16.add_u (i32.const 32) (i64.const 1)))
        (drop (i64.atomic.rmw16.add_u (i32.const 34) (i64.const 2)))
        (drop (i64.atomic.rmw8.add_u (i32.const 40) (i64.const 1)))
        (drop (i64.atomic.rmw8.add_u (i32.const 41) (i64.const 5)))
        (call $cas32 (i32.const 48))
        (call $cas64 (i32.const 56))
        (call $cas8 (i32.const 64))
        (call $cas16 (i32.const 66))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))
      (drop (i32.atomic.rmw.xchg (i32.const 88) (i32.add (local.get $t) (i32.const 1))))))
  (invoke "run" (i32.const 2) (i32.const 300)))

(wait $T0)
(wait $T1)
(wait $T2)

;; i32 at 32, 16 and 8 bits.
(assert_return (invoke $Mem "load32" (i32.const 0)) (i32.const 900))
(assert_return (invoke $Mem "load16" (i32.const 4)) (i32.const 900))
(assert_return (invoke $Mem "load16" (i32.const 6)) (i32.const 64636))
(assert_return (invoke $Mem "load8" (i32.const 8)) (i32.const 132))
(assert_return (invoke $Mem "load8" (i32.const 9)) (i32.const 140))
;; i64 at 64, 32, 16 and 8 bits.
(assert_return (invoke $Mem "load64" (i32.const 16)) (i64.const 900))
(assert_return (invoke $Mem "load32" (i32.const 24)) (i32.const 900))
(assert_return (invoke $Mem "load32" (i32.const 28)) (i32.const 58982400))
(assert_return (invoke $Mem "load16" (i32.const 32)) (i32.const 900))
(assert_return (invoke $Mem "load16" (i32.const 34)) (i32.const 1800))
(assert_return (invoke $Mem "load8" (i32.const 40)) (i32.const 132))
(assert_return (invoke $Mem "load8" (i32.const 41)) (i32.const 148))
;; Compare-exchange loops.
(assert_return (invoke $Mem "load32" (i32.const 48)) (i32.const 900))
(assert_return (invoke $Mem "load64" (i32.const 56)) (i64.const 900))
(assert_return (invoke $Mem "load8" (i32.const 64)) (i32.const 132))
(assert_return (invoke $Mem "load16" (i32.const 66)) (i32.const 900))
;; Bits and exchange.
(assert_return (invoke $Mem "load32" (i32.const 72)) (i32.const 7))
(assert_return (invoke $Mem "load64" (i32.const 80)) (i64.const 30064771072))
(assert_return (invoke $Mem "load32" (i32.const 88))
  (either (i32.const 1) (i32.const 2) (i32.const 3)))
;; Bytes between the counters were never touched.
(assert_return (invoke $Mem "load16" (i32.const 10)) (i32.const 0))
(assert_return (invoke $Mem "load64" (i32.const 96)) (i64.const 0))
