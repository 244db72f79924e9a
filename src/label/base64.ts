const WHITESPACE = /[\t\n\f\r ]/
const WHITESPACE_ALL = /[\t\n\f\r ]+/g
const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/

export type Base64Result = { ok: true; bytes: Buffer } | { ok: false; reason: string }

/**
 * RFC 4648 base64, strictly: the standard or the URL-safe alphabet (not both at once), padding
 * optional but correct when present, ASCII whitespace ignored. Node's own decoder skips any
 * character it does not know, so the shape is checked first.
 */
export function decodeBase64(input: string): Base64Result {
  const s = WHITESPACE.test(input) ? input.replace(WHITESPACE_ALL, '') : input
  if (!STANDARD.test(s) && !URL_SAFE.test(s)) {
    return { ok: false, reason: 'it has characters outside one base64 alphabet' }
  }
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0
  const dataLength = s.length - padding
  if (dataLength % 4 === 1) {
    return { ok: false, reason: 'its length is not that of any base64 text' }
  }
  if (padding > 0 && s.length % 4 !== 0) {
    return { ok: false, reason: 'its padding does not match its length' }
  }
  return { ok: true, bytes: Buffer.from(s, 'base64') }
}
