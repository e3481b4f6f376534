;; A strided gather into a dense array, `memcpy`-like: 8-byte words from
;; `src + i*stride` to `dst + i*8`, i.e. two affine accesses of different
;; scales per iteration (a field of an array of structs copied out).
;; `src` is the first 12 MiB, `dst` the last 4 MiB: with a stride of 24 the
;; copy ends exactly at the end of memory. `init` fills `src` with a 32-bit
;; LCG and `check` hashes `dst` (both outside the timed region). The shared
;; variant is this exact text with the memory declared `shared`.
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
      (br_if $fill (i32.lt_u (local.get $p) (i32.const 12582912))))
    (i64.const 0))
  ;; Copies 12 MiB / $stride words; returns how many.
  (func (export "run") (param $stride i32) (result i64)
    (local $i i32) (local $n i32)
    (local.set $n (i32.div_u (i32.const 12582912) (local.get $stride)))
    (block $done
      (loop $word
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.store
          (i32.add (i32.const 12582912) (i32.shl (local.get $i) (i32.const 3)))
          (i64.load (i32.mul (local.get $i) (local.get $stride))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $word)))
    (i64.extend_i32_u (local.get $n)))
  ;; FNV-1a over the $words words at `dst`.
  (func (export "check") (param $words i32) (result i64)
    (local $i i32) (local $h i64)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $word
        (br_if $done (i32.ge_u (local.get $i) (local.get $words)))
        (local.set $h
          (i64.mul
            (i64.xor (local.get $h)
              (i64.load (i32.add (i32.const 12582912) (i32.shl (local.get $i) (i32.const 3)))))
            (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $word)))
    (local.get $h)))
