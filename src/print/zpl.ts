import { deflateSync } from 'zlib'
import type { Bitmap } from './bitmap'

/** How ZPL's `^GF` carries the bitmap: `:Z64:` (deflated, base64, with a CRC; the default) or plain hex. */
export type ZplEncoding = 'z64' | 'hex'

/**
 * One label in ZPL (Zebra): print width and label length in dots, then the whole label as one
 * graphic field (`^GFA`), in which a 1 bit is black.
 *
 * @example
 * fs.writeFileSync('labels.zpl', zplLabel(bitmap))
 */
export function zplLabel(bitmap: Bitmap, options: { encoding?: ZplEncoding } = {}): Buffer {
  const total = bitmap.data.length
  const field = (options.encoding ?? 'z64') === 'hex' ? Buffer.from(bitmap.data).toString('hex').toUpperCase() : z64(bitmap.data)
  return Buffer.from(`^XA^PW${bitmap.width}^LL${bitmap.height}^LH0,0^FO0,0^GFA,${total},${total},${bitmap.rowBytes},${field}^FS^XZ\r\n`, 'ascii')
}

/** `:Z64:` + base64 of the deflated data + `:` + the CRC-16/CCITT (XModem) of the base64 text, as Zebra's manual has it. */
export function z64(data: Uint8Array): string {
  const b64 = deflateSync(data).toString('base64')
  return `:Z64:${b64}:${crc16(Buffer.from(b64, 'ascii')).toString(16).toUpperCase().padStart(4, '0')}`
}

/** CRC-16/XMODEM: polynomial 0x1021, initial 0. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}
