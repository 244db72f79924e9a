import { scanUtf8 } from './textScan'

// The same text at every alignment: the pass reads whole words only between 4-byte boundaries.
const at = (text: string | Buffer, offset: number) => {
  const bytes = Buffer.from(text)
  const backing = Buffer.alloc(bytes.length + 8)
  bytes.copy(backing, offset)
  return backing.subarray(offset, offset + bytes.length)
}

describe('scanUtf8', () => {
  test.each([
    ['plain label text', '<p>顺丰速运 收件人：李先生 ·°</p>', undefined, 0],
    ['tab, LF and CR', '<p>\ta\r\nb</p>', undefined, 3],
    ['quotes and backslashes', '<p class="x">a\\b</p>', undefined, 3],
    ['a NUL', '<p>a\u0000b</p>', 0x00, 0],
    ['a form feed', '<p>a\fb</p>', 0x0c, 0],
    ['DEL', '<p>a\u007fb</p>', 0x7f, 0],
    ['a C1 control', '<p>a\u0085b</p>', 0x85, 0],
    ['U+FFFD', '<p>a\ufffdb</p>', 0xfffd, 0],
    ['the first of several', '<p>\ufffd \u0001 \u0085</p>', 0xfffd, 0],
    ['a control in the tail', '<p>abcdefgh</p>\u0002', 0x02, 0],
  ])('%s', (_name, text, bad, escapes) => {
    for (let offset = 0; offset < 8; offset++) {
      const scan = scanUtf8(at(text, offset))
      expect(scan.bad).toBe(bad)
      if (bad === undefined) expect(scan.escapes).toBe(escapes)
    }
  })

  test('escapes make the JSON size exact for any mix, at every length and alignment', () => {
    const text = '<p a="1">\t"\\x顺\n\r丰·</p>'.repeat(3)
    for (let len = 0; len <= Buffer.byteLength(text); len++) {
      const bytes = Buffer.from(text).subarray(0, len)
      if (!require('buffer').isUtf8(bytes)) continue
      for (let offset = 0; offset < 4; offset++) {
        const scan = scanUtf8(at(bytes, offset))
        expect(scan.bad).toBeUndefined()
        expect(len + scan.escapes + 2).toBe(Buffer.byteLength(JSON.stringify(bytes.toString('utf8'))))
      }
    }
  })
})
