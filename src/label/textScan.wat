;; The text check's byte pass in WebAssembly SIMD, 16 bytes at a time (src/label/textScan.ts).
;; `npm run build` compiles it into textScanWasm.ts; a test fails when that copy is stale.
;;
;; scan(len, count): the bytes are at 0..len of memory. Returns the index of the first control
;; byte a label may not hold (below 0x20 but tab, LF and CR, or DEL), or -1. When it returns -1
;; and `count` is set, the global `escapes` holds the bytes JSON escapes to two: tab, LF, CR,
;; quote and backslash.
;;
;; Most blocks hold no byte below 0x20 and no DEL: three operations find that, and only a block
;; that does is looked at again to tell tab, LF and CR from the rest. Escapes are counted per
;; lane in a vector (a match is -1, subtracted) and summed every 255 blocks, before a lane can
;; overflow.
(module
  (memory (export "memory") 1)
  (global $escapes (export "escapes") (mut i32) (i32.const 0))

  ;; The index of the first refused byte of the block at $p, or -1 when its control bytes are all
  ;; tab, LF or CR.
  (func $refused (param $p i32) (param $v v128) (result i32)
    (local $bad v128)
    (local.set $bad
      (v128.or
        (v128.andnot
          (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
          (v128.or
            (v128.or
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x09)))
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0a))))
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0d)))))
        (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x7f)))))
    (if (result i32) (v128.any_true (local.get $bad))
      (then (i32.add (local.get $p) (i32.ctz (i8x16.bitmask (local.get $bad)))))
      (else (i32.const -1))))

  ;; The lanes of a count vector, summed.
  (func $sum (param $acc v128) (result i32)
    (local $w v128)
    (local.set $w (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $acc))))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $w)) (i32x4.extract_lane 1 (local.get $w)))
      (i32.add (i32x4.extract_lane 2 (local.get $w)) (i32x4.extract_lane 3 (local.get $w)))))

  (func (export "scan") (param $len i32) (param $count i32) (result i32)
    (local $p i32)
    (local $end16 i32)
    (local $v v128)
    (local $at i32)
    (local $acc v128)
    (local $n i32)
    (local $esc i32)
    (local $b i32)
    (local.set $end16 (i32.and (local.get $len) (i32.const -16)))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end16)))
        (local.set $v (v128.load (local.get $p)))
        (if (v128.any_true
              (v128.or
                (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x7f)))))
          (then
            (local.set $at (call $refused (local.get $p) (local.get $v)))
            (if (i32.ge_s (local.get $at) (i32.const 0)) (then (return (local.get $at))))))
        (if (local.get $count)
          (then
            (local.set $acc
              (i8x16.sub
                (local.get $acc)
                (v128.or
                  (v128.or
                    (v128.or
                      (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x09)))
                      (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0a))))
                    (v128.or
                      (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0d)))
                      (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (if (i32.eq (local.get $n) (i32.const 255))
              (then
                (local.set $esc (i32.add (local.get $esc) (call $sum (local.get $acc))))
                (local.set $acc (v128.const i64x2 0 0))
                (local.set $n (i32.const 0))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (local.set $esc (i32.add (local.get $esc) (call $sum (local.get $acc))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $len)))
        (local.set $b (i32.load8_u (local.get $p)))
        (if (i32.or (i32.eq (local.get $b) (i32.const 0x09)) (i32.or (i32.eq (local.get $b) (i32.const 0x0a)) (i32.eq (local.get $b) (i32.const 0x0d))))
          (then (local.set $esc (i32.add (local.get $esc) (i32.const 1))))
          (else
            (if (i32.or (i32.eq (local.get $b) (i32.const 0x7f)) (i32.lt_u (local.get $b) (i32.const 0x20)))
              (then (return (local.get $p))))
            (if (i32.or (i32.eq (local.get $b) (i32.const 0x22)) (i32.eq (local.get $b) (i32.const 0x5c)))
              (then (local.set $esc (i32.add (local.get $esc) (i32.const 1)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (global.set $escapes (local.get $esc))
    (i32.const -1)))
