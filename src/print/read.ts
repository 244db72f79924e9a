import { inflateSync } from 'zlib'
import type { Bitmap } from './bitmap'
import { crc16 } from './zpl'

/** A label as a printer would take it from a TSPL or ZPL stream. */
export interface ReadLabel {
  bitmap: Bitmap
  /** TSPL's `SIZE`, in millimetres */
  sizeMm?: { width: number; height: number }
  /** ZPL's `^PW` and `^LL`, in dots */
  dots?: { width: number; height: number }
}

/**
 * Reads a TSPL stream as a printer does: commands line by line, `BITMAP`'s binary data by the
 * byte count its header gives, one label per `PRINT`. Bits come back with 1 black (TSPL's 0).
 */
export function readTspl(stream: Buffer): ReadLabel[] {
  const labels: ReadLabel[] = []
  let size: { width: number; height: number } | undefined
  let bitmap: Bitmap | undefined
  let at = 0
  while (at < stream.length) {
    const end = stream.indexOf('\r\n', at)
    const line = stream.subarray(at, end < 0 ? stream.length : end).toString('latin1')
    if (line.startsWith('BITMAP ')) {
      const fields = line.slice(7).split(',', 5).map(Number)
      const [x, y, rowBytes, height, mode] = fields as [number, number, number, number, number]
      if (x !== 0 || y !== 0 || mode !== 0) throw new Error(`Unexpected BITMAP placement: ${line.slice(0, 40)}`)
      const start = at + 7 + line.slice(7).split(',', 5).join(',').length + 1
      const data = Uint8Array.from(stream.subarray(start, start + rowBytes * height), (b) => ~b & 0xff)
      if (data.length !== rowBytes * height) throw new Error('BITMAP data is cut short.')
      bitmap = { width: rowBytes * 8, height, rowBytes, data }
      at = start + rowBytes * height
      if (stream.subarray(at, at + 2).toString('latin1') === '\r\n') at += 2
      continue
    }
    const m = /^SIZE ([\d.]+) mm,([\d.]+) mm$/.exec(line)
    if (m) size = { width: Number(m[1]), height: Number(m[2]) }
    if (line.startsWith('PRINT ')) {
      if (!bitmap) throw new Error('PRINT before any BITMAP.')
      labels.push({ bitmap, ...(size ? { sizeMm: size } : {}) })
      bitmap = undefined
    }
    at = end < 0 ? stream.length : end + 2
  }
  return labels
}

/** Reads a ZPL stream: each `^XA … ^XZ` format's `^GFA` field (hex or `:Z64:`, its CRC checked), with `^PW` and `^LL`. */
export function readZpl(stream: Buffer): ReadLabel[] {
  const text = stream.toString('latin1')
  const labels: ReadLabel[] = []
  for (const format of text.split('^XZ').filter((f) => f.includes('^XA'))) {
    const pw = /\^PW(\d+)/.exec(format)
    const ll = /\^LL(\d+)/.exec(format)
    const gf = /\^GFA,(\d+),(\d+),(\d+),([^^]*)/.exec(format)
    if (!gf) throw new Error('A ZPL format without ^GFA.')
    const total = Number(gf[1])
    const rowBytes = Number(gf[3])
    const field = gf[4]!.trim()
    let data: Buffer
    if (field.startsWith(':Z64:')) {
      const [, , b64, crc] = field.split(':')
      if (crc16(Buffer.from(b64!, 'ascii')) !== parseInt(crc!, 16)) throw new Error('The :Z64: field fails its CRC.')
      data = inflateSync(Buffer.from(b64!, 'base64'))
    } else data = Buffer.from(field, 'hex')
    if (data.length !== total) throw new Error(`^GFA says ${total} bytes, the field holds ${data.length}.`)
    const width = pw ? Number(pw[1]) : rowBytes * 8
    labels.push({ bitmap: { width, height: total / rowBytes, rowBytes, data: new Uint8Array(data) }, ...(pw && ll ? { dots: { width: Number(pw[1]), height: Number(ll[1]) } } : {}) })
  }
  return labels
}

/**
 * Reads an ESC/POS stream of raster labels: `ESC @` starts one, its `GS v 0` bands are stacked,
 * `GS FF` ends it. Any other byte is refused: our output has none.
 */
export function readEscpos(stream: Buffer): ReadLabel[] {
  const labels: ReadLabel[] = []
  let bands: { rowBytes: number; rows: number; data: Uint8Array }[] = []
  let at = 0
  while (at < stream.length) {
    if (stream[at] === 0x1b && stream[at + 1] === 0x40) {
      bands = []
      at += 2
    } else if (stream[at] === 0x1d && stream[at + 1] === 0x76 && stream[at + 2] === 0x30) {
      if (stream[at + 3] !== 0) throw new Error('A GS v 0 band in a scaled mode.')
      const rowBytes = stream[at + 4]! + stream[at + 5]! * 256
      const rows = stream[at + 6]! + stream[at + 7]! * 256
      const data = stream.subarray(at + 8, at + 8 + rowBytes * rows)
      if (data.length !== rowBytes * rows) throw new Error('A GS v 0 band is cut short.')
      bands.push({ rowBytes, rows, data })
      at += 8 + rowBytes * rows
    } else if (stream[at] === 0x1d && stream[at + 1] === 0x0c) {
      const rowBytes = bands[0]?.rowBytes ?? 0
      if (bands.length === 0 || bands.some((b) => b.rowBytes !== rowBytes)) throw new Error('A label without bands, or with bands of different widths.')
      const height = bands.reduce((n, b) => n + b.rows, 0)
      labels.push({ bitmap: { width: rowBytes * 8, height, rowBytes, data: Uint8Array.from(Buffer.concat(bands.map((b) => b.data))) } })
      bands = []
      at += 2
    } else throw new Error(`Unexpected byte 0x${stream[at]!.toString(16)} at ${at}.`)
  }
  return labels
}
