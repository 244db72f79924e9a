import * as buffer from 'buffer'
import { performance } from 'perf_hooks'
import { FAST_DECODE_WASM } from './fastDecodeWasm'

/**
 * Which way each costly step of the decode goes: Node's built-ins, or fastDecode.wat. The
 * built-ins differ by runtime (Node 18.15's base64 decode and ICU transcode are several times
 * slower than Node 20's), so the choice is made by measuring both on the runtime, once, at the
 * first label large enough to matter, never by a version string.
 */
export interface DecodePaths {
  base64: 'wasm' | 'builtin'
  text: 'wasm' | 'builtin'
  /** the size from which these paths apply (default FAST_FROM); tests lower it to reach every input */
  from?: number
}

/** Below this many base64 characters the built-ins are used: a few µs either way. */
export const FAST_FROM = 2048
/** From this many on, the built-ins again: a WebAssembly memory never shrinks. */
export const FAST_UNTIL = 1_500_000

interface Exports {
  memory: WebAssembly.Memory
  b64(input: number, len: number, out: number, urlsafe: number): number
  widen(src: number, len: number, dst: number): number
}

let compiled: WebAssembly.Module | null | undefined
let instance: Exports | undefined
let chosen: DecodePaths | undefined

function wasm(): Exports | undefined {
  if (instance !== undefined) return instance
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(FAST_DECODE_WASM, 'base64'))
    } catch {
      compiled = null
    }
  }
  if (compiled === null) return undefined
  instance = new WebAssembly.Instance(compiled).exports as unknown as Exports
  return instance
}

const align16 = (n: number) => (n + 15) & ~15

/** The bytes in `n` base64 characters without padding (n % 4 is never 1). */
function decodedLength(n: number): number {
  const rest = n % 4
  return 3 * ((n - rest) / 4) + (rest === 0 ? 0 : rest - 1)
}

/**
 * `s` (no whitespace; padding optional but correct) decoded in WebAssembly memory, or undefined
 * when this path does not apply or the text is not valid base64 (the built-in path then says
 * why). The bytes are a view of that memory, with room after them for their UTF-16 (fastText):
 * valid until the next decode, so nothing outside one decode may keep them.
 */
export function fastBase64(s: string): Buffer | undefined {
  const paths = decodePaths()
  if (paths.base64 !== 'wasm' || s.length < (paths.from ?? FAST_FROM) || s.length >= FAST_UNTIL) return undefined
  const w = wasm()
  if (w === undefined) return undefined
  const padding = s.charCodeAt(s.length - 1) === 0x3d ? (s.charCodeAt(s.length - 2) === 0x3d ? 2 : 1) : 0
  const n = s.length - padding
  if (n % 4 === 1 || (padding > 0 && s.length % 4 !== 0)) return undefined
  const outLen = decodedLength(n)
  const out = align16(2 * s.length + 32)
  const need = align16(out + outLen + 16) + 2 * outLen + 48
  const have = w.memory.buffer.byteLength
  if (need > have) w.memory.grow(Math.ceil((need - have) / 65536))
  const mem = Buffer.from(w.memory.buffer)
  mem.write(s, 0, 'utf16le')
  if (w.b64(0, n, out, 0) !== 0 && w.b64(0, n, out, 1) !== 0) return undefined
  return mem.subarray(out, out + outLen)
}

function widenAt(w: Exports, src: number, len: number, dst: number): string {
  const units = w.widen(src, len, dst)
  return Buffer.from(w.memory.buffer, dst, units * 2).toString('ucs2')
}

/**
 * Valid UTF-8 to a string through the WebAssembly widening, when the text step goes that way on
 * this runtime (bytes decoded elsewhere are copied in first); undefined otherwise.
 */
export function fastText(bytes: Buffer): string | undefined {
  const paths = decodePaths()
  if (paths.text !== 'wasm' || bytes.length < (paths.from ?? FAST_FROM) || bytes.length >= FAST_UNTIL) return undefined
  const w = wasm()
  if (w === undefined) return undefined
  let src = bytes.byteOffset
  if (bytes.buffer !== w.memory.buffer) {
    // Bytes from the built-in decode: copied in, as the base64 text would have been.
    const need = align16(bytes.length + 16) + 2 * bytes.length + 48
    const have = w.memory.buffer.byteLength
    if (need > have) w.memory.grow(Math.ceil((need - have) / 65536))
    new Uint8Array(w.memory.buffer).set(bytes, 0)
    src = 0
  }
  // fastBase64 made room after its bytes for their UTF-16.
  return widenAt(w, src, bytes.length, align16(src + bytes.length + 16))
}

const WARM = 12
const TIMED = 8

/** The paths this runtime uses, measured once (about a millisecond). */
export function decodePaths(): DecodePaths {
  if (chosen === undefined) chosen = measure()
  return chosen
}

/** For tests and the bench: force a path, or undefined to measure again. */
export function setDecodePaths(paths: DecodePaths | undefined): void {
  chosen = paths
}

/**
 * Both ways on a sample like a real label (markup, Chinese text, a data-URI image), best of five:
 * the faster wins each step. Without WebAssembly SIMD, the built-ins.
 */
function measure(): DecodePaths {
  const w = wasm()
  if (w === undefined) return { base64: 'builtin', text: 'builtin' }
  chosen = { base64: 'wasm', text: 'wasm' }
  const html = Buffer.from(`<table style="width:100%"><tr><td>收件人 王小明 13800000000 广东省广州市天河区</td><td><img src="data:image/png;base64,${'iVBORw0KGgo'.repeat(40)}"></td></tr></table>`.repeat(6), 'utf8')
  const b64 = html.toString('base64')
  // Steady state, not the first calls: WebAssembly starts in V8's baseline tier and moves up
  // after a few calls, as the built-ins' JavaScript does.
  const best = (fn: () => unknown) => {
    for (let i = 0; i < WARM; i++) fn()
    let min = Infinity
    for (let i = 0; i < TIMED; i++) {
      const t = performance.now()
      fn()
      min = Math.min(min, performance.now() - t)
    }
    return min
  }
  const viaWasm = fastBase64(b64)
  if (viaWasm === undefined || !viaWasm.equals(html) || fastText(viaWasm) !== html.toString('utf8')) return { base64: 'builtin', text: 'builtin' }
  const base64 = best(() => fastBase64(b64)) < best(() => Buffer.from(b64, 'base64')) ? 'wasm' : 'builtin'
  const transcode = typeof buffer.transcode === 'function' ? (b: Buffer) => buffer.transcode(b, 'utf8', 'ucs2').toString('ucs2') : (b: Buffer) => b.toString('utf8')
  const text = best(() => fastText(viaWasm)) < best(() => transcode(html)) ? 'wasm' : 'builtin'
  return { base64, text }
}
