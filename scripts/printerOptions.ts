// --format, --dpi, --printer and --zpl-encoding, read one way for npm run label and npm run station.
import { DEFAULT_DPI, PRINTER_FORMATS, type PrinterFormat, type PrinterOutputOptions } from '../src/print/output'
import { parsePrinter, type PrinterTarget } from '../src/print/printer'
import type { ZplEncoding } from '../src/print/zpl'

export interface PrinterSettings {
  formats: PrinterFormat[]
  dpi: number
  printer?: { spec: string; target: PrinterTarget }
  zplEncoding?: ZplEncoding
}

type Flags = { format?: string | undefined; dpi?: string | undefined; printer?: string | undefined; 'zpl-encoding'?: string | undefined }

/**
 * The printer flags, checked together; `undefined` when none is given. `files`: the labels are
 * written in the formats, a printer optional (npm run label). `printer`: they go to the printer,
 * in one format, TSPL unless `--format` says (npm run station).
 */
export function readPrinterOptions(o: Flags, mode: 'files' | 'printer'): { ok: true; value: PrinterSettings | undefined } | { ok: false; problem: string } {
  const lead = mode === 'files' ? o.format : o.printer
  if (lead === undefined) {
    const others = mode === 'files' ? [o.printer, o.dpi, o['zpl-encoding']] : [o.format, o.dpi, o['zpl-encoding']]
    if (others.some((v) => v !== undefined))
      return { ok: false, problem: mode === 'files' ? '--printer, --dpi and --zpl-encoding go with --format.' : '--format, --dpi and --zpl-encoding go with --printer.' }
    return { ok: true, value: undefined }
  }
  const formats = [...new Set((o.format ?? 'tspl').split(',').map((f) => f.trim().toLowerCase()))]
  if (formats.some((f) => !PRINTER_FORMATS.includes(f as PrinterFormat))) return { ok: false, problem: `--format takes ${PRINTER_FORMATS.join(', ')} (several: comma-separated).` }
  const dpi = o.dpi === undefined ? DEFAULT_DPI : Number(o.dpi)
  if (!Number.isInteger(dpi) || dpi < 100 || dpi > 600) return { ok: false, problem: "--dpi takes the printer's resolution, a whole number from 100 to 600 (203 or 300 for label printers)." }
  const encoding = o['zpl-encoding']
  if (encoding !== undefined && encoding !== 'z64' && encoding !== 'hex') return { ok: false, problem: '--zpl-encoding takes z64 or hex.' }
  let printer: PrinterSettings['printer']
  if (o.printer !== undefined) {
    const parsed = parsePrinter(o.printer)
    if (!parsed.ok) return { ok: false, problem: parsed.problem }
    if (formats.length !== 1) return { ok: false, problem: 'A printer takes one language: name one --format with --printer.' }
    printer = { spec: o.printer, target: parsed.target }
  }
  return { ok: true, value: { formats: formats as PrinterFormat[], dpi, ...(printer ? { printer } : {}), ...(encoding ? { zplEncoding: encoding } : {}) } }
}

/** What `printerOutput` takes for these settings. */
export function outputOptions(p: PrinterSettings, outDir: string, base?: string): PrinterOutputOptions {
  return { formats: p.formats, dpi: p.dpi, outDir, ...(base ? { base } : {}), ...(p.printer ? { printer: p.printer.target } : {}), ...(p.zplEncoding ? { zplEncoding: p.zplEncoding } : {}) }
}
