;; A shared memory can be grown by another thread at any moment: each check
;; loads the current length atomically and compares with it, one branch to
;; the trap exit and no re-check block (`docs/jit.md`, "Shared memories:
;; a fresh length per check").
(module
  (memory 1 2 shared)
  (func (export "copy_word") (param i32 i32)
    (i32.store offset=4 (local.get 1) (i32.load offset=8 (local.get 0)))))
