import type { Bitmap } from './bitmap'

/** Millimetres as TSPL takes them: at most one decimal. */
const mm = (n: number) => String(Math.round(n * 10) / 10)

/**
 * One label in TSPL (TSC, Gprinter 佳博, Xprinter 芯烨, HPRT 汉印): the label's size and gap,
 * then the whole label as one bitmap and `PRINT 1`. In TSPL's BITMAP a 0 bit burns a dot, so the
 * bitmap's bits are inverted.
 *
 * @example
 * fs.writeFileSync('labels.tspl', tsplLabel(bitmap, { widthMm: 100, heightMm: 150 }))
 */
export function tsplLabel(bitmap: Bitmap, page: { widthMm: number; heightMm: number }, options: { gapMm?: number } = {}): Buffer {
  const head = [
    `SIZE ${mm(page.widthMm)} mm,${mm(page.heightMm)} mm`,
    `GAP ${mm(options.gapMm ?? 2)} mm,0 mm`,
    'DIRECTION 0',
    'REFERENCE 0,0',
    'CLS',
    `BITMAP 0,0,${bitmap.rowBytes},${bitmap.height},0,`,
  ].join('\r\n')
  const data = Buffer.from(bitmap.data)
  for (let i = 0; i < data.length; i++) data[i] = ~data[i]! & 0xff
  return Buffer.concat([Buffer.from(head, 'ascii'), data, Buffer.from('\r\nPRINT 1\r\n', 'ascii')])
}
