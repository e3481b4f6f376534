;; A parallel byte histogram on one shared memory, for weft's demo.
;;
;; Every host thread instantiates this module in its own Store, importing the
;; same shared memory, and calls `worker(tid)`. The threads synchronize only
;; through wasm: a mutex and a barrier built from atomics and
;; memory.atomic.wait32/notify. The barrier matters for the result: each
;; thread first fills its own chunk of the data, then histograms its
;; *neighbour's* chunk, which is only complete once the neighbour passed the
;; barrier. `sequential` recomputes the histogram from the generator alone,
;; and `verify` compares the two.
;;
;; Memory layout (bytes):
;;   0      mutex word (0 free, 1 locked, 2 locked with sleepers)
;;   4      barrier arrivals
;;   8      barrier generation
;;   12     number of threads
;;   16     data length in bytes
;;   1024   the shared histogram, 256 x i32, written under the mutex
;;   2048   the sequential histogram, 256 x i32
;;   4096   per-thread private histograms, 1 KiB each (at most 60 threads)
;;   65536  the data, one byte per element
(module
  (import "env" "memory" (memory 1 4096 shared))

  (global $MUTEX i32 (i32.const 0))
  (global $ARRIVED i32 (i32.const 4))
  (global $GENERATION i32 (i32.const 8))
  (global $NTHREADS i32 (i32.const 12))
  (global $LEN i32 (i32.const 16))
  (global $HIST i32 (i32.const 1024))
  (global $SEQ_HIST i32 (i32.const 2048))
  (global $LOCAL i32 (i32.const 4096))
  (global $DATA i32 (i32.const 65536))
  (global $MAX_THREADS i32 (i32.const 60))

  ;; The generator: a hashed index, skewed towards small values so that the
  ;; histogram has a shape worth printing.
  (func $byte_at (param $i i32) (result i32)
    (local $x i32)
    (local.set $x (i32.mul (local.get $i) (i32.const 0x9E3779B1)))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 15))))
    (local.set $x (i32.mul (local.get $x) (i32.const 0x85EBCA77)))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 13))))
    (select
      (i32.shr_u (local.get $x) (i32.const 24))
      (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 255))
      (i32.lt_u (i32.shr_u (local.get $x) (i32.const 24))
                (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 255)))))

  ;; A futex-style mutex: 0 free, 1 locked, 2 locked and someone may sleep.
  (func $lock
    (local $c i32)
    (local.set $c (i32.atomic.rmw.cmpxchg (global.get $MUTEX) (i32.const 0) (i32.const 1)))
    (if (local.get $c)
      (then
        (if (i32.ne (local.get $c) (i32.const 2))
          (then (local.set $c (i32.atomic.rmw.xchg (global.get $MUTEX) (i32.const 2)))))
        (block $acquired
          (loop $retry
            (br_if $acquired (i32.eqz (local.get $c)))
            (drop (memory.atomic.wait32 (global.get $MUTEX) (i32.const 2) (i64.const -1)))
            (local.set $c (i32.atomic.rmw.xchg (global.get $MUTEX) (i32.const 2)))
            (br $retry))))))

  (func $unlock
    ;; Old value 2 means someone may sleep: hand over by waking one.
    (if (i32.ne (i32.atomic.rmw.sub (global.get $MUTEX) (i32.const 1)) (i32.const 1))
      (then
        (i32.atomic.store (global.get $MUTEX) (i32.const 0))
        (drop (memory.atomic.notify (global.get $MUTEX) (i32.const 1))))))

  ;; A generation barrier: the last thread to arrive resets the count, bumps
  ;; the generation and wakes everyone; the others sleep until the generation
  ;; moves. Waits loop, so a spurious or stale wake-up is harmless.
  (func $barrier
    (local $gen i32)
    (local.set $gen (i32.atomic.load (global.get $GENERATION)))
    (if (i32.eq (i32.add (i32.atomic.rmw.add (global.get $ARRIVED) (i32.const 1)) (i32.const 1))
                (i32.atomic.load (global.get $NTHREADS)))
      (then
        (i32.atomic.store (global.get $ARRIVED) (i32.const 0))
        (drop (i32.atomic.rmw.add (global.get $GENERATION) (i32.const 1)))
        (drop (memory.atomic.notify (global.get $GENERATION) (i32.const -1))))
      (else
        (block $released
          (loop $sleep
            (br_if $released (i32.ne (i32.atomic.load (global.get $GENERATION)) (local.get $gen)))
            (drop (memory.atomic.wait32 (global.get $GENERATION) (local.get $gen) (i64.const -1)))
            (br $sleep))))))

  ;; The half-open range [start, end) of thread `tid`'s chunk.
  (func $chunk (param $tid i32) (result i32 i32)
    (local $n i32) (local $len i32) (local $size i32)
    (local.set $n (i32.atomic.load (global.get $NTHREADS)))
    (local.set $len (i32.atomic.load (global.get $LEN)))
    (local.set $size (i32.div_u (local.get $len) (local.get $n)))
    (i32.mul (local.get $tid) (local.get $size))
    (select
      (local.get $len)
      (i32.mul (i32.add (local.get $tid) (i32.const 1)) (local.get $size))
      (i32.eq (local.get $tid) (i32.sub (local.get $n) (i32.const 1)))))

  (func $zero_bins (param $at i32)
    (memory.fill (local.get $at) (i32.const 0) (i32.const 1024)))

  ;; Prepares a run of `nthreads` threads over `len` bytes; grows the memory
  ;; to fit. Returns 0, or -1 when the arguments or the memory do not allow it.
  (func (export "setup") (param $nthreads i32) (param $len i32) (result i32)
    (local $needed i32)
    (if (i32.or (i32.eqz (local.get $nthreads)) (i32.gt_u (local.get $nthreads) (global.get $MAX_THREADS)))
      (then (return (i32.const -1))))
    (if (i32.gt_u (local.get $len) (i32.const 0x0F000000))
      (then (return (i32.const -1))))
    ;; Pages needed for DATA + len, rounded up.
    (local.set $needed
      (i32.shr_u (i32.add (i32.add (global.get $DATA) (local.get $len)) (i32.const 0xFFFF)) (i32.const 16)))
    (if (i32.gt_u (local.get $needed) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $needed) (memory.size))) (i32.const -1))
          (then (return (i32.const -1))))))
    (i32.atomic.store (global.get $MUTEX) (i32.const 0))
    (i32.atomic.store (global.get $ARRIVED) (i32.const 0))
    (i32.atomic.store (global.get $NTHREADS) (local.get $nthreads))
    (i32.atomic.store (global.get $LEN) (local.get $len))
    (call $zero_bins (global.get $HIST))
    (i32.const 0))

  ;; One thread's whole job.
  (func (export "worker") (param $tid i32)
    (local $i i32) (local $end i32) (local $bins i32) (local $slot i32) (local $b i32)
    ;; Phase 1: fill this thread's chunk.
    (call $chunk (local.get $tid))
    (local.set $end)
    (local.set $i)
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $end)))
        (i32.store8 (i32.add (global.get $DATA) (local.get $i)) (call $byte_at (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (call $barrier)
    ;; Phase 2: histogram the neighbour's chunk into private bins.
    (local.set $bins (i32.add (global.get $LOCAL) (i32.shl (local.get $tid) (i32.const 10))))
    (call $zero_bins (local.get $bins))
    (call $chunk (i32.rem_u (i32.add (local.get $tid) (i32.const 1)) (i32.atomic.load (global.get $NTHREADS))))
    (local.set $end)
    (local.set $i)
    (block $counted
      (loop $count
        (br_if $counted (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $slot
          (i32.add (local.get $bins)
                   (i32.shl (i32.load8_u (i32.add (global.get $DATA) (local.get $i))) (i32.const 2))))
        (i32.store (local.get $slot) (i32.add (i32.load (local.get $slot)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $count)))
    ;; Phase 3: merge into the shared histogram under the mutex, with plain
    ;; loads and stores: the mutex alone keeps them from racing.
    (call $lock)
    (local.set $b (i32.const 0))
    (block $merged
      (loop $merge
        (br_if $merged (i32.ge_u (local.get $b) (i32.const 1024)))
        (local.set $slot (i32.add (global.get $HIST) (local.get $b)))
        (i32.store (local.get $slot)
                   (i32.add (i32.load (local.get $slot))
                            (i32.load (i32.add (local.get $bins) (local.get $b)))))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $merge)))
    (call $unlock)
    (call $barrier))

  ;; The same histogram on one thread, from the generator alone.
  (func (export "sequential")
    (local $i i32) (local $len i32) (local $slot i32)
    (call $zero_bins (global.get $SEQ_HIST))
    (local.set $len (i32.atomic.load (global.get $LEN)))
    (block $done
      (loop $count
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $slot
          (i32.add (global.get $SEQ_HIST) (i32.shl (call $byte_at (local.get $i)) (i32.const 2))))
        (i32.store (local.get $slot) (i32.add (i32.load (local.get $slot)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $count))))

  ;; The number of bins where the parallel and sequential histograms differ.
  (func (export "verify") (result i32)
    (local $b i32) (local $wrong i32)
    (block $done
      (loop $compare
        (br_if $done (i32.ge_u (local.get $b) (i32.const 1024)))
        (if (i32.ne (i32.load (i32.add (global.get $HIST) (local.get $b)))
                    (i32.load (i32.add (global.get $SEQ_HIST) (local.get $b))))
          (then (local.set $wrong (i32.add (local.get $wrong) (i32.const 1)))))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $compare)))
    (local.get $wrong))

  ;; Bin `b` of the shared histogram, for the host to print.
  (func (export "bin") (param $b i32) (result i32)
    (i32.load (i32.add (global.get $HIST) (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2))))))
