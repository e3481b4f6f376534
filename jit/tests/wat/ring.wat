;; A fixture of jit/tests/stress.rs: see the doc comment on `RING` there.
(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "ring") (param $k i32) (param $threads i32) (param $rounds i32) (result i32)
    (local $r i32) (local $v i32) (local $res i32) (local $woken i32)
    (local $my i32) (local $next i32)
    (local.set $my (i32.add (i32.const 256) (i32.shl (local.get $k) (i32.const 2))))
    (local.set $next (i32.add (i32.const 256)
      (i32.shl (i32.rem_u (i32.add (local.get $k) (i32.const 1)) (local.get $threads))
        (i32.const 2))))
    (loop $round
      (block $have_token
        (loop $wait
          (local.set $v (i32.atomic.load (local.get $my)))
          (br_if $have_token (i32.gt_u (local.get $v) (local.get $r)))
          (local.set $res
            (memory.atomic.wait32 (local.get $my) (local.get $v) (i64.const -1)))
          ;; an infinite wait never times out
          (if (i32.eq (local.get $res) (i32.const 2)) (then unreachable))
          (local.set $woken (i32.add (local.get $woken) (i32.eqz (local.get $res))))
          (br $wait)))
      ;; the token arrives exactly once per round
      (if (i32.ne (local.get $v) (i32.add (local.get $r) (i32.const 1))) (then unreachable))
      (if (i32.ne (i32.load (i32.const 512))
                  (i32.add (i32.mul (local.get $r) (local.get $threads)) (local.get $k)))
        (then unreachable))
      (i32.store (i32.const 512) (i32.add (i32.load (i32.const 512)) (i32.const 1)))
      (drop (i32.atomic.rmw.add (local.get $next) (i32.const 1)))
      (drop (memory.atomic.notify (local.get $next) (i32.const 1)))
      (br_if $round (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1)))
                              (local.get $rounds))))
    (local.get $woken)))
