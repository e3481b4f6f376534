;; A fixture of jit/tests/stress.rs: see the doc comment on `SLEEPERS` there.
(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "sleep") (result i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1)))
  (func (export "notify") (param i32) (result i32)
    (memory.atomic.notify (i32.const 4) (local.get 0))))
