import * as fs from 'fs'
import * as net from 'net'
import * as os from 'os'
import * as path from 'path'
import fc from 'fast-check'
import { type Bitmap, isBlack } from './bitmap'
import { openPrinter, parsePrinter, PrinterFailure } from './printer'
import { escposLabel } from './escpos'
import { readEscpos, readTspl, readZpl } from './read'
import { tsplLabel } from './tspl'
import { crc16, zplLabel } from './zpl'

const bitmapOf = (width: number, height: number, black: (x: number, y: number) => boolean): Bitmap => {
  const rowBytes = Math.ceil(width / 8)
  const data = new Uint8Array(rowBytes * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (black(x, y)) data[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7)
  return { width, height, rowBytes, data }
}
const arbitraryBitmap = fc
  .record({ width: fc.integer({ min: 1, max: 64 }), height: fc.integer({ min: 1, max: 40 }), seed: fc.integer() })
  .map(({ width, height, seed }) => bitmapOf(width, height, (x, y) => ((x * 31 + y * 17 + seed) & 7) < 3))

describe('TSPL', () => {
  test('a label: SIZE, GAP, DIRECTION, CLS, BITMAP with a 0 bit where a dot burns, PRINT 1', () => {
    const b = bitmapOf(16, 2, (x) => x === 0)
    const bytes = tsplLabel(b, { widthMm: 100, heightMm: 150 })
    const text = bytes.toString('latin1')
    expect(text.startsWith('SIZE 100 mm,150 mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 0\r\nREFERENCE 0,0\r\nCLS\r\nBITMAP 0,0,2,2,0,')).toBe(true)
    const data = bytes.subarray(text.indexOf('BITMAP 0,0,2,2,0,') + 'BITMAP 0,0,2,2,0,'.length, text.indexOf('\r\nPRINT 1'))
    // The first dot of each row is black: its bit is 0, every other bit 1.
    expect([...data]).toEqual([0x7f, 0xff, 0x7f, 0xff])
    expect(text.endsWith('\r\nPRINT 1\r\n')).toBe(true)
  })

  test('whatever the bitmap, reading the stream back gives it, dot for dot', () => {
    fc.assert(
      fc.property(fc.array(arbitraryBitmap, { minLength: 1, maxLength: 3 }), (bitmaps) => {
        const stream = Buffer.concat(bitmaps.map((b) => tsplLabel(b, { widthMm: 50, heightMm: 30 })))
        const read = readTspl(stream)
        expect(read).toHaveLength(bitmaps.length)
        read.forEach((r, i) => {
          const b = bitmaps[i]!
          // Row for row, byte for byte: the padding bits past the width come back white too.
          expect(Buffer.from(r.bitmap.data)).toEqual(Buffer.from(b.data))
          expect(isBlack(r.bitmap, 0, 0)).toBe(isBlack(b, 0, 0))
          expect(r.sizeMm).toEqual({ width: 50, height: 30 })
        })
      }),
      { numRuns: 60 },
    )
  })
})

describe('ZPL', () => {
  test('CRC-16/XMODEM of "123456789" is its published check value, 0x31C3', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3)
  })

  test.each(['z64', 'hex'] as const)('%s: ^XA ^PW ^LL ^FO0,0 ^GFA … ^XZ, a 1 bit black, read back dot for dot', (encoding) => {
    fc.assert(
      fc.property(arbitraryBitmap, (b) => {
        const bytes = zplLabel(b, { encoding })
        const text = bytes.toString('latin1')
        expect(text).toMatch(new RegExp(`^\\^XA\\^PW${b.width}\\^LL${b.height}\\^LH0,0\\^FO0,0\\^GFA,${b.data.length},${b.data.length},${b.rowBytes},${encoding === 'z64' ? ':Z64:' : '[0-9A-F]'}`))
        expect(text.trimEnd().endsWith('^FS^XZ')).toBe(true)
        const [r] = readZpl(bytes)
        expect(Buffer.from(r!.bitmap.data)).toEqual(Buffer.from(b.data))
        expect(r!.dots).toEqual({ width: b.width, height: b.height })
      }),
      { numRuns: 60 },
    )
  })

  test('a :Z64: field whose CRC does not match is refused, as a printer aborts it', () => {
    const text = zplLabel(bitmapOf(8, 8, (x, y) => x === y)).toString('latin1')
    const broken = text.replace(/:([0-9A-F]{4})\^FS/, (_, crc: string) => `:${((parseInt(crc, 16) + 1) & 0xffff).toString(16).toUpperCase().padStart(4, '0')}^FS`)
    expect(broken).not.toBe(text)
    expect(() => readZpl(Buffer.from(broken, 'latin1'))).toThrow(/CRC/)
  })
})

