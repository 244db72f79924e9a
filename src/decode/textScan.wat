;; The text check's byte pass in WebAssembly SIMD, 16 bytes at a time (src/label/textScan.ts).
;; `npm run build` compiles it into textScanWasm.ts; a test fails when that copy is stale.
;;
;; scan(len, count, wide): the bytes are at 16..16+len of memory, after 16 zero bytes. Returns
;; the index (from the first byte) where the first character a label may not hold begins, or -1:
;; a control byte (below 0x20 but tab, LF and CR, or DEL) and, with `wide`, a C1 control (C2 80
;; to C2 9F) or U+FFFD (EF BF BD). When it returns -1 and `count` is set, the global `escapes`
;; holds the bytes JSON escapes to two: tab, LF, CR, quote and backslash.
;;
;; With `wide`, each block is also read one and two bytes back (the zeros before the first byte
;; match nothing), so the two multi-byte refusals are found where they end, a few vector
;; compares each. Without it the caller finds them: in text of few multi-byte characters a
;; native search skips over them faster than these compares cost.
;; None of the three shares a byte with another, so the first to end is the first to begin. Most
;; blocks hold none of them and no byte below 0x20: a few operations find that, and only a block
;; that does is looked at again to tell tab, LF and CR from the rest. Escapes are counted per
;; lane in a vector (a match is -1, subtracted) and summed every 255 blocks, before a lane can
;; overflow.
(module
  (memory (export "memory") 1)
  (global $escapes (export "escapes") (mut i32) (i32.const 0))

  ;; Where the first refused character of the block at $p begins (as scan returns it), or -1 when
  ;; its control bytes are all tab, LF or CR. Bit b of the mask stands for the byte at $p - 2 + b.
  (func $refused (param $p i32) (param $v v128) (param $c1 v128) (param $fffd v128) (result i32)
    (local $m i32)
    (local.set $m
      (i32.or
        (i32.shl
          (i8x16.bitmask
            (v128.or
              (v128.andnot
                (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
                (v128.or
                  (v128.or
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x09)))
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0a))))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0d)))))
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x7f)))))
          (i32.const 2))
        (i32.or
          (i32.shl (i8x16.bitmask (local.get $c1)) (i32.const 1))
          (i8x16.bitmask (local.get $fffd)))))
    (if (result i32) (local.get $m)
      (then (i32.add (i32.sub (local.get $p) (i32.const 18)) (i32.ctz (local.get $m))))
      (else (i32.const -1))))

  ;; The lanes of a count vector, summed.
  (func $sum (param $acc v128) (result i32)
    (local $w v128)
    (local.set $w (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $acc))))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $w)) (i32x4.extract_lane 1 (local.get $w)))
      (i32.add (i32x4.extract_lane 2 (local.get $w)) (i32x4.extract_lane 3 (local.get $w)))))

  ;; The index of the first refused control byte of the block at $p (as scan returns it), or -1
  ;; when its control bytes are all tab, LF or CR.
  (func $control (param $p i32) (param $v v128) (result i32)
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
      (then (i32.add (i32.sub (local.get $p) (i32.const 16)) (i32.ctz (i8x16.bitmask (local.get $bad)))))
      (else (i32.const -1))))

  ;; The whole blocks up to $end16 without the multi-byte refusals: the first refused byte's
  ;; index, or -1 with the escapes counted into the global.
  (func $narrow (param $end16 i32) (param $count i32) (result i32)
    (local $p i32)
    (local $v v128)
    (local $at i32)
    (local $acc v128)
    (local $n i32)
    (local $esc i32)
    (local.set $p (i32.const 16))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end16)))
        (local.set $v (v128.load (local.get $p)))
        (if (v128.any_true
              (v128.or
                (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x7f)))))
          (then
            (local.set $at (call $control (local.get $p) (local.get $v)))
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
    (global.set $escapes (i32.add (local.get $esc) (call $sum (local.get $acc))))
    (i32.const -1))

  ;; The same with them: each block is also read one and two bytes back. The escape count is
  ;; $narrow's again: a call per block would cost more than the repeated lines.
  (func $wide (param $end16 i32) (param $count i32) (result i32)
    (local $p i32)
    (local $v v128)
    (local $v1 v128)
    (local $c1 v128)
    (local $fffd v128)
    (local $at i32)
    (local $acc v128)
    (local $n i32)
    (local $esc i32)
    (local.set $p (i32.const 16))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end16)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $v1 (v128.load offset=0 (i32.sub (local.get $p) (i32.const 1))))
        ;; C2 then 80..9F ends here; and BF BD here after an EF.
        (local.set $c1
          (v128.and
            (i8x16.eq (local.get $v1) (i8x16.splat (i32.const 0xc2)))
            (i8x16.eq (v128.and (local.get $v) (i8x16.splat (i32.const 0xe0))) (i8x16.splat (i32.const 0x80)))))
        (local.set $fffd
          (v128.and
            (v128.and
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0xbd)))
              (i8x16.eq (local.get $v1) (i8x16.splat (i32.const 0xbf))))
            (i8x16.eq (v128.load (i32.sub (local.get $p) (i32.const 2))) (i8x16.splat (i32.const 0xef)))))
        (if (v128.any_true
              (v128.or
                (v128.or
                  (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x7f))))
                (v128.or (local.get $c1) (local.get $fffd))))
          (then
            (local.set $at (call $refused (local.get $p) (local.get $v) (local.get $c1) (local.get $fffd)))
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
    (global.set $escapes (i32.add (local.get $esc) (call $sum (local.get $acc))))
    (i32.const -1))

  (func (export "scan") (param $len i32) (param $count i32) (param $wide i32) (result i32)
    (local $p i32)
    (local $end i32)
    (local $at i32)
    (local $esc i32)
    (local $b i32)
    (local.set $p (i32.add (i32.and (local.get $len) (i32.const -16)) (i32.const 16)))
    (local.set $end (i32.add (local.get $len) (i32.const 16)))
    (local.set $at
      (if (result i32) (local.get $wide)
        (then (call $wide (local.get $p) (local.get $count)))
        (else (call $narrow (local.get $p) (local.get $count)))))
    (if (i32.ge_s (local.get $at) (i32.const 0)) (then (return (local.get $at))))
    (local.set $esc (global.get $escapes))
    ;; The tail, byte by byte, each refusal found where it ends as above.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $b (i32.load8_u (local.get $p)))
        (if (i32.and
              (local.get $wide)
              (i32.and
                (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $p) (i32.const 1))) (i32.const 0xc2))
                (i32.eq (i32.and (local.get $b) (i32.const 0xe0)) (i32.const 0x80))))
          (then (return (i32.sub (local.get $p) (i32.const 17)))))
        (if (i32.and
              (local.get $wide)
              (i32.and
                (i32.eq (local.get $b) (i32.const 0xbd))
                (i32.eq (i32.load16_u (i32.sub (local.get $p) (i32.const 2))) (i32.const 0xbfef))))
          (then (return (i32.sub (local.get $p) (i32.const 18)))))
        (if (i32.or (i32.eq (local.get $b) (i32.const 0x09)) (i32.or (i32.eq (local.get $b) (i32.const 0x0a)) (i32.eq (local.get $b) (i32.const 0x0d))))
          (then (local.set $esc (i32.add (local.get $esc) (i32.const 1))))
          (else
            (if (i32.or (i32.eq (local.get $b) (i32.const 0x7f)) (i32.lt_u (local.get $b) (i32.const 0x20)))
              (then (return (i32.sub (local.get $p) (i32.const 16)))))
            (if (i32.or (i32.eq (local.get $b) (i32.const 0x22)) (i32.eq (local.get $b) (i32.const 0x5c)))
              (then (local.set $esc (i32.add (local.get $esc) (i32.const 1)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (global.set $escapes (local.get $esc))
    (i32.const -1)))
