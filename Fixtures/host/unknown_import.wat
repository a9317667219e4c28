;; Imports a function the nx contract does not have, for link-error tests.
;; Rebuild: wat2wasm unknown_import.wat -o unknown_import.wasm
(module
  (import "nx" "db_teleport" (func $teleport (param i32) (result i32)))
  (func (export "run") (drop (call $teleport (i32.const 1)))))
