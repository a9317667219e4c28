;; A module whose `run` traps two calls deep (unreachable in $explode), for CLI error tests.
;; Rebuild: wat2wasm --debug-names trap.wat -o trap.wasm
(module
  (import "nx" "host_log_v2" (func $log (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "about to fail")
  (func $explode unreachable)
  (func $middle call $explode)
  (func (export "run")
    (drop (call $log (i32.const 16) (i32.const 13)))
    call $middle))
