;; Shared memories imported, exported and re-exported across modules and
;; threads: every path must lead to the same memory.

(module $A
  (memory (export "m") 1 4 shared)
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "size") (result i32) (memory.size)))
(register "A" $A)

;; B imports A's memory and re-exports it.
(module $B
  (memory (import "A" "m") 1 4 shared)
  (export "m2" (memory 0))
  (func (export "add") (param i32 i32) (result i32)
    (i32.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
(register "B" $B)

;; C imports the re-export, with looser limits than the memory's own.
(module $C
  (import "B" "m2" (memory 0 8 shared))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "size") (result i32) (memory.size)))

(invoke $A "store" (i32.const 0) (i32.const 5))
(assert_return (invoke $B "add" (i32.const 0) (i32.const 2)) (i32.const 5))
(assert_return (invoke $C "load" (i32.const 0)) (i32.const 7))
(assert_return (invoke $A "load" (i32.const 0)) (i32.const 7))

;; Growth through one importer is seen by all.
(assert_return (invoke $B "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke $A "size") (i32.const 2))
(assert_return (invoke $C "size") (i32.const 2))
(invoke $A "store" (i32.const 65536) (i32.const 9))
(assert_return (invoke $C "load" (i32.const 65536)) (i32.const 9))

;; Sharedness and limits must match.
(assert_unlinkable
  (module (import "A" "m" (memory 1 4)))
  "incompatible import type")
(module $U (memory (export "u") 1 4))
(register "U" $U)
(assert_unlinkable
  (module (import "U" "u" (memory 1 4 shared)))
  "incompatible import type")
(assert_unlinkable
  (module (import "A" "m" (memory 1 3 shared)))
  "incompatible import type")
(assert_unlinkable
  (module (import "A" "m" (memory 3 4 shared)))
  "incompatible import type")
(assert_unlinkable
  (module (import "spectest" "shared_memory" (memory 1 1)))
  "incompatible import type")

;; Two threads reach the memory by different routes: one imports A's export,
;; the other B's re-export. 100 increments each at 64.
(thread $ViaA (shared (module $A))
  (register "A" $A)
  (module
    (memory (import "A" "m") 1 4 shared)
    (func (export "run")
      (local $i i32)
      (loop $each
        (drop (i32.atomic.rmw.add (i32.const 64) (i32.const 1)))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 100))))))
  (invoke "run"))
(thread $ViaB (shared (module $B))
  (register "B" $B)
  (module
    (memory (import "B" "m2") 1 4 shared)
    (func (export "run")
      (local $i i32)
      (loop $each
        (drop (i32.atomic.rmw.add (i32.const 64) (i32.const 1)))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 100))))))
  (invoke "run"))

;; Two threads import spectest's shared memory, which is one memory for the
;; whole script. 100 increments each at 0; each also copies spectest's
;; global_i32 to 8.
(thread $Spec1
  (module
    (import "spectest" "print_i32" (func $print (param i32)))
    (import "spectest" "global_i32" (global $g i32))
    (memory (import "spectest" "shared_memory") 1 1 shared)
    (func (export "run")
      (local $i i32)
      (loop $each
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 100))))
      ;; The rest of spectest is there on every thread too.
      (call $print (global.get $g))
      (i32.atomic.store (i32.const 8) (global.get $g))))
  (invoke "run"))
(thread $Spec2
  (module
    (import "spectest" "print_i32" (func $print (param i32)))
    (import "spectest" "global_i32" (global $g i32))
    (memory (import "spectest" "shared_memory") 1 1 shared)
    (func (export "run")
      (local $i i32)
      (loop $each
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (br_if $each
          (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (i32.const 100))))
      ;; The rest of spectest is there on every thread too.
      (call $print (global.get $g))
      (i32.atomic.store (i32.const 8) (global.get $g))))
  (invoke "run"))

(wait $ViaA)
(wait $ViaB)
(wait $Spec1)
(wait $Spec2)

(assert_return (invoke $C "load" (i32.const 64)) (i32.const 200))
(module $Spec
  (import "spectest" "shared_memory" (memory 1 1 shared))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0))))
(assert_return (invoke $Spec "load" (i32.const 0)) (i32.const 200))
(assert_return (invoke $Spec "load" (i32.const 8)) (i32.const 666))
