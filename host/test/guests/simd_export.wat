;; Uses SIMD internally and exports one function with a v128 parameter (which the engine seam
;; cannot express: it is left out of the export list).
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "takes_v128") (param v128) (result i32) (i32x4.extract_lane 0 (local.get 0)))
  (func (export "lane_sum") (result i32)
    (i32x4.extract_lane 3
      (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40)))))
