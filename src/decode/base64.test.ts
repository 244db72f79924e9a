import { decodeBase64 } from './base64'

// RFC 4648 §10 test vectors.
const VECTORS: [string, string][] = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
]

describe('decodeBase64', () => {
  test.each(VECTORS)('RFC 4648 vector %p from %p', (plain, encoded) => {
    const r = decodeBase64(encoded)
    expect(r).toEqual({ ok: true, bytes: Buffer.from(plain) })
  })

  test.each(VECTORS)('RFC 4648 vector %p without padding', (plain, encoded) => {
    const r = decodeBase64(encoded.replace(/=+$/, ''))
    expect(r).toEqual({ ok: true, bytes: Buffer.from(plain) })
  })

  test('URL-safe alphabet decodes to the same bytes as the standard one', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0xfe, 0x3e])
    const standard = bytes.toString('base64')
    expect(standard).toMatch(/[+/]/)
    const urlSafe = bytes.toString('base64url')
    expect(decodeBase64(standard)).toEqual({ ok: true, bytes })
    expect(decodeBase64(urlSafe)).toEqual({ ok: true, bytes })
  })

  test.each([
    ['Zh==', 'f'],
    ['Zm9=', 'fo'],
    ['Zh', 'f'],
  ])('pad bits set in the last character are tolerated: %p → %p', (input, plain) => {
    expect(decodeBase64(input)).toEqual({ ok: true, bytes: Buffer.from(plain) })
  })

  test('whitespace (MIME line breaks, spaces, tabs) is ignored', () => {
    expect(decodeBase64('Zm9v\r\nYmFy')).toEqual({ ok: true, bytes: Buffer.from('foobar') })
    expect(decodeBase64(' Zm9v\tYg==\n')).toEqual({ ok: true, bytes: Buffer.from('foob') })
  })

  test.each([
    ['Zm9vYg=', 'padding short for its length'],
    ['Zm9v=', 'padding where none belongs'],
    ['Zm9vY===', 'three padding characters'],
    ['Zg==Zg==', 'padding in the middle'],
    ['Zm9vY', 'a length no base64 has (4n+1)'],
    ['Zm9v!', 'a character outside both alphabets'],
    ['+/-_', 'both alphabets at once'],
    ['Zm9v\u4e2d', 'a non-ASCII character'],
    ['Zm9v\u00a0', 'non-ASCII whitespace'],
    ['Zm9\u0141', "'Ł', which a decoder reading the low byte takes for 'A'"],
    ['Zm9v'.repeat(20) + 'Zm9\u0141', "'Ł' at the end of a longer text"],
  ])('rejects %p (%s)', (input) => {
    const r = decodeBase64(input)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toEqual(expect.any(String))
  })
})
