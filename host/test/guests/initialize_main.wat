;; Reactor with main: the host calls _initialize, then main(0, 0). Each records its turn.
(module
  (memory (export "memory") 1)
  (global $order (mut i32) (i32.const 0))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "_initialize")
    (global.set $order (i32.add (i32.mul (global.get $order) (i32.const 10)) (i32.const 1))))
  (func (export "main") (param i32 i32) (result i32)
    (global.set $order (i32.add (i32.mul (global.get $order) (i32.const 10)) (i32.const 2)))
    (i32.const 0))
  (func (export "__main_void") (result i32) (i32.const 0))
  (func (export "order") (result i32) (global.get $order)))
