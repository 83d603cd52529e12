;; Imports its memory and table: the engine creates them. Stores through the memory.
(module
  (import "env" "memory" (memory 2))
  (import "env" "__indirect_function_table" (table 1 funcref))
  (func $seven (result i32) (i32.const 7))
  (elem (i32.const 0) $seven)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "store") (param $addr i32) (param $value i32)
    (i32.store (local.get $addr) (local.get $value)))
  (func (export "call_indirect0") (result i32) (call_indirect (result i32) (i32.const 0))))
