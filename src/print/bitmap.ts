/** A 1-bit picture, rows of `rowBytes` bytes, most significant bit leftmost; a 1 bit is black. */
export interface Bitmap {
  width: number
  height: number
  rowBytes: number
  data: Uint8Array
}

/** Luma below this (of 255) is black: text and bars, anti-aliased edges split down the middle. */
export const DEFAULT_THRESHOLD = 128

/**
 * A PNG (as the renderer captures a label) made 1-bit by threshold: a bar or a stroke stays one
 * solid run of dots, which is what keeps a barcode readable at 203 dpi (dithering would fray its
 * edges). Transparency counts as white paper.
 *
 * @example
 * const bitmap = toBitmap(fs.readFileSync('out/label.png'))
 */
export function toBitmap(png: Buffer, options: { threshold?: number; dots?: { width: number; height: number } } = {}): Bitmap {
  const { PNG } = loadPng()
  const image = PNG.sync.read(png)
  const threshold = options.threshold ?? DEFAULT_THRESHOLD
  // The page's own size in dots: a capture a dot larger or smaller (rounding) is cut or padded white.
  const width = options.dots?.width ?? image.width
  const height = options.dots?.height ?? image.height
  const rowBytes = Math.ceil(width / 8)
  const data = new Uint8Array(rowBytes * height)
  const px = image.data
  for (let y = 0; y < Math.min(height, image.height); y++) {
    for (let x = 0; x < Math.min(width, image.width); x++) {
      const i = (y * image.width + x) * 4
      const a = px[i + 3]! / 255
      const luma = (0.299 * px[i]! + 0.587 * px[i + 1]! + 0.114 * px[i + 2]!) * a + 255 * (1 - a)
      if (luma < threshold) data[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7)
    }
  }
  return { width, height, rowBytes, data }
}

/** A length in millimetres as printer dots at `dpi`. */
export const dotsOf = (mm: number, dpi: number) => Math.round((mm / 25.4) * dpi)

/** Whether the dot at (x, y) is black. */
export function isBlack(b: Bitmap, x: number, y: number): boolean {
  return (b.data[y * b.rowBytes + (x >> 3)]! & (0x80 >> (x & 7))) !== 0
}

function loadPng(): typeof import('pngjs') {
  try {
    return require('pngjs') as typeof import('pngjs')
  } catch {
    throw new Error('pngjs is not installed, so labels cannot be made into printer bitmaps. Install it with: npm install pngjs')
  }
}
