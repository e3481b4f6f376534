;; memory.grow is a builtin call: the builtin table's pointer is loaded from
;; the VMContext header, the entry at memory_grow's index from the table,
;; and the i64 "value or negated trap code" result is split: a negative one
;; is raised, the low 32 bits are the old size (or -1). The cached length
;; of the unshared memory is reloaded after the grow.
(module
  (memory 1)
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0))))
