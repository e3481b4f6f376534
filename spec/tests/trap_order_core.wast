;; Instructions that could trap for more than one reason, one assertion per
;; pair of reasons, so that both engines report the same one. The order is
;; the one the Wasm 2.0 execution steps (and the reference interpreter)
;; reach first.

;; Integer division: `div_s` with a zero divisor traps "integer divide by
;; zero" even when the dividend is the one value that overflows with -1;
;; `rem_s` of that value by -1 is 0, not a trap.
(module
  (func (export "i32.div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "i32.rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "i32.div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "i64.div_s") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
  (func (export "i64.rem_s") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "i64.rem_u") (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1))))

(assert_trap (invoke "i32.div_s" (i32.const 0x80000000) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "i32.div_s" (i32.const 0x80000000) (i32.const -1)) "integer overflow")
(assert_trap (invoke "i32.rem_s" (i32.const 0x80000000) (i32.const 0)) "integer divide by zero")
(assert_return (invoke "i32.rem_s" (i32.const 0x80000000) (i32.const -1)) (i32.const 0))
(assert_trap (invoke "i32.div_u" (i32.const 0x80000000) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "i64.div_s" (i64.const 0x8000000000000000) (i64.const 0)) "integer divide by zero")
(assert_trap (invoke "i64.div_s" (i64.const 0x8000000000000000) (i64.const -1)) "integer overflow")
(assert_trap (invoke "i64.rem_s" (i64.const 0x8000000000000000) (i64.const 0)) "integer divide by zero")
(assert_return (invoke "i64.rem_s" (i64.const 0x8000000000000000) (i64.const -1)) (i64.const 0))
(assert_trap (invoke "i64.rem_u" (i64.const -1) (i64.const 0)) "integer divide by zero")

;; Float-to-integer truncation: a NaN (of either sign, any payload) traps
;; "invalid conversion to integer", never "integer overflow", though no
;; NaN is in range; infinities and finite values out of range overflow.
(module
  (func (export "i32.trunc_f32_s") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "i32.trunc_f64_u") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
  (func (export "i64.trunc_f64_s") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))
  (func (export "i64.trunc_f32_u") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
  (func (export "i32.trunc_sat_f32_s") (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0))))

(assert_trap (invoke "i32.trunc_f32_s" (f32.const nan)) "invalid conversion to integer")
(assert_trap (invoke "i32.trunc_f32_s" (f32.const -nan:0x200000)) "invalid conversion to integer")
(assert_trap (invoke "i32.trunc_f32_s" (f32.const inf)) "integer overflow")
(assert_trap (invoke "i32.trunc_f32_s" (f32.const -inf)) "integer overflow")
(assert_trap (invoke "i32.trunc_f32_s" (f32.const 2147483648)) "integer overflow")
(assert_return (invoke "i32.trunc_f32_s" (f32.const -2147483648)) (i32.const 0x80000000))
(assert_trap (invoke "i32.trunc_f64_u" (f64.const -nan)) "invalid conversion to integer")
(assert_trap (invoke "i32.trunc_f64_u" (f64.const -1)) "integer overflow")
(assert_return (invoke "i32.trunc_f64_u" (f64.const -0.9)) (i32.const 0))
(assert_trap (invoke "i32.trunc_f64_u" (f64.const 4294967296)) "integer overflow")
(assert_trap (invoke "i64.trunc_f64_s" (f64.const nan:0x1)) "invalid conversion to integer")
(assert_trap (invoke "i64.trunc_f64_s" (f64.const 9223372036854775808)) "integer overflow")
(assert_trap (invoke "i64.trunc_f32_u" (f32.const -nan:0x1)) "invalid conversion to integer")
(assert_trap (invoke "i64.trunc_f32_u" (f32.const -inf)) "integer overflow")
;; The saturating forms trap for neither reason.
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const nan)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -inf)) (i32.const 0x80000000))

;; call_indirect: an index past the table traps "undefined element" even
;; when every element has the wrong type; a null element traps
;; "uninitialized element" whatever the type asked for (a null has no type
;; to mismatch); only a present element of another type is a mismatch.
(module
  (type $i (func (result i32)))
  (type $l (func (result i64)))
  (type $never (func (param f64 f64 f64) (result f32)))
  (table $t 3 3 funcref)
  (elem (table $t) (i32.const 0) func $one $wide)
  (func $one (type $i) (i32.const 1))
  (func $wide (type $l) (i64.const 2))
  (func (export "as_i") (param i32) (result i32) (call_indirect $t (type $i) (local.get 0)))
  (func (export "as_never") (param i32) (result f32)
    (call_indirect $t (type $never) (f64.const 0) (f64.const 0) (f64.const 0) (local.get 0))))

(assert_return (invoke "as_i" (i32.const 0)) (i32.const 1))
(assert_trap (invoke "as_i" (i32.const 1)) "indirect call type mismatch")
(assert_trap (invoke "as_i" (i32.const 2)) "uninitialized element")
(assert_trap (invoke "as_never" (i32.const 2)) "uninitialized element")
(assert_trap (invoke "as_never" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "as_never" (i32.const 3)) "undefined element")
(assert_trap (invoke "as_i" (i32.const 3)) "undefined element")
(assert_trap (invoke "as_i" (i32.const -1)) "undefined element")

;; Bulk memory: out of bounds at the destination and at the source is one
;; trap, and no byte is written before it; a dropped data segment is an
;; empty one, so only a non-empty range of it is out of bounds.
(module
  (memory 1 1)
  (data $d "abcd")
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $d))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))

(assert_trap (invoke "copy" (i32.const 65535) (i32.const 65535) (i32.const 2)) "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 65530) (i32.const 0x10000) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "fill" (i32.const 65535) (i32.const 7) (i32.const 2)) "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 65535)) (i32.const 0))
;; Past the segment and past the memory: out of bounds, nothing written.
(assert_trap (invoke "init" (i32.const 65534) (i32.const 3) (i32.const 2)) "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 65534)) (i32.const 0))
(assert_return (invoke "init" (i32.const 65536) (i32.const 4) (i32.const 0)))
(invoke "drop")
(assert_return (invoke "init" (i32.const 0) (i32.const 0) (i32.const 0)))
(assert_trap (invoke "init" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "init" (i32.const 65536) (i32.const 0) (i32.const 1)) "out of bounds memory access")

;; Bulk table operations: the same for tables; table.init's segment and
;; table.copy's source being out of bounds together with the destination is
;; one trap, and no element changes.
(module
  (table $t 2 2 funcref)
  (elem $e func $f $f)
  (func $f)
  (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (table.init $t $e (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $f) (local.get 1)))
  (func (export "drop") (elem.drop $e))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0)))))

(assert_trap (invoke "init" (i32.const 1) (i32.const 1) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "is_null" (i32.const 1)) (i32.const 1))
(assert_trap (invoke "fill" (i32.const 1) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "is_null" (i32.const 1)) (i32.const 1))
(assert_trap (invoke "copy" (i32.const 1) (i32.const 1) (i32.const 2)) "out of bounds table access")
(invoke "drop")
(assert_return (invoke "init" (i32.const 2) (i32.const 0) (i32.const 0)))
(assert_trap (invoke "init" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds table access")
(assert_trap (invoke "init" (i32.const 3) (i32.const 0) (i32.const 0)) "out of bounds table access")
