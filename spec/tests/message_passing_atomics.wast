;; Message passing through a shared memory with atomics only.
;;
;; The producer writes a payload with plain stores, then publishes a flag
;; with a sequentially consistent atomic store. The consumer spins on an
;; atomic load of the flag and then reads the payload with plain loads. The
;; atomic store/load pair orders the plain accesses, so whichever way the
;; threads interleave, the consumer must see the whole payload.

(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "load") (param i32) (result i32)
    (i32.atomic.load (local.get 0))))

(thread $Producer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (local $i i32)
      ;; Payload: words 16..16+4*64 hold 1000+i.
      (loop $fill
        (i32.store offset=16
          (i32.shl (local.get $i) (i32.const 2))
          (i32.add (i32.const 1000) (local.get $i)))
        (br_if $fill
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 64))))
      ;; Publish.
      (i32.atomic.store (i32.const 0) (i32.const 1))))
  (invoke "run"))

(thread $Consumer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    ;; Returns the number of payload words that were not what the producer
    ;; wrote before publishing: must be 0.
    (func (export "run") (result i32)
      (local $i i32) (local $bad i32)
      (loop $spin
        (br_if $spin (i32.eqz (i32.atomic.load (i32.const 0)))))
      (loop $check
        (if (i32.ne
              (i32.load offset=16 (i32.shl (local.get $i) (i32.const 2)))
              (i32.add (i32.const 1000) (local.get $i)))
          (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
        (br_if $check
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 64))))
      ;; Record that the consumer ran to completion.
      (i32.atomic.store (i32.const 4) (i32.const 1))
      (local.get $bad)))
  (assert_return (invoke "run") (i32.const 0)))

(wait $Producer)
(wait $Consumer)

(assert_return (invoke $Mem "load" (i32.const 0)) (i32.const 1))
(assert_return (invoke $Mem "load" (i32.const 4)) (i32.const 1))
(assert_return (invoke $Mem "load" (i32.const 16)) (i32.const 1000))
(assert_return (invoke $Mem "load" (i32.const 268)) (i32.const 1063))
