;; Initial memory of 16385 pages, one more than the host's 1 GiB cap.
(module
  (memory (export "memory") 16385)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024)))
