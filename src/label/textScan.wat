;; The text check's byte pass in WebAssembly SIMD, 16 bytes at a time (src/label/textScan.ts).
;; `npm run build` compiles it into textScanWasm.ts; a test fails when that copy is stale.
;;
;; scan(len, count): the bytes are at 0..len of memory. Returns the index of the first control
;; byte a label may not hold (below 0x20 but tab, LF and CR, or DEL), or -1. When it returns -1,
;; the global `escapes` holds the tab, LF and CR bytes, and with `count` the quotes and
;; backslashes too: the bytes JSON escapes to two.
(module
  (memory (export "memory") 1)
  (global $escapes (export "escapes") (mut i32) (i32.const 0))
  (func (export "scan") (param $len i32) (param $count i32) (result i32)
    (local $p i32)
    (local $end16 i32)
    (local $v v128)
    (local $ws v128)
    (local $bad v128)
    (local $esc i32)
    (local $b i32)
    (local.set $end16 (i32.and (local.get $len) (i32.const -16)))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end16)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $ws
          (v128.or
            (v128.or
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x09)))
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0a))))
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x0d)))))
        (local.set $bad
          (v128.or
            (v128.andnot (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20))) (local.get $ws))
            (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x7f)))))
        (if (v128.any_true (local.get $bad))
          (then (return (i32.add (local.get $p) (i32.ctz (i8x16.bitmask (local.get $bad)))))))
        (if (local.get $count)
          (then
            (local.set $ws
              (v128.or
                (local.get $ws)
                (v128.or
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                  (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))))))
        (local.set $esc (i32.add (local.get $esc) (i32.popcnt (i8x16.bitmask (local.get $ws)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $len)))
        (local.set $b (i32.load8_u (local.get $p)))
        (if (i32.or (i32.eq (local.get $b) (i32.const 0x09)) (i32.or (i32.eq (local.get $b) (i32.const 0x0a)) (i32.eq (local.get $b) (i32.const 0x0d))))
          (then (local.set $esc (i32.add (local.get $esc) (i32.const 1))))
          (else
            (if (i32.or (i32.eq (local.get $b) (i32.const 0x7f)) (i32.lt_u (local.get $b) (i32.const 0x20)))
              (then (return (local.get $p))))
            (if (i32.and (i32.ne (local.get $count) (i32.const 0)) (i32.or (i32.eq (local.get $b) (i32.const 0x22)) (i32.eq (local.get $b) (i32.const 0x5c))))
              (then (local.set $esc (i32.add (local.get $esc) (i32.const 1)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (global.set $escapes (local.get $esc))
    (i32.const -1)))
