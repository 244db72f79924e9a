import * as buffer from 'buffer'
import { TextDecoder } from 'util'
import type { Warning } from '../types'
import { decodeBase64 } from './base64'
import { checkedText, fastBase64, fastFrom, fastText } from './fastDecode'
import { scanUtf8 } from './textScan'

/**
 * What the decode learnt of a UTF-8 label's size on the way: its bytes, and for a large label
 * (where the 1 MB limit may turn on it) the exact bytes of its text as a JSON string.
 */
export interface LabelSize {
  utf8Bytes: number
  jsonBytes?: number
}

export type LabelResult = { html: string; size?: LabelSize; warning?: undefined } | { html: null; warning: Warning }

/**
 * From this size up a label's JSON size is counted exactly. Below it, twice the bytes is
 * under the 1 MB limit anyway, and counting quotes would slow the scan of markup-heavy labels.
 */
export const EXACT_JSON_FROM = 256 * 1024

const GB_CHARSET = /<meta\b[^>]*?charset\s*=\s*["']?\s*(?:gbk|gb2312|gb18030)\b/i
// An answer of only whitespace carries no label, as an empty one does.
const ALL_WHITESPACE = /^[\t\n\f\r ]*$/
// The HTML spec's prescan reads 1024 bytes; labels put a <style> first often enough to look further.
const SNIFF_BYTES = 4096
// Controls other than tab, LF and CR; C1 controls; and U+FFFD, the mark of a failed decode.
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const isAscii: ((b: Uint8Array) => boolean) | undefined =
  typeof (buffer as { isAscii?: unknown }).isAscii === 'function' ? (buffer as unknown as { isAscii: (b: Uint8Array) => boolean }).isAscii : undefined
const gb18030 = new TextDecoder('gb18030')
const gb18030Strict = new TextDecoder('gb18030', { fatal: true })
const isUtf8: (b: Uint8Array) => boolean =
  typeof (buffer as { isUtf8?: unknown }).isUtf8 === 'function'
    ? (buffer as unknown as { isUtf8: (b: Uint8Array) => boolean }).isUtf8
    : (b) => {
        try {
          utf8Strict.decode(b)
          return true
        } catch {
          return false
        }
      }

/**
 * Turns `print_html` (base64 of the label HTML) into text, as docs/contract.md §4 says. Never throws:
 * anything that is not a label gives `html: null` and the warning that says why.
 *
 * @example
 * decodePrintHtml(Buffer.from('<p>顺丰</p>').toString('base64')) // { html: '<p>顺丰</p>' }
 */
export function decodePrintHtml(printHtml: unknown): LabelResult {
  if (printHtml === undefined || printHtml === null || (typeof printHtml === 'string' && ALL_WHITESPACE.test(printHtml))) {
    return warn('PRINT_HTML_MISSING', 'The upstream answer has no print_html, so there is no label.')
  }
  if (typeof printHtml !== 'string') {
    return warn('PRINT_HTML_INVALID_BASE64', `print_html is a ${typeof printHtml}, not base64 text.`)
  }
  // WebAssembly where this runtime's built-in decode is slower (fastDecode.ts measures it); any
  // text it does not take, the built-in path judges, and says why it is not base64.
  const fast = fastBase64(printHtml)
  const decoded = fast !== undefined ? { ok: true as const, bytes: fast } : decodeBase64(printHtml)
  if (!decoded.ok) {
    return warn('PRINT_HTML_INVALID_BASE64', `print_html is not valid base64: ${decoded.reason}.`)
  }
  const bytes = decoded.bytes
  const body = hasBom(bytes) ? bytes.subarray(3) : bytes
  const gb = declaresGb(body)
  if (!gb) {
    // The common case, UTF-8: the text check and the JSON size from the bytes, in one pass.
    // The samples first: a non-ASCII byte among them settles isAscii without its pass over the label.
    const share = body.length >= fastFrom() ? sampledNonAscii(body) : undefined
    const ascii = (share === undefined || share === 0) && isAscii !== undefined && isAscii(body)
    if (ascii || isUtf8(body)) {
      const exact = body.length >= EXACT_JSON_FROM
      const sampled = !ascii && share !== undefined
      const few = sampled && share < 0.1
      // Not mostly ASCII (Chinese text): the checks that pay off on many multi-byte characters.
      const wide = sampled && !few
      if (body.indexOf(0x3c) === -1) return notHtmlWarning(bytes.length, 'there is no "<" in it')
      const size: LabelSize = { utf8Bytes: body.length }
      // Where WebAssembly makes the string, the check runs on the UTF-16 it made.
      const checked = wide ? checkedText(body, exact) : undefined
      if (checked !== undefined) {
        if (checked.bad !== undefined) return notHtmlWarning(bytes.length, controlProblem(checked.bad))
        if (exact) size.jsonBytes = body.length + checked.escapes + 2
        return { html: checked.text, size }
      }
      const scan = scanUtf8(body, exact, wide)
      if (scan.bad !== undefined) return notHtmlWarning(bytes.length, controlProblem(scan.bad))
      if (exact) size.jsonBytes = body.length + scan.escapes + 2
      return { html: ascii ? body.toString('latin1') : utf8ToString(body, few), size }
    }
  }
  // Declared GB, or not UTF-8: what bytesToText does, without judging the bytes again.
  const text = gb ? declaredGbText(body) : gb18030.decode(body)
  const problem = notHtml(text)
  if (problem !== undefined) return notHtmlWarning(bytes.length, problem)
  return { html: text }
}

function notHtmlWarning(bytes: number, problem: string): LabelResult {
  return warn('PRINT_HTML_NOT_HTML', `print_html decodes to ${bytes} bytes that are not label HTML: ${problem}.`)
}

// Eight windows spread over the label's middle (its head and foot are boilerplate, often with a
// title or a signature line in Chinese): labels keep one kind of content throughout, markup with
// a little Chinese or Chinese text, and 512 bytes tell which in well under a microsecond.
const SAMPLES = 8
const SAMPLE_BYTES = 64

/**
 * The share of non-ASCII bytes among the samples (all the bytes of a label too short for them):
 * under 10% says the label is mostly ASCII (which text path is faster turns on it), and any says
 * it is not all ASCII.
 */
function sampledNonAscii(b: Buffer): number {
  let high = 0
  if (b.length <= SAMPLES * SAMPLE_BYTES) {
    for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) high++
    return b.length === 0 ? 0 : high / b.length
  }
  for (let w = 0; w < SAMPLES; w++) {
    const from = Math.floor(((2 * w + 1) * (b.length - SAMPLE_BYTES)) / (2 * SAMPLES))
    for (let i = from; i < from + SAMPLE_BYTES; i++) if (b[i]! >= 0x80) high++
  }
  return high / (SAMPLES * SAMPLE_BYTES)
}

