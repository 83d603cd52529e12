;; A wasm start section that calls a host function during instantiation.
(module
  (import "test" "count" (func $count))
  (memory (export "memory") 1)
  (func $init (call $count))
  (start $init)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024)))
