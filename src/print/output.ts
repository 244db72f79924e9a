import * as fs from 'fs'
import * as path from 'path'
import { DEFAULT_THRESHOLD, dotsOf, toBitmap } from './bitmap'
import { openPrinter, PrinterFailure, type PrinterSink, type PrinterTarget } from './printer'
import { escposLabel } from './escpos'
import { tsplLabel } from './tspl'
import { type ZplEncoding, zplLabel } from './zpl'

/** A thermal printer's own language: TSPL (TSC, Gprinter, Xprinter, HPRT), ZPL (Zebra) or ESC/POS raster (Epson's, and most receipt-style printers'). */
export type PrinterFormat = 'tspl' | 'zpl' | 'escpos'
export const PRINTER_FORMATS: readonly PrinterFormat[] = ['tspl', 'zpl', 'escpos']
/** Thermal label printers print at 203 dpi (8 dots/mm) unless they are the 300 dpi model. */
export const DEFAULT_DPI = 203

/** A label as it prints, a picture per page (what `renderLabels` hands to `onPrinted`). */
export interface PagePictures {
  page: { widthMm: number; heightMm: number }
  /** a PNG per page, at `scale` device pixels per CSS pixel */
  pngs: Buffer[]
}

export interface PrinterOutputOptions {
  formats: readonly PrinterFormat[]
  dpi?: number
  /** the files are `<outDir>/<base>.tspl`, `.zpl` and `.escpos` */
  outDir: string
  base?: string
  /** also send the bytes of the (one) format to this printer, in order, over one connection */
  printer?: PrinterTarget
  zplEncoding?: ZplEncoding
  threshold?: number
  gapMm?: number
  printerTimeoutMs?: number
}

export interface PrinterOutput {
  /** the device pixels per CSS pixel labels must be captured at for this dpi */
  scale: number
  /** takes each printed label, in order (`renderLabels`' `onPrinted`) */
  onPrinted(label: PagePictures): Promise<void>
  /** closes the files and the printer connection */
  finish(): Promise<{ files: string[]; labels: number; sent: number }>
}

/**
 * Writes labels in a printer's language as they come from the renderer, one label per PDF page at
 * the label's own size, and sends the same bytes to a printer when one is given.
 *
 * @example
 * const out = await printerOutput({ formats: ['tspl'], outDir: 'out', printer: { kind: 'tcp', host: '192.168.1.50', port: 9100 } })
 * await renderLabels(labels, { outDir: 'out', scale: out.scale, onPrinted: out.onPrinted })
 * await out.finish()
 */
export async function printerOutput(options: PrinterOutputOptions): Promise<PrinterOutput> {
  if (options.printer && options.formats.length !== 1) throw new Error('A printer takes one language: name one --format with --printer.')
  const dpi = options.dpi ?? DEFAULT_DPI
  fs.mkdirSync(options.outDir, { recursive: true })
  const files = options.formats.map((f) => path.join(options.outDir, `${options.base ?? 'labels'}.${f}`))
  const fds = files.map((f) => fs.openSync(f, 'w'))
  let labels = 0
  // A printer that fails stops being sent to; the files are still written to the end.
  let printerFailed: unknown
  let sink: PrinterSink | undefined
  // A printer that cannot be reached fails the job at the end, as one that stops does: the files are written whole.
  if (options.printer) sink = await openPrinter(options.printer, options.printerTimeoutMs).catch((err: unknown) => ((printerFailed = err), undefined))
  return {
    scale: dpi / 96,
    async onPrinted(label) {
      for (const png of label.pngs) {
        const bitmap = toBitmap(png, { threshold: options.threshold ?? DEFAULT_THRESHOLD, dots: { width: dotsOf(label.page.widthMm, dpi), height: dotsOf(label.page.heightMm, dpi) } })
        for (const [i, format] of options.formats.entries()) {
          const bytes =
            format === 'tspl'
              ? tsplLabel(bitmap, label.page, { ...(options.gapMm !== undefined ? { gapMm: options.gapMm } : {}) })
              : format === 'zpl'
                ? zplLabel(bitmap, { ...(options.zplEncoding ? { encoding: options.zplEncoding } : {}) })
                : escposLabel(bitmap)
          fs.writeSync(fds[i]!, bytes)
          if (sink && printerFailed === undefined) await sink.write(bytes).catch((err: unknown) => (printerFailed = err))
        }
      }
      labels++
    },
    async finish() {
      for (const fd of fds) fs.closeSync(fd)
      if (sink && printerFailed === undefined) await sink.close().catch((err: unknown) => (printerFailed = err))
      if (printerFailed !== undefined) throw printerFailed instanceof PrinterFailure ? printerFailed : new PrinterFailure(String(printerFailed))
      return { files, labels, sent: sink?.sent ?? 0 }
    },
  }
}
