import * as buffer from 'buffer'
import { performance } from 'perf_hooks'
import { decodeBase64, decodedLength } from './base64'
import { FAST_DECODE_WASM } from './fastDecodeWasm'
import { compiledOnce } from './wasmModule'

/**
 * Which way each costly step of the decode goes: Node's built-ins, or fastDecode.wat. The
 * built-ins differ by runtime (Node 18.15's base64 decode and ICU transcode are several times
 * slower than Node 20's) and by content, so the choice is made on the runtime, from the labels it
 * decodes: the first labels large enough to matter go both ways in turn, timed per byte, and
 * then each step keeps the faster (a built-in must win clearly). Never by a version string.
 */
export interface DecodePaths {
  base64: 'wasm' | 'builtin'
  /** labels with 10% or more of their bytes non-ASCII (Chinese text) */
  text: 'wasm' | 'builtin'
  /** labels with less (markup, templates), where the built-ins compare otherwise; `text` when not given */
  textMostlyAscii?: 'wasm' | 'builtin'
  /** the size from which these paths apply (default FAST_FROM); tests lower it to reach every input */
  from?: number
}

/** Below this many base64 characters (6 KB of label) the built-ins are used: a few µs either way, too few to time. */
export const FAST_FROM = 8192
/** The size from which the fast paths apply: FAST_FROM, or what setDecodePaths forced (tests lower it). */
export const fastFrom = (): number => forced?.from ?? FAST_FROM
/** From this many on, the built-ins again: a WebAssembly memory never shrinks. */
export const FAST_UNTIL = 1_500_000
/** Labels timed each way per step before choosing; the first few of each are warm-up. */
export const TRIALS = 24
const WARMUP = 8
/** How much faster a built-in must measure to be chosen. */
const CLEAR_WIN = 1.25

interface Exports {
  memory: WebAssembly.Memory
  b64(input: number, len: number, out: number, urlsafe: number, unit: number): number
  widen(src: number, len: number, dst: number): number
  check16(at: number, units: number, count: number): number
  escapes: WebAssembly.Global
}

const compiled = compiledOnce(FAST_DECODE_WASM)
let instance: Exports | undefined
let forced: DecodePaths | undefined

function wasm(): Exports | undefined {
  if (instance !== undefined) return instance
  const module = compiled()
  if (module === undefined) return undefined
  instance = new WebAssembly.Instance(module).exports as unknown as Exports
  return instance
}

const align16 = (n: number) => (n + 15) & ~15

/** Grows the memory to hold `need` bytes (a WebAssembly memory never shrinks). */
function room(w: Exports, need: number): void {
  const have = w.memory.buffer.byteLength
  if (need > have) w.memory.grow(Math.ceil((need - have) / 65536))
}

/**
 * `s` decoded, when the WebAssembly path applies: in its memory, with room after the bytes for
 * their UTF-16 (fastText), valid until the next decode, so nothing outside one decode may keep
 * them. While the paths are on trial, a label may go the built-in way instead (the bytes are then
 * an ordinary Buffer). Undefined when neither applies or the text is not valid base64: the
 * caller's built-in path then judges it and says why.
 */
export function fastBase64(s: string): Buffer | undefined {
  if (s.length < fastFrom() || s.length >= FAST_UNTIL) return undefined
  const w = wasm()
  if (w === undefined) return undefined
  const way = wayFor('base64')
  const trial = onTrial('base64')
  if (way === 'builtin' && !trial) return undefined
  const t = trial ? performance.now() : 0
  const bytes = way === 'wasm' ? decodeInWasm(w, s) : builtinBase64(s)
  if (bytes !== undefined && trial) record('base64', way, performance.now() - t, s.length)
  return bytes
}

function builtinBase64(s: string): Buffer | undefined {
  const r = decodeBase64(s)
  return r.ok ? r.bytes : undefined
}

function decodeInWasm(w: Exports, s: string): Buffer | undefined {
  const padding = s.charCodeAt(s.length - 1) === 0x3d ? (s.charCodeAt(s.length - 2) === 0x3d ? 2 : 1) : 0
  const n = s.length - padding
  if (n % 4 === 1 || (padding > 0 && s.length % 4 !== 0)) return undefined
  const outLen = decodedLength(n)
  // A string with no character above 0xFF goes in as Latin-1, a plain copy and half the bytes
  // to read. V8 answers the test at once for such a string (a one-byte string cannot match it),
  // which is what a parsed answer's base64 is; any other string goes in as UTF-16.
  const unit = ABOVE_LATIN1.test(s) ? 2 : 1
  const out = align16(unit * s.length + 32)
  room(w, align16(out + outLen + 16) + 2 * outLen + 48)
  const mem = Buffer.from(w.memory.buffer)
  mem.write(s, 0, unit === 1 ? 'latin1' : 'utf16le')
  if (w.b64(0, n, out, 0, unit) !== 0 && w.b64(0, n, out, 1, unit) !== 0) return undefined
  return mem.subarray(out, out + outLen)
}

const ABOVE_LATIN1 = /[^\u0000-\u00ff]/

/** The bytes widened to UTF-16 in the memory: where, and how many code units. */
function widened(w: Exports, bytes: Buffer): { at: number; units: number } {
  let src = bytes.byteOffset
  if (bytes.buffer !== w.memory.buffer) {
    // Bytes from the built-in decode: copied in, as the base64 text would have been.
    room(w, align16(bytes.length + 16) + 2 * bytes.length + 48)
    new Uint8Array(w.memory.buffer).set(bytes, 0)
    src = 0
  }
  // decodeInWasm made room after its bytes for their UTF-16.
  const at = align16(src + bytes.length + 16)
  return { at, units: w.widen(src, bytes.length, at) }
}

