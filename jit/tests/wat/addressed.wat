;; A fixture of jit/tests/stress.rs: see the doc comment on `ADDRESSED` there.
(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "wait_at") (param $index i32) (param $addr i32) (result i32)
    (i32.atomic.store (i32.add (i32.const 1024) (i32.shl (local.get $index) (i32.const 2)))
      (i32.const 1))
    (memory.atomic.wait32 (local.get $addr) (i32.const 0) (i64.const -1))))
