;; Multi-value blocks and br_table carrying a value.
(module
  (func (export "pick") (param i32) (result i32)
    (block $b (result i32)
      (block $a (result i32)
        (br_table $a $b (i32.const 7) (local.get 0)))
      (i32.const 1)
      (i32.add))))
