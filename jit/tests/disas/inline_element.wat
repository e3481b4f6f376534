;; matmul's `$element`, a leaf computing an address, is inlined at its
;; direct call: its parameters are the caller's values, its result goes
;; straight into the caller's load and bounds check, no call, no status
;; check, no length reload. It cannot trap, so it has no trap exits. Its own
;; body is still compiled (an export, a table or a larger caller may call
;; it).
(module
  (memory 8)
  (func $element (param $base i32) (param $n i32) (param $i i32) (param $j i32) (result i32)
    (i32.add (local.get $base)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
        (i32.const 3))))
  (func (export "load_element") (param $b i32) (param $n i32) (param $k i32) (param $j i32) (result f64)
    (f64.load (call $element (local.get $b) (local.get $n) (local.get $k) (local.get $j)))))
