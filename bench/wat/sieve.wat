;; Sieve of Eratosthenes over one byte per number: byte loads and stores at
;; data-dependent addresses, i.e. bounds checks on a hot loop. The shared
;; variant is this exact text with the memory declared `shared`.
(module
  (memory 16)

  ;; Returns how many primes are below $n (at most 16 pages = 1 MiB).
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $count i32)
    ;; Clear the flags: 0 = still a prime candidate.
    (block $cleared
      (loop $clear
        (br_if $cleared (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (local.get $i) (i32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $clear)))
    ;; Cross out the multiples of every prime up to sqrt(n).
    (local.set $i (i32.const 2))
    (block $crossed
      (loop $next_prime
        (br_if $crossed
          (i32.ge_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
        (if (i32.eqz (i32.load8_u (local.get $i)))
          (then
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $done
              (loop $multiple
                (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
                (i32.store8 (local.get $j) (i32.const 1))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $multiple)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next_prime)))
    ;; Count what is left.
    (local.set $i (i32.const 2))
    (block $counted
      (loop $count_next
        (br_if $counted (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $count
          (i32.add (local.get $count) (i32.eqz (i32.load8_u (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $count_next)))
    (i64.extend_i32_u (local.get $count))))
