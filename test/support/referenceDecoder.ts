// The decoder as it was before the fast path (commit 5557711), kept as the oracle the property
// tests hold the fast path to: same answer, same reason, for every input.
import * as buffer from 'buffer'
import { TextDecoder } from 'util'
import type { Warning } from '../../src/types'

type LabelResult = { html: string; warning?: undefined } | { html: null; warning: Warning }
type Base64Result = { ok: true; bytes: Buffer } | { ok: false; reason: string }

const GB_CHARSET = /<meta\b[^>]*?charset\s*=\s*["']?\s*(?:gbk|gb2312|gb18030)\b/i
// An answer of only whitespace carries no label, as an empty one does.
const ALL_WHITESPACE = /^[\t\n\f\r ]*$/
// The HTML spec's prescan reads 1024 bytes; labels put a <style> first often enough to look further.
const SNIFF_BYTES = 4096
// Controls other than tab, LF and CR; C1 controls; and U+FFFD, the mark of a failed decode.
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
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
export function referenceDecodePrintHtml(printHtml: unknown): LabelResult {
  if (printHtml === undefined || printHtml === null || (typeof printHtml === 'string' && ALL_WHITESPACE.test(printHtml))) {
    return warn('PRINT_HTML_MISSING', 'The upstream answer has no print_html, so there is no label.')
  }
  if (typeof printHtml !== 'string') {
    return warn('PRINT_HTML_INVALID_BASE64', `print_html is a ${typeof printHtml}, not base64 text.`)
  }
  const decoded = decodeBase64(printHtml)
  if (!decoded.ok) {
    return warn('PRINT_HTML_INVALID_BASE64', `print_html is not valid base64: ${decoded.reason}.`)
  }
  const text = bytesToText(decoded.bytes)
  const problem = notHtml(text)
  if (problem !== undefined) {
    return warn('PRINT_HTML_NOT_HTML', `print_html decodes to ${decoded.bytes.length} bytes that are not label HTML: ${problem}.`)
  }
  return { html: text }
}

/**
 * UTF-8 BOM dropped; a GB charset in a meta tag means GB18030; else strict UTF-8, then GB18030.
 * A declaration can be wrong: when the bytes are not GB18030 at all but are valid UTF-8, the
 * bytes decide.
 */
function bytesToText(bytes: Buffer): string {
  let body = bytes
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3)
  if (GB_CHARSET.test(body.subarray(0, SNIFF_BYTES).toString('latin1'))) {
    try {
      return gb18030Strict.decode(body)
    } catch {
      return isUtf8(body) ? body.toString('utf8') : gb18030.decode(body)
    }
  }
  if (isUtf8(body)) return body.toString('utf8')
  return gb18030.decode(body)
}

function notHtml(text: string): string | undefined {
  if (!text.includes('<')) return 'there is no "<" in it'
  const bad = NOT_TEXT.exec(text)
  if (bad) {
    return bad[0] === '\ufffd' ? 'it is neither UTF-8 nor GB18030 text' : `it has the control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`
  }
  return undefined
}

function warn(code: Warning['code'], message: string): LabelResult {
  return { html: null, warning: { code, message } }
}
const WHITESPACE_ALL = /[\t\n\f\r ]+/g
const ALPHABET_CHAR = /^[A-Za-z0-9+/_-]$/

/**
 * RFC 4648 base64, strictly: the standard or the URL-safe alphabet (not both at once), padding
 * optional but correct when present, ASCII whitespace ignored. Pad bits in the last character
 * need not be zero: the API documentation's own example has them set, as many encoders do.
 *
 * Node's decoder skips characters it does not know, so validity is checked by encoding the
 * bytes again and comparing: both run in native code, several times faster than a regex over
 * a label of megabytes.
 */
function decodeBase64(input: string): Base64Result {
  const s = hasWhitespace(input) ? input.replace(WHITESPACE_ALL, '') : input
  const urlSafe = s.includes('-') || s.includes('_')
  if (urlSafe && (s.includes('+') || s.includes('/'))) {
    return { ok: false, reason: 'it mixes the standard and the URL-safe alphabets' }
  }
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0
  const data = padding ? s.slice(0, -padding) : s
  if (data.length % 4 === 1) {
    return { ok: false, reason: 'its length is not that of any base64 text' }
  }
  if (padding > 0 && s.length % 4 !== 0) {
    return { ok: false, reason: 'its padding does not match its length' }
  }
  const bytes = Buffer.from(data, 'base64')
  const again = bytes.toString(urlSafe ? 'base64url' : 'base64')
  const canonical = again.endsWith('==') ? again.slice(0, -2) : again.endsWith('=') ? again.slice(0, -1) : again
  // A partial last group may carry pad bits, so its last character is only checked for its alphabet.
  const exact = data.length % 4 === 0 ? canonical === data : canonical.length === data.length && canonical.slice(0, -1) === data.slice(0, -1) && ALPHABET_CHAR.test(data.slice(-1))
  if (!exact) return { ok: false, reason: 'it has characters outside the base64 alphabet' }
  return { ok: true, bytes }
}

function hasWhitespace(s: string): boolean {
  return s.includes(' ') || s.includes('\n') || s.includes('\r') || s.includes('\t') || s.includes('\f')
}