describe('ESC/POS raster', () => {
  test('ESC @, then GS v 0 bands of at most 255 rows in which a 1 bit prints, then GS FF', () => {
    const b = bitmapOf(16, 300, (x, y) => x === y % 16)
    const bytes = escposLabel(b)
    expect([...bytes.subarray(0, 2)]).toEqual([0x1b, 0x40])
    expect([...bytes.subarray(2, 10)]).toEqual([0x1d, 0x76, 0x30, 0, 2, 0, 255, 0])
    const second = 10 + 2 * 255
    expect([...bytes.subarray(second, second + 8)]).toEqual([0x1d, 0x76, 0x30, 0, 2, 0, 45, 0])
    expect([...bytes.subarray(-2)]).toEqual([0x1d, 0x0c])
    expect(bytes[10]).toBe(0x80)
  })

  test('whatever the bitmaps, reading the stream back gives them, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(arbitraryBitmap, { minLength: 1, maxLength: 3 }), (bitmaps) => {
        const read = readEscpos(Buffer.concat(bitmaps.map((b) => escposLabel(b))))
        expect(read.map((r) => Buffer.from(r.bitmap.data))).toEqual(bitmaps.map((b) => Buffer.from(b.data)))
        expect(read.map((r) => r.bitmap.height)).toEqual(bitmaps.map((b) => b.height))
      }),
      { numRuns: 60 },
    )
  })
})

describe('printers', () => {
  test.each<[string, unknown]>([
    ['tcp://127.0.0.1:9100', { kind: 'tcp', host: '127.0.0.1', port: 9100 }],
    ['tcp://printer.local:9100', { kind: 'tcp', host: 'printer.local', port: 9100 }],
    ['tcp://[::1]:9100', { kind: 'tcp', host: '::1', port: 9100 }],
    ['file:/dev/usb/lp0', { kind: 'file', path: '/dev/usb/lp0' }],
    ['tcp://127.0.0.1:0', undefined],
    ['tcp://127.0.0.1:70000', undefined],
    ['tcp://127.0.0.1', undefined],
    ['http://127.0.0.1:9100', undefined],
    ['file:relative/path', undefined],
    ['/dev/usb/lp0', undefined],
  ])('parsePrinter(%p)', (spec, target) => {
    const r = parsePrinter(spec)
    if (target === undefined) expect(r).toMatchObject({ ok: false, problem: expect.stringContaining('tcp://host:port') })
    else expect(r).toEqual({ ok: true, target })
  })

  /** A raw-port printer on loopback that keeps every byte it is sent, per connection. */
  async function fakePrinter(options: { read?: boolean } = {}) {
    const connections: Buffer[][] = []
    const server = net.createServer((socket) => {
      const got: Buffer[] = []
      connections.push(got)
      // A 'data' listener would set the socket flowing: a printer that stops reading has none.
      if (options.read === false) socket.pause()
      else socket.on('data', (d) => got.push(d))
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    return { port, connections, received: () => Buffer.concat(connections.flat()), close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.emit('close'))) }
  }

  test('tcp: one connection, every byte in order, the count reported', async () => {
    const printer = await fakePrinter()
    const sink = await openPrinter({ kind: 'tcp', host: '127.0.0.1', port: printer.port })
    const parts = [Buffer.from('SIZE 100 mm,150 mm\r\n'), Buffer.alloc(300_000, 0xa5), Buffer.from('PRINT 1\r\n')]
    for (const p of parts) await sink.write(p)
    await sink.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(printer.connections).toHaveLength(1)
    expect(printer.received()).toEqual(Buffer.concat(parts))
    expect(sink.sent).toBe(Buffer.concat(parts).length)
    stop(printer)
  })

  test('tcp: a port where nothing listens is a PrinterFailure naming it, at once', async () => {
    const printer = await fakePrinter()
    const port = printer.port
    stop(printer)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await expect(openPrinter({ kind: 'tcp', host: '127.0.0.1', port }, 2000)).rejects.toThrow(PrinterFailure)
    await expect(openPrinter({ kind: 'tcp', host: '127.0.0.1', port }, 2000)).rejects.toThrow(`127.0.0.1:${port}`)
  })

  test('tcp: a printer that stops reading fails the write within its bound, not never', async () => {
    const printer = await fakePrinter({ read: false })
    const sink = await openPrinter({ kind: 'tcp', host: '127.0.0.1', port: printer.port }, 300)
    const started = Date.now()
    let failure: unknown
    try {
      for (let i = 0; i < 200; i++) await sink.write(Buffer.alloc(1024 * 1024))
    } catch (err) {
      failure = err
    }
    expect(failure).toBeInstanceOf(PrinterFailure)
    expect(String(failure)).toMatch(/did not take the data within 300 ms/)
    expect(Date.now() - started).toBeLessThan(5000)
    stop(printer)
  })

  test('file: the bytes land in the file (a device such as /dev/usb/lp0 is a file too)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-lp-')), 'lp0')
    const sink = await openPrinter({ kind: 'file', path: file })
    await sink.write(Buffer.from('^XA'))
    await sink.write(Buffer.from('^XZ'))
    await sink.close()
    expect(fs.readFileSync(file, 'latin1')).toBe('^XA^XZ')
  })

  function stop(printer: { close(): Promise<void> }) {
    void printer.close()
  }
})
