/** What one pass over a label's UTF-8 bytes found. */
export interface TextScan {
  /** the first character that is not label text, by its code point; undefined when there is none */
  bad: number | undefined
  /**
   * Bytes that JSON escapes to two (`"`, `\`, tab, LF, CR), when counted: with no other control
   * character in the text, its JSON string takes exactly `bytes + escapes + 2` bytes of UTF-8.
   */
  escapes: number
}

import { TEXT_SCAN_WASM } from './textScanWasm'
import { compiledOnce } from './wasmModule'

const FFFD = Buffer.from([0xef, 0xbf, 0xbd])
// Below this, copying into WebAssembly memory costs about what it saves.
const SIMD_FROM = 1024
// A WebAssembly memory never shrinks, and the copy into it is one more label in memory at once:
// from this size on the portable pass runs (a few ms more), and the instance is let go.
const SIMD_UNTIL = 4 * 1024 * 1024
const RELEASE_FROM = SIMD_UNTIL

interface SimdScanner {
  scan(bytes: Buffer, count: boolean, wide: boolean): number
  escapes(): number
}

const simdModule = compiledOnce(TEXT_SCAN_WASM)
let simdInstance: SimdScanner | undefined

/** The SIMD pass (textScan.wat), or undefined where the runtime has no WebAssembly SIMD. */
function simdScanner(): SimdScanner | undefined {
  if (simdInstance !== undefined) return simdInstance
  const module = simdModule()
  if (module === undefined) return undefined
  const exports = new WebAssembly.Instance(module).exports as { memory: WebAssembly.Memory; scan(len: number, count: number, wide: number): number; escapes: WebAssembly.Global }
  const memory = exports.memory
  simdInstance = {
    scan(bytes, count, wide) {
      // The bytes go after 16 zero bytes, which the pass reads back into from the first block.
      const pages = Math.ceil((DATA_AT + bytes.length) / 65536) - memory.buffer.byteLength / 65536
      if (pages > 0) memory.grow(pages)
      new Uint8Array(memory.buffer, DATA_AT, bytes.length).set(bytes)
      const at = exports.scan(bytes.length, count ? 1 : 0, wide ? 1 : 0)
      if (bytes.length >= RELEASE_FROM) simdInstance = undefined
      return at
    },
    escapes: () => exports.escapes.value as number,
  }
  return simdInstance
}
const DATA_AT = 16
const EMPTY = new Int32Array(0)

/**
 * The text check of docs/contract.md §4 on valid UTF-8, in one pass: C0 controls but tab, LF and
 * CR, DEL, the C1 controls (U+0080–U+009F, `C2 80`–`C2 9F`) and U+FFFD. Four bytes at a time: a
 * word is looked at byte by byte only when it may hold a byte below 0x20, 0x7F, `"` or `\`; the
 * two multi-byte cases are found by the native `indexOf`. Without `countEscapes` only tab, LF
 * and CR are counted, and words are looked at for control bytes alone: markup-heavy labels
 * have a quote every few bytes. `wide` says the text has many multi-byte characters (see scanSimd).
 */
export function scanUtf8(bytes: Buffer, countEscapes = true, wide = false): TextScan {
  const simd = bytes.length >= SIMD_FROM && bytes.length < SIMD_UNTIL ? scanSimd(bytes, countEscapes, wide) : undefined
  return simd ?? scanPortable(bytes, countEscapes)
}

/**
 * The pass in WebAssembly SIMD (textScan.wat), 16 bytes at a time; undefined where the runtime
 * has none. `wide` (text of many multi-byte characters) has the pass find C1 controls and U+FFFD
 * too; otherwise the native searches do, as they are faster where those bytes are rare.
 */
