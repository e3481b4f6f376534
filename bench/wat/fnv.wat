;; FNV-1a (64-bit) over the bytes of a 16 MiB buffer, one `i64.load8_u` per
;; byte with the loop bound a parameter: the shape of real byte-wise hashing
;; (a checksum, a hash table's key hash), i.e. a bounds check per byte
;; unless the loop's range is checked once. `init` fills the buffer with a
;; 32-bit LCG (outside the timed region). The shared variant is this exact
;; text with the memory declared `shared`.
(module
  (memory 256)
  (func (export "init") (param $seed i32) (result i64)
    (local $p i32) (local $x i32)
    (local.set $x (local.get $seed))
    (loop $fill
      (local.set $x
        (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store (local.get $p) (local.get $x))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $fill (i32.lt_u (local.get $p) (i32.const 16777216))))
    (i64.const 0))
  ;; The hash of the first $n bytes.
  (func (export "run") (param $n i32) (result i64)
    (local $p i32) (local $h i64)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $p) (local.get $n)))
        (local.set $h
          (i64.mul
            (i64.xor (local.get $h) (i64.load8_u (local.get $p)))
            (i64.const 0x100000001b3)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (local.get $h)))
