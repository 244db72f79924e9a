import type { Bitmap } from './bitmap'

/** Rows per `GS v 0` command: small enough for the input buffer of the plainest printer. */
export const ESCPOS_BAND_ROWS = 255

/**
 * One label in ESC/POS raster (Epson's command set, which most 58/80/110 mm thermal printers
 * speak, label models included): `ESC @` to start clean, the bitmap as `GS v 0` raster bands in
 * which a 1 bit prints a dot, then `GS FF` to feed the label stock to the next label's start. For
 * printers whose head is as wide as the label (a 100 mm label needs a 4-inch head).
 *
 * @example
 * fs.writeFileSync('labels.escpos', escposLabel(bitmap))
 */
export function escposLabel(bitmap: Bitmap): Buffer {
  const parts: Buffer[] = [Buffer.from([0x1b, 0x40])]
  for (let top = 0; top < bitmap.height; top += ESCPOS_BAND_ROWS) {
    const rows = Math.min(ESCPOS_BAND_ROWS, bitmap.height - top)
    const x = bitmap.rowBytes
    parts.push(Buffer.from([0x1d, 0x76, 0x30, 0x00, x & 0xff, x >> 8, rows & 0xff, rows >> 8]))
    parts.push(Buffer.from(bitmap.data.subarray(top * x, (top + rows) * x)))
  }
  parts.push(Buffer.from([0x1d, 0x0c]))
  return Buffer.concat(parts)
}