export function scanSimd(bytes: Buffer, countEscapes = true, wide = false): TextScan | undefined {
  const simd = simdScanner()
  if (simd === undefined) return undefined
  const at = simd.scan(bytes, countEscapes, wide)
  if (!wide) return at !== -1 ? multiByte(bytes, at, bytes[at]!, 0) : multiByte(bytes, bytes.length, undefined, simd.escapes())
  if (at === -1) return { bad: undefined, escapes: simd.escapes() }
  // It found where the refused character begins: C2 starts a C1 control, EF starts U+FFFD.
  const lead = bytes[at]!
  return { bad: lead === 0xc2 ? bytes[at + 1]! : lead === 0xef ? 0xfffd : lead, escapes: 0 }
}

/** The same pass in plain JavaScript, four bytes at a time: where WebAssembly SIMD is missing, and for small labels. */
export function scanPortable(bytes: Buffer, countEscapes = true): TextScan {
  const end = bytes.length
  const found: Found = { escapes: 0, at: end }
  // The bytes up to a 4-byte boundary, then whole words, then the tail.
  const head = Math.min(end, (4 - (bytes.byteOffset & 3)) & 3)
  if (byteByByte(bytes, 0, head, found)) return multiByte(bytes, found.at, bytes[found.at]!, 0)
  // Under a word of bytes past the boundary, there are no words (and the offset may not be aligned).
  const n = (end - head) >> 2
  const words = n > 0 ? new Int32Array(bytes.buffer, bytes.byteOffset + head, n) : EMPTY
  // Exact per word (the classic "has a byte less than n" and "has a zero byte" tricks); each
  // difference is truncated to 32 bits (`| 0`), which keeps V8 in integer arithmetic.
  const quotes = countEscapes ? 0x22222222 : 0x7f7f7f7f
  const backslashes = countEscapes ? 0x5c5c5c5c : 0x7f7f7f7f
  for (let w = 0; w < n; w++) {
    const x = words[w]! | 0
    const y7f = x ^ 0x7f7f7f7f
    const yq = x ^ quotes
    const ybs = x ^ backslashes
    const flags = (((x - 0x20202020) | 0) & ~x) | (((y7f - 0x01010101) | 0) & ~y7f) | (((yq - 0x01010101) | 0) & ~yq) | (((ybs - 0x01010101) | 0) & ~ybs)
    if ((flags & 0x80808080) !== 0 && byteByByte(bytes, head + 4 * w, head + 4 * w + 4, found)) return multiByte(bytes, found.at, bytes[found.at]!, 0)
  }
  if (byteByByte(bytes, head + 4 * n, end, found)) return multiByte(bytes, found.at, bytes[found.at]!, 0)
  return multiByte(bytes, end, undefined, found.escapes)
}

interface Found {
  escapes: number
  at: number
}

/** Looks at bytes `from` to `to` one by one: counts escapes, and says whether a refused byte is there (at `found.at`). */
function byteByByte(bytes: Buffer, from: number, to: number, found: Found): boolean {
  for (let j = from; j < to; j++) {
    const b = bytes[j]!
    const k = b < 0x80 ? KIND[b]! : OK
    if (k === ESCAPE) found.escapes++
    else if (k === BAD) {
      found.at = j
      return true
    }
  }
  return false
}

/** The two refusals that take more than one byte, found by the native indexOf before `firstBad`. */
function multiByte(buf: Buffer, firstBad: number, badCode: number | undefined, escapes: number): TextScan {
  // C1 controls: lead byte C2 (which also starts U+00A0–U+00BF, '·' and '°' among them).
  for (let at = buf.indexOf(0xc2); at !== -1 && at < firstBad; at = buf.indexOf(0xc2, at + 1)) {
    const next = buf[at + 1]!
    if (next >= 0x80 && next <= 0x9f) {
      firstBad = at
      badCode = next
      break
    }
  }
  const fffd = buf.indexOf(FFFD)
  if (fffd !== -1 && fffd < firstBad) badCode = 0xfffd
  return { bad: badCode, escapes }
}

const OK = 0
const ESCAPE = 1
const BAD = 2
const KIND = new Uint8Array(128)
for (let b = 0; b < 0x20; b++) KIND[b] = BAD
KIND[0x7f] = BAD
for (const b of [0x09, 0x0a, 0x0d, 0x22, 0x5c]) KIND[b] = ESCAPE
