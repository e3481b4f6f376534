;; Grows a host-created shared memory one page at a time. The declared
;; maximum is the 4 GiB limit so that any host-chosen maximum matches.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Grows by one page $n times, checking that each grow returns the size
  ;; before it; returns the final size in pages, or -1 - i if grow i failed.
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne (memory.grow (i32.const 1)) (i32.add (local.get $i) (i32.const 1)))
          (then (return (i64.sub (i64.const -1) (i64.extend_i32_u (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.extend_i32_u (memory.size))))
