;; WASI command model: _start only (no _initialize). _start records that it ran.
(module
  (memory (export "memory") 1)
  (global $started (mut i32) (i32.const 0))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "_start") (global.set $started (i32.const 1)))
  (func (export "started") (result i32) (global.get $started)))
