;; Writes key "greeting" = "hello" and reads it back; `count` returns how many times `bump`
;; ran across all runs (the number is kept in key "n"). For runner and persistence tests.
;; Rebuild: wat2wasm kv.wat -o kv.wasm
(module
  (import "nx" "db_set" (func $set (param i32 i32 i32 i32) (result i32)))
  (import "nx" "db_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "greeting")
  (data (i32.const 16) "hello")
  (data (i32.const 32) "n")
  (func (export "run") (result i32)
    (drop (call $set (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 5)))
    (call $get (i32.const 0) (i32.const 8) (i32.const 64) (i32.const 16)))
  ;; n = (stored 4-byte n, or 0) + 1
  (func (export "bump") (result i32)
    (local $length i32)
    (local.set $length (call $get (i32.const 32) (i32.const 1) (i32.const 48) (i32.const 4)))
    (if (i32.ne (local.get $length) (i32.const 4)) (then (i32.store (i32.const 48) (i32.const 0))))
    (i32.store (i32.const 48) (i32.add (i32.load (i32.const 48)) (i32.const 1)))
    (drop (call $set (i32.const 32) (i32.const 1) (i32.const 48) (i32.const 4)))
    (i32.load (i32.const 48))))
