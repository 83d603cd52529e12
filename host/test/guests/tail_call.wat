;; Tail calls (return_call): run by the interpreter.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func $count (export "count_down") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 42))
      (else (return_call $count (i32.sub (local.get $n) (i32.const 1)))))))