const ucs2At = (w: Exports, at: number, units: number) => Buffer.from(w.memory.buffer, at, units * 2).toString('ucs2')

/** ICU's transcode where there is one, else V8's own decode: the built-in way. */
const builtinText = (b: Buffer) => (typeof buffer.transcode === 'function' ? buffer.transcode(b, 'utf8', 'ucs2').toString('ucs2') : b.toString('utf8'))

/**
 * Valid UTF-8 to a string, when the WebAssembly widening applies (or, on trial, the built-in
 * way, timed); undefined when the caller's built-in way is the choice. `mostlyAscii` says which
 * kind of label it is (under 10% of its bytes non-ASCII): each kind has its own trial, since the
 * built-ins' speed turns on it (ICU's transcode is fast on Chinese text and slow on markup).
 */
export function fastText(bytes: Buffer, mostlyAscii = false): string | undefined {
  if (bytes.length < fastFrom() || bytes.length >= FAST_UNTIL) return undefined
  const w = wasm()
  if (w === undefined) return undefined
  const step: Step = mostlyAscii ? 'textMostlyAscii' : 'text'
  const way = wayFor(step)
  const trial = onTrial(step)
  if (way === 'builtin' && !trial) return undefined
  const t = trial ? performance.now() : 0
  let text: string
  if (way === 'builtin') text = builtinText(bytes)
  else {
    const { at, units } = widened(w, bytes)
    text = ucs2At(w, at, units)
  }
  if (trial) record(step, way, performance.now() - t, bytes.length)
  return text
}

/** What checkedText found: the text and its JSON escapes, or the first refused character. */
export type CheckedText = { text: string; escapes: number; bad?: undefined } | { bad: number }

/**
 * Valid UTF-8 of a label that is not mostly ASCII to its string and the text check of
 * docs/contract.md §4 in one go, once the text step has settled on WebAssembly: the check (and,
 * with `count`, the JSON escape count) is made on the UTF-16 in the memory, where every refused
 * character is one code unit, and the string only made when it passes. Undefined while the step
 * is on trial (both ways are timed as they are) or where it kept the built-in: the caller then
 * scans the bytes and makes the string its own way.
 */
export function checkedText(bytes: Buffer, count: boolean): CheckedText | undefined {
  if (bytes.length < fastFrom() || bytes.length >= FAST_UNTIL || onTrial('text') || wayFor('text') !== 'wasm') return undefined
  const w = wasm()
  if (w === undefined) return undefined
  const { at, units } = widened(w, bytes)
  const bad = w.check16(at, units, count ? 1 : 0)
  if (bad !== -1) return { bad: new DataView(w.memory.buffer).getUint16(at + 2 * bad, true) }
  return { text: ucs2At(w, at, units), escapes: w.escapes.value as number }
}

type Step = 'base64' | 'text' | 'textMostlyAscii'
type Way = 'wasm' | 'builtin'
const STEPS: readonly Step[] = ['base64', 'text', 'textMostlyAscii']
const trials: Record<Step, Record<Way, number[]>> = { base64: { wasm: [], builtin: [] }, text: { wasm: [], builtin: [] }, textMostlyAscii: { wasm: [], builtin: [] } }
const decided: Partial<Record<Step, Way>> = {}

/** Whether this step's way is still being timed: each step is chosen on its own, on the labels that reach it. */
const onTrial = (step: Step) => forced === undefined && decided[step] === undefined

/** The way this step goes for the next label: fixed once chosen, in turn while on trial. */
function wayFor(step: Step): Way {
  if (forced !== undefined) return step === 'textMostlyAscii' ? (forced.textMostlyAscii ?? forced.text) : forced[step]
  const d = decided[step]
  if (d !== undefined) return d
  const t = trials[step]
  return t.wasm.length <= t.builtin.length ? 'wasm' : 'builtin'
}

/** Records one timed label (ns per byte) and chooses once both ways have had their trials. */
function record(step: Step, way: Way, ms: number, size: number): void {
  if (!onTrial(step)) return
  const t = trials[step]
  t[way].push((ms * 1e6) / size)
  if (t.wasm.length < TRIALS || t.builtin.length < TRIALS) return
  // Noise only ever adds time (a collection, another task), and can last for most of a trial: a
  // run of 15 slow labels in 16 was seen on this project's machine. The fastest label of each way
  // is the steady measure of what it costs.
  const best = (xs: number[]) => Math.min(...xs.slice(WARMUP))
  decided[step] = best(t.builtin) * CLEAR_WIN < best(t.wasm) ? 'builtin' : 'wasm'
}

/**
 * The paths chosen (forced, or measured), or undefined while base64 or the text of Chinese labels
 * is still on trial; `textMostlyAscii` is missing until labels of that kind have had theirs.
 */
export function decodePaths(): DecodePaths | undefined {
  if (forced !== undefined) return forced
  if (decided.base64 === undefined || decided.text === undefined) return undefined
  return { base64: decided.base64, text: decided.text, ...(decided.textMostlyAscii === undefined ? {} : { textMostlyAscii: decided.textMostlyAscii }) }
}

/** For tests and the bench: force the paths, or undefined to put them on trial again. */
export function setDecodePaths(paths: DecodePaths | undefined): void {
  forced = paths
  for (const step of STEPS) decided[step] = undefined
  for (const t of Object.values(trials)) {
    t.wasm.length = 0
    t.builtin.length = 0
  }
}
