;; table.fill is a builtin call returning a trap code, raised if non-zero;
;; elem.drop returns nothing and is not checked.
(module
  (table 4 funcref)
  (elem $e func $f)
  (func $f)
  (func (export "fill") (param i32 i32)
    (table.fill (local.get 0) (ref.func $f) (local.get 1))
    (elem.drop $e)))
