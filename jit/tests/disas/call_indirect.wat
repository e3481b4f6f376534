;; call_indirect: table bounds ("undefined element"), null and signature
;; checks before the call.
(module
  (type $t (func (param i32) (result i32)))
  (table 4 funcref)
  (func (export "dispatch") (param i32 i32) (result i32)
    (call_indirect (type $t) (local.get 1) (local.get 0))))
