;; The label's two costly built-in steps, in WebAssembly SIMD, for runtimes where the built-ins are
;; slow (src/label/fastDecode.ts measures which is faster on the runtime it runs on).
;; `npm run build` compiles it into fastDecodeWasm.ts; a test fails when that copy is stale.
;;
;; b64(in, len, out, urlsafe, unit): `len` base64 characters at `in`, as `unit`-byte code units:
;; 2 for UTF-16 (as a string's ucs2Write puts them), 1 for Latin-1 (latin1Write, for a string
;; with no character above 0xFF); no padding, no whitespace. Writes the bytes at `out` and returns
;; 0, or -1 when a character is outside the alphabet (standard, or with `urlsafe` the URL-safe one:
;; each refuses the other's two characters). A UTF-16 code unit above 0xFF saturates to 0xFF,
;; outside both, as every byte from 0x80 is. 16 characters at a time in one loop (the lookup of
;; Muła's SSE decoder, with WebAssembly's swizzle, which gives 0 for an index of 16 or more, so
;; every index is masked to a nibble); the last block is first padded in place with 'A' (value
;; 0). Up to 16 bytes past the output, and 32 past the input, may be written.
;;
;; check16(at, units, count): the text check of docs/contract.md §4 on UTF-16 code units at `at`
;; (widen's output): returns the index of the first unit a label may not hold (a C0 control but
;; tab, LF and CR; DEL; a C1 control U+0080–U+009F; U+FFFD), or -1. When it returns -1 and `count`
;; is set, the global `escapes` holds the units JSON escapes to two: tab, LF, CR, quote and
;; backslash. Every refused character is one code unit here, so eight are looked at with a few
;; compares; a block that has a control byte below 0x20 is looked at again for tab, LF and CR.
;;
;; widen(src, len, dst): valid UTF-8 (the caller checked it) at `src` to UTF-16LE at `dst`;
;; returns the code units written. A block of 16 ASCII bytes is widened at once, and a run of
;; three-byte characters four at a time; anything else is decoded a code point at a time. Up to
;; 32 bytes past the output may be written.
(module
  (memory (export "memory") 1)
  (global $escapes (export "escapes") (mut i32) (i32.const 0))

  (func (export "b64") (param $in i32) (param $len i32) (param $out i32) (param $urlsafe i32) (param $unit i32) (result i32)
    (local $i i32)
    (local $end i32)
    (local $k i32)
    (local $c v128)
    (local $hi v128)
    (local $lo v128)
    (local $v v128)
    (local $m v128)
    ;; The last block padded in place with 'A' (value 0): then every block is whole.
    (local.set $k (local.get $len))
    (block $padded
      (loop $pad
        (br_if $padded (i32.eqz (i32.and (local.get $k) (i32.const 15))))
        (if (i32.eq (local.get $unit) (i32.const 2))
          (then (i32.store16 (i32.add (local.get $in) (i32.shl (local.get $k) (i32.const 1))) (i32.const 0x41)))
          (else (i32.store8 (i32.add (local.get $in) (local.get $k)) (i32.const 0x41))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $pad)))
    (local.set $end (i32.add (local.get $in) (i32.mul (local.get $k) (local.get $unit))))
    (local.set $i (local.get $in))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; Sixteen characters as bytes: UTF-16 code units narrowed (saturating, so one above 0xFF
        ;; becomes 0xFF), or Latin-1 bytes as they are.
        (if (i32.eq (local.get $unit) (i32.const 2))
          (then (local.set $c (i8x16.narrow_i16x8_u (v128.load (local.get $i)) (v128.load offset=16 (local.get $i)))))
          (else (local.set $c (v128.load (local.get $i)))))
        ;; URL-safe: '-' → '+', '_' → '/', and '+', '/' made invalid (0x80). Branch-free within
        ;; the block; the standard alphabet, tried first, skips it.
        (if (local.get $urlsafe)
          (then
            (local.set $m
              (v128.and
                (v128.or (i8x16.eq (local.get $c) (i8x16.splat (i32.const 0x2b))) (i8x16.eq (local.get $c) (i8x16.splat (i32.const 0x2f))))
                (i8x16.splat (i32.const 0x80))))
            (local.set $c
              (v128.bitselect (i8x16.splat (i32.const 0x2b)) (local.get $c) (i8x16.eq (local.get $c) (i8x16.splat (i32.const 0x2d)))))
            (local.set $c
              (v128.bitselect (i8x16.splat (i32.const 0x2f)) (local.get $c) (i8x16.eq (local.get $c) (i8x16.splat (i32.const 0x5f)))))
            (local.set $c (v128.or (local.get $c) (local.get $m)))))
        (local.set $hi (v128.and (i8x16.shr_u (local.get $c) (i32.const 4)) (i8x16.splat (i32.const 0x0f))))
        (local.set $lo (v128.and (local.get $c) (i8x16.splat (i32.const 0x0f))))
        ;; lut_lo[lo] & lut_hi[hi] is zero exactly for the alphabet's characters.
        (if (v128.any_true
              (v128.and
                (i8x16.swizzle (v128.const i8x16 0x15 0x11 0x11 0x11 0x11 0x11 0x11 0x11 0x11 0x11 0x13 0x1a 0x1b 0x1b 0x1b 0x1a) (local.get $lo))
                (i8x16.swizzle (v128.const i8x16 0x10 0x10 0x01 0x02 0x04 0x08 0x04 0x08 0x10 0x10 0x10 0x10 0x10 0x10 0x10 0x10) (local.get $hi))))
          (then (return (i32.const -1))))
        ;; The character's value: add a roll chosen by the high nibble ('/' by one less).
        (local.set $v
          (i8x16.add
            (local.get $c)
            (i8x16.swizzle
              (v128.const i8x16 0 16 19 4 -65 -65 -71 -71 0 0 0 0 0 0 0 0)
              (v128.and
                (i8x16.add (local.get $hi) (i8x16.eq (local.get $c) (i8x16.splat (i32.const 0x2f))))
                (i8x16.splat (i32.const 0x0f))))))
        ;; Four 6-bit values a b c d (bytes 0..3 of each 32-bit lane): pairs to 12 bits in each
        ;; 16-bit lane (a << 6 | b, c << 6 | d), then one dot product to aaaaaabb bbbbcccc ccdddddd.
        (local.set $v
          (v128.or
            (v128.and (i16x8.shl (local.get $v) (i32.const 6)) (i16x8.splat (i32.const 0x0fc0)))
            (i16x8.shr_u (local.get $v) (i32.const 8))))
        (local.set $v (i32x4.dot_i16x8_s (local.get $v) (i32x4.splat (i32.const 0x00011000))))
        ;; Each lane's three bytes, most significant first; 16 stored, 12 kept.
        (v128.store (local.get $out)
          (i8x16.swizzle (local.get $v) (v128.const i8x16 2 1 0 6 5 4 10 9 8 14 13 12 -1 -1 -1 -1)))
        (local.set $i (i32.add (local.get $i) (i32.shl (local.get $unit) (i32.const 4))))
        (local.set $out (i32.add (local.get $out) (i32.const 12)))
        (br $blocks)))
    (i32.const 0))

  (func (export "widen") (param $src i32) (param $len i32) (param $dst i32) (result i32)
    (local $p i32)
    (local $end i32)
    (local $block_end i32)
    (local $o i32)
    (local $v v128)
    (local $b i32)
    (local $cp i32)
    (local $q i32)
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (local.set $o (local.get $dst))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.le_u (i32.add (local.get $p) (i32.const 16)) (local.get $end))
          (then
            (local.set $v (v128.load (local.get $p)))
            (if (i32.eqz (i8x16.bitmask (local.get $v)))
              (then
                (v128.store (local.get $o) (i16x8.extend_low_i8x16_u (local.get $v)))
                (v128.store offset=16 (local.get $o) (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $o (i32.add (local.get $o) (i32.const 32)))
                (br $blocks)))))
        ;; A block with a non-ASCII byte, or the tail: one code point at a time to its end.
        (local.set $block_end (i32.add (local.get $p) (i32.const 16)))
        (if (i32.gt_u (local.get $block_end) (local.get $end)) (then (local.set $block_end (local.get $end))))
        (block $scalar_done
          (loop $scalar
            (br_if $scalar_done (i32.ge_u (local.get $p) (local.get $block_end)))
            (local.set $b (i32.load8_u (local.get $p)))
            (if (i32.lt_u (local.get $b) (i32.const 0x80))
              (then
                (i32.store16 (local.get $o) (local.get $b))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $o (i32.add (local.get $o) (i32.const 2)))
                (br $scalar)))
            (if (i32.lt_u (local.get $b) (i32.const 0xe0))
              (then
                (i32.store16 (local.get $o)
                  (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x1f)) (i32.const 6))
                          (i32.and (i32.load8_u offset=1 (local.get $p)) (i32.const 0x3f))))
                (local.set $p (i32.add (local.get $p) (i32.const 2)))
                (local.set $o (i32.add (local.get $o) (i32.const 2)))
                (br $scalar)))
            (if (i32.lt_u (local.get $b) (i32.const 0xf0))
              (then
                ;; A run of three-byte characters (Chinese text), four at a time while the next
                ;; twelve bytes are four of them: each put together in a 32-bit lane, and the lanes
                ;; narrowed to four UTF-16 code units.
                (local.set $q (local.get $p))
                (block $four_done
                  (loop $four
                    (br_if $four_done (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
                    (local.set $v (v128.load (local.get $p)))
                    (br_if $four_done
                      (i32.eqz
                        (i8x16.all_true
                          (i8x16.eq
                            (v128.and (local.get $v) (v128.const i8x16 0xf0 0 0 0xf0 0 0 0xf0 0 0 0xf0 0 0 0 0 0 0))
                            (v128.const i8x16 0xe0 0 0 0xe0 0 0 0xe0 0 0 0xe0 0 0 0 0 0 0)))))
                    ;; Payload bits kept (4 of the lead, 6 of each other byte); the lead and
                    ;; second byte as 16-bit lanes weighted 4096 and 64 by one dot product, the
                    ;; third added.
                    (local.set $v (v128.and (local.get $v) (v128.const i8x16 0x0f 0x3f 0x3f 0x0f 0x3f 0x3f 0x0f 0x3f 0x3f 0x0f 0x3f 0x3f 0 0 0 0)))
                    (local.set $v
                      (i32x4.add
                        (i32x4.dot_i16x8_s
                          (i8x16.swizzle (local.get $v) (v128.const i8x16 0 -1 1 -1 3 -1 4 -1 6 -1 7 -1 9 -1 10 -1))
                          (i32x4.splat (i32.const 0x00401000)))
                        (i8x16.swizzle (local.get $v) (v128.const i8x16 2 -1 -1 -1 5 -1 -1 -1 8 -1 -1 -1 11 -1 -1 -1))))
                    (i64.store (local.get $o) (i64x2.extract_lane 0 (i16x8.narrow_i32x4_u (local.get $v) (local.get $v))))
                    (local.set $p (i32.add (local.get $p) (i32.const 12)))
                    (local.set $o (i32.add (local.get $o) (i32.const 8)))
                    (br $four)))
                (br_if $scalar (i32.ne (local.get $p) (local.get $q)))
                (i32.store16 (local.get $o)
                  (i32.or
                    (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x0f)) (i32.const 12))
                            (i32.shl (i32.and (i32.load8_u offset=1 (local.get $p)) (i32.const 0x3f)) (i32.const 6)))
                    (i32.and (i32.load8_u offset=2 (local.get $p)) (i32.const 0x3f))))
                (local.set $p (i32.add (local.get $p) (i32.const 3)))
                (local.set $o (i32.add (local.get $o) (i32.const 2)))
                (br $scalar)))
            ;; Four bytes: a code point above U+FFFF, as a surrogate pair.
            (local.set $cp
              (i32.sub
                (i32.or
                  (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x07)) (i32.const 18))
                          (i32.shl (i32.and (i32.load8_u offset=1 (local.get $p)) (i32.const 0x3f)) (i32.const 12)))
                  (i32.or (i32.shl (i32.and (i32.load8_u offset=2 (local.get $p)) (i32.const 0x3f)) (i32.const 6))
                          (i32.and (i32.load8_u offset=3 (local.get $p)) (i32.const 0x3f))))
                (i32.const 0x10000)))
            (i32.store16 (local.get $o) (i32.or (i32.const 0xd800) (i32.shr_u (local.get $cp) (i32.const 10))))
            (i32.store16 offset=2 (local.get $o) (i32.or (i32.const 0xdc00) (i32.and (local.get $cp) (i32.const 0x3ff))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $scalar)))
        (br $blocks)))
    (i32.shr_u (i32.sub (local.get $o) (local.get $dst)) (i32.const 1)))
  (func (export "check16") (param $at i32) (param $units i32) (param $count i32) (result i32)
    (local $p i32)
    (local $end8 i32)
    (local $end i32)
    (local $v v128)
    (local $bad v128)
    (local $acc v128)
    (local $n i32)
    (local $esc i32)
    (local $u i32)
    (local.set $p (local.get $at))
    (local.set $end8 (i32.add (local.get $at) (i32.shl (i32.and (local.get $units) (i32.const -8)) (i32.const 1))))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $units) (i32.const 1))))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $v (v128.load (local.get $p)))
        ;; The units refused outright, or that may be (below 0x20).
        (local.set $bad
          (v128.or
            (v128.or
              (i16x8.lt_u (local.get $v) (i16x8.splat (i32.const 0x20)))
              (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x7f))))
            (v128.or
              (i16x8.lt_u (i16x8.sub (local.get $v) (i16x8.splat (i32.const 0x80))) (i16x8.splat (i32.const 0x20)))
              (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0xfffd))))))
        (if (v128.any_true (local.get $bad))
          (then
            ;; Tab, LF and CR are text.
            (local.set $bad
              (v128.andnot
                (local.get $bad)
                (v128.or
                  (v128.or
                    (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x09)))
                    (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x0a))))
                  (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x0d))))))
            (if (v128.any_true (local.get $bad))
              (then
                (return
                  (i32.add
                    (i32.shr_u (i32.sub (local.get $p) (local.get $at)) (i32.const 1))
                    (i32.ctz (i16x8.bitmask (local.get $bad)))))))))
        (if (local.get $count)
          (then
            ;; Per-lane counts (a match is -1, subtracted), summed before a lane can overflow.
            (local.set $acc
              (i16x8.sub
                (local.get $acc)
                (v128.or
                  (v128.or
                    (v128.or
                      (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x09)))
                      (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x0a))))
                    (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x0d))))
                  (v128.or
                    (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x22)))
                    (i16x8.eq (local.get $v) (i16x8.splat (i32.const 0x5c)))))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (if (i32.eq (local.get $n) (i32.const 0x7fff))
              (then
                (local.set $esc (i32.add (local.get $esc) (call $sum16 (local.get $acc))))
                (local.set $acc (v128.const i64x2 0 0))
                (local.set $n (i32.const 0))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (local.set $esc (i32.add (local.get $esc) (call $sum16 (local.get $acc))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $u (i32.load16_u (local.get $p)))
        (if (i32.or (i32.eq (local.get $u) (i32.const 0x09)) (i32.or (i32.eq (local.get $u) (i32.const 0x0a)) (i32.eq (local.get $u) (i32.const 0x0d))))
          (then (local.set $esc (i32.add (local.get $esc) (i32.const 1))))
          (else
            (if (i32.or
                  (i32.or (i32.lt_u (local.get $u) (i32.const 0x20)) (i32.eq (local.get $u) (i32.const 0x7f)))
                  (i32.or (i32.lt_u (i32.sub (local.get $u) (i32.const 0x80)) (i32.const 0x20)) (i32.eq (local.get $u) (i32.const 0xfffd))))
              (then (return (i32.shr_u (i32.sub (local.get $p) (local.get $at)) (i32.const 1)))))
            (if (i32.or (i32.eq (local.get $u) (i32.const 0x22)) (i32.eq (local.get $u) (i32.const 0x5c)))
              (then (local.set $esc (i32.add (local.get $esc) (i32.const 1)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $tail)))
    (global.set $escapes (local.get $esc))
    (i32.const -1))

  ;; The lanes of a 16-bit count vector, summed.
  (func $sum16 (param $acc v128) (result i32)
    (local $w v128)
    (local.set $w (i32x4.extadd_pairwise_i16x8_u (local.get $acc)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $w)) (i32x4.extract_lane 1 (local.get $w)))
      (i32.add (i32x4.extract_lane 2 (local.get $w)) (i32x4.extract_lane 3 (local.get $w)))))
)
