;; A 0.1.0 module: two-parameter header callbacks.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_1_0"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (local.get 1))
  (func (export "proxy_on_response_headers") (param i32 i32) (result i32) (i32.const 0)))