const hasBom = (b: Buffer) => b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf
// Every GB charset name starts with "gb" in some case: without one in the sniffed bytes (four
// native searches) the regular expression, over a 4 KB string, need not run.
const GB_PREFIXES = ['gb', 'GB', 'Gb', 'gB'].map((s) => Buffer.from(s, 'latin1'))
const declaresGb = (body: Buffer) => {
  const head = body.subarray(0, SNIFF_BYTES)
  if (!GB_PREFIXES.some((p) => head.includes(p))) return false
  return GB_CHARSET.test(head.toString('latin1'))
}

/**
 * UTF-8 bytes to a string. ICU's transcode to UTF-16 and a copy measured 2–7× faster than V8's
 * own UTF-8 decode on Chinese labels (Node 18.15 and 20); the WebAssembly widening is faster still
 * where fastDecode.ts measured it so. Where transcode is missing (Node without ICU) or a runtime
 * gives another string, toString does it.
 */
const utf8ToString: (b: Buffer, mostlyAscii?: boolean) => string = (() => {
  const viaUtf16 = (b: Buffer) => buffer.transcode(b, 'utf8', 'ucs2').toString('ucs2')
  try {
    const probe = Buffer.from('<p>顺丰速运 ✓ 𝄞 é</p>')
    if (typeof buffer.transcode === 'function' && viaUtf16(probe) === probe.toString('utf8')) {
      return (b: Buffer, mostlyAscii?: boolean) => fastText(b, mostlyAscii) ?? (b.length < TRANSCODE_FROM ? b.toString('utf8') : viaUtf16(b))
    }
  } catch {
    // no ICU: fall through
  }
  return (b: Buffer, mostlyAscii?: boolean) => fastText(b, mostlyAscii) ?? b.toString('utf8')
})()
// Below this a label is a few µs either way and transcode's second buffer is not worth it.
const TRANSCODE_FROM = 256

/**
 * UTF-8 BOM dropped; a GB charset in a meta tag means GB18030; else strict UTF-8, then GB18030.
 * A declaration can be wrong: when the bytes are not GB18030 at all but are valid UTF-8, the
 * bytes decide.
 */
export function bytesToText(bytes: Buffer): string {
  const body = hasBom(bytes) ? bytes.subarray(3) : bytes
  if (declaresGb(body)) return declaredGbText(body)
  if (isUtf8(body)) return utf8ToString(body)
  return gb18030.decode(body)
}

/** A body whose meta tag says GB: GB18030 strictly, else valid UTF-8 as such, else GB18030 with replacements. */
function declaredGbText(body: Buffer): string {
  try {
    return gb18030Strict.decode(body)
  } catch {
    return isUtf8(body) ? utf8ToString(body) : gb18030.decode(body)
  }
}

function notHtml(text: string): string | undefined {
  if (!text.includes('<')) return 'there is no "<" in it'
  const bad = NOT_TEXT.exec(text)
  return bad ? controlProblem(bad[0].charCodeAt(0)) : undefined
}

function controlProblem(code: number): string {
  return code === 0xfffd ? 'it is neither UTF-8 nor GB18030 text' : `it has the control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`
}

function warn(code: Warning['code'], message: string): LabelResult {
  return { html: null, warning: { code, message } }
}
