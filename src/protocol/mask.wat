;; RFC 6455 §5.3 masking kernel, WebAssembly SIMD (v128).
;;
;; WebAssembly cannot read JavaScript buffers, so mask.ts copies one block of
;; payload into this module's memory (TypedArray.set, memcpy speed), calls
;; `mask`, and copies the block back out. The block always starts at address 0,
;; so the caller passes the key already rotated to the phase of the block's
;; first byte.
;;
;; The key is packed little-endian (byte i of the key in bits 8*i), which is
;; exactly how WebAssembly loads 4 bytes, so no byte swapping is needed on any
;; host. Assemble with `node scripts/build-wasm.mjs` (writes mask-wasm.ts).
(module
  ;; One 64 KiB page, never grown: the instance is shared process-wide and
  ;; mask.ts uses at most one block of it.
  (memory (export "memory") 1 1)

  ;; XOR bytes [0, len) of memory with the repeating 4-byte key.
  (func (export "mask") (param $len i32) (param $key i32)
    (local $k v128)
    (local $p i32)
    (local $end i32)
    (local.set $k (i32x4.splat (local.get $key)))

    ;; 64 bytes per iteration: four independent load/xor/store chains. The
    ;; loop is store-bound at this width; unrolling further measured no gain.
    (local.set $end (i32.and (local.get $len) (i32.const -64)))
    (block $done64
      (loop $loop64
        (br_if $done64 (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store offset=0 (local.get $p)
          (v128.xor (v128.load offset=0 (local.get $p)) (local.get $k)))
        (v128.store offset=16 (local.get $p)
          (v128.xor (v128.load offset=16 (local.get $p)) (local.get $k)))
        (v128.store offset=32 (local.get $p)
          (v128.xor (v128.load offset=32 (local.get $p)) (local.get $k)))
        (v128.store offset=48 (local.get $p)
          (v128.xor (v128.load offset=48 (local.get $p)) (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $loop64)))

    ;; Remaining whole 16-byte vectors.
    (local.set $end (i32.and (local.get $len) (i32.const -16)))
    (block $done16
      (loop $loop16
        (br_if $done16 (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (local.get $p)
          (v128.xor (v128.load (local.get $p)) (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $loop16)))

    ;; Remaining whole 4-byte words: $p is a multiple of 16 here, so the key
    ;; phase is still 0.
    (local.set $end (i32.and (local.get $len) (i32.const -4)))
    (block $done4
      (loop $loop4
        (br_if $done4 (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store (local.get $p) (i32.xor (i32.load (local.get $p)) (local.get $key)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $loop4)))

    ;; Up to 3 tail bytes: key byte 0, 1, 2 in turn (store8 keeps the low byte).
    (block $done1
      (loop $loop1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $len)))
        (i32.store8 (local.get $p) (i32.xor (i32.load8_u (local.get $p)) (local.get $key)))
        (local.set $key (i32.shr_u (local.get $key) (i32.const 8)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $loop1))))
)
