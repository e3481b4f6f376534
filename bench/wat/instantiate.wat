;; A small module with the parts instantiation has to set up: a memory with
;; two data segments, a table with an element segment, globals of several
;; types, and a handful of functions. Only WebAssembly 2.0 plus threads, the
;; features weft accepts (wasmtime accepts more, e.g. `global.get` of a
;; defined global in a segment offset, which 2.0 does not allow).
(module
  (memory (export "memory") 1 16)
  (global $base i32 (i32.const 1024))
  (global $calls (mut i32) (i32.const 0))
  (global $seed (mut i64) (i64.const 0x2545F4914F6CDD1D))
  (global $scale f64 (f64.const 1.5))
  (table 8 funcref)
  (elem (i32.const 0) $inc $dec $double $halve $inc $dec $double $halve)
  (data (i32.const 0) "weft and wasmtime, instantiated side by side")
  (data (i32.const 1024) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (type $unary (func (param i32) (result i32)))

  (func $inc (type $unary) (i32.add (local.get 0) (i32.const 1)))
  (func $dec (type $unary) (i32.sub (local.get 0) (i32.const 1)))
  (func $double (type $unary) (i32.shl (local.get 0) (i32.const 1)))
  (func $halve (type $unary) (i32.shr_s (local.get 0) (i32.const 1)))

  ;; Applies table entry $n mod 8 to the first data byte plus the sum of the
  ;; second segment, and counts calls: a result that proves the segments and
  ;; the table were initialized.
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $sum i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 16)))
        (local.set $sum
          (i32.add (local.get $sum)
            (i32.load8_u (i32.add (global.get $base) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.extend_i32_u
      (call_indirect (type $unary)
        (i32.add (i32.load8_u (i32.const 0)) (local.get $sum))
        (i32.and (local.get $n) (i32.const 7))))))
