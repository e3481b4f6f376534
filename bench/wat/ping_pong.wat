;; Two threads hand a token back and forth through word 0 of a shared
;; memory: "ping" sets it to 1 and waits until it is 0 again, "pong" waits
;; until it is 1 and sets it back to 0. Every hand-off notifies, whether or
;; not the other side is asleep yet, as straightforward wasm code does.
;;
;; Waits time out after 10 s so that a broken runtime ends the benchmark with
;; an error (result -1) instead of hanging it.
(module
  (import "env" "memory" (memory 1 1 shared))

  (func (export "ping") (param $n i32) (result i64)
    (local $i i32)
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.atomic.store (i32.const 0) (i32.const 1))
        (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
        (block $returned
          (loop $wait
            (br_if $returned (i32.ne (i32.atomic.load (i32.const 0)) (i32.const 1)))
            (if (i32.eq
                  (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const 10_000_000_000))
                  (i32.const 2))
              (then (return (i64.const -1))))
            (br $wait)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $round)))
    (i64.extend_i32_u (local.get $i)))

  (func (export "pong") (param $n i32) (result i64)
    (local $i i32)
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $arrived
          (loop $wait
            (br_if $arrived (i32.ne (i32.atomic.load (i32.const 0)) (i32.const 0)))
            (if (i32.eq
                  (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 10_000_000_000))
                  (i32.const 2))
              (then (return (i64.const -1))))
            (br $wait)))
        (i32.atomic.store (i32.const 0) (i32.const 0))
        (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $round)))
    (i64.extend_i32_u (local.get $i))))
