;; memory.atomic.wait32 is a builtin call: the effective address (an i64)
;; and the signed i64 timeout are passed as they are, and the result is a
;; value or a negated trap code. notify is called the same way.
(module
  (memory 1 1 shared)
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 offset=8 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1))))
