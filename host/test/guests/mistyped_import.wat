;; Imports env.proxy_log with the wrong type: (i32) -> i32 instead of (i32, i32, i32) -> i32.
(module
  (import "env" "proxy_log" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024)))
