;; A fixture of jit/tests/stress.rs: see the doc comment on `PUBLISH` there.
(module
  (import "env" "memory" (memory 8 8 shared))
  ;; flags at 0..4n, items (i64) at 4n..12n
  ;; between items the writer idles a pseudo-random 1..1024 steps, so that
  ;; the reader is sometimes ahead (and waits) and sometimes behind
  ;; $plain: set the flags with plain stores (racy, but wait/notify still
  ;; must not lose the wake-up: the store is sequenced before the notify)
  (func (export "write") (param $n i32) (param $plain i32) (local $k i32) (local $idle i32)
    (loop $l
      (local.set $idle (i32.add (i32.const 1)
        (i32.and (i32.mul (local.get $k) (i32.const 7919)) (i32.const 1023))))
      (loop $pause
        (br_if $pause (local.tee $idle (i32.sub (local.get $idle) (i32.const 1)))))
      (i64.store (i32.add (i32.shl (local.get $n) (i32.const 2))
                          (i32.shl (local.get $k) (i32.const 3)))
        (i64.add (i64.extend_i32_u (local.get $k)) (i64.const 0x1_0000_0000)))
      (if (local.get $plain)
        (then (i32.store (i32.shl (local.get $k) (i32.const 2)) (i32.const 1)))
        (else (i32.atomic.store (i32.shl (local.get $k) (i32.const 2)) (i32.const 1))))
      (drop (memory.atomic.notify (i32.shl (local.get $k) (i32.const 2)) (i32.const 1)))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n)))))
  ;; $check: whether the items must be whole (only when the flags are
  ;; set atomically does seeing a flag order the item before it)
  (func (export "read") (param $n i32) (param $check i32) (result i32)
    (local $k i32) (local $waits i32)
    (loop $l
      (block $set
        (loop $wait
          (br_if $set (i32.atomic.load (i32.shl (local.get $k) (i32.const 2))))
          (if (i32.eq (i32.const 2)
                (memory.atomic.wait32 (i32.shl (local.get $k) (i32.const 2))
                  (i32.const 0) (i64.const -1)))
            (then unreachable))
          (local.set $waits (i32.add (local.get $waits) (i32.const 1)))
          (br $wait)))
      (if (i32.and (local.get $check) (i64.ne
            (i64.load (i32.add (i32.shl (local.get $n) (i32.const 2))
                               (i32.shl (local.get $k) (i32.const 3))))
            (i64.add (i64.extend_i32_u (local.get $k)) (i64.const 0x1_0000_0000))))
        (then unreachable))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
    (local.get $waits)))
