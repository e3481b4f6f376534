;; Loop versioning of a while loop (sieve's crossing-out loop): the guard
;; `br_if $done (i32.ge_u j n)` bounds `j <u n` at the store, so one range
;; check before the loop (`max(n, 1) - 1 + 1 <= length`) chooses between
;; a copy whose store has no bounds check and the checked loop. Both
;; continuations meet in one join block.
(module
  (memory 1)
  (func (export "cross") (param $j i32) (param $step i32) (param $n i32)
    (block $done
      (loop $multiple
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (i32.store8 (local.get $j) (i32.const 1))
        (local.set $j (i32.add (local.get $j) (local.get $step)))
        (br $multiple)))))
