import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import type { Browser } from 'playwright-core'
import type { OrderStatus, PrintType } from '../types'
import { CancelledWaybillError } from './cancelled'
import { pdfFileName, uniqueFileNames } from './names'
import { Slot } from './one'
import { PdfOut } from './pdfOut'
import { joinUnit, planUnits, renderUnit, type UnitResult } from './units'
import { cssPx, type PageSize } from './page'
import { LabelPage, RenderLimitError, sealedArgs, sealedContext, within } from './sealed'

export { RenderLimitError } from './sealed'
export { CancelledWaybillError, markCancelled } from './cancelled'
export { pdfFileName, safeFileName, uniqueFileNames } from './names'
export { cssPageSize, DEFAULT_SIZES, MAX_PAGE_MM, MIN_PAGE_MM, pageSizeFor, type PageSize } from './page'

/** Debian's chromium package installs here. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium'
export const INSTALL_HINT = 'sudo apt-get install -y chromium fonts-noto-cjk'

/** How labels are rendered; every field has a safe default. */
export interface SealOptions {
  /** used when a label has no `@page size` */
  size?: { widthMm: number; heightMm: number }
  /** PNG pixels per CSS pixel (default 2, about 192 dpi) */
  scale?: number
  executablePath?: string
  /**
   * Run the label's scripts (default false: labels are static markup). Even then nothing leaves:
   * the dead proxy, the WebRTC policy and the CSP (`connect-src 'none'`) still hold, and every
   * step is still bounded in time.
   */
  allowScripts?: boolean
  /** pages one label may print to (default 5); a label over it is refused before printing */
  maxPages?: number
  /** time one label may take to load, lay out and print (default 20 s) */
  labelTimeoutMs?: number
}

export interface RenderOptions extends SealOptions {
  /** the files are `<outDir>/<name>.png` and `<outDir>/<name>.pdf` */
  outDir: string
  name: string
  /** the order's status: a cancelled waybill is refused (`CancelledWaybillError`) unless `includeCancelled` */
  status?: OrderStatus
  /** print a cancelled waybill anyway, marked 已取消 / CANCELLED across the label */
  includeCancelled?: boolean
  /** picks the default size when neither the label nor `size` gives one (default 0, two-part) */
  printType?: PrintType
  /** the label as it prints, page by page (see `RenderLabelsOptions.onPrinted`) */
  onPrinted?(label: PrintedLabel): void | Promise<void>
}

export interface Rendered {
  png: string
  pdf: string
  page: PageSize
  /** the PNG's size in pixels */
  pixels: { width: number; height: number }
}

/** When rendering cannot start: Chromium, playwright-core or pdf-lib is missing. */
export class LabelRenderError extends Error {
  override readonly name = 'LabelRenderError'
  readonly hint: string
  constructor(message: string, hint: string) {
    super(message)
    this.hint = hint
  }
}

export interface LabelToRender {
  /** names the label in reports, and its PNG (`<name>.png`, reduced to a safe file name) */
  name: string
  html: string
  printType?: PrintType
  /** the order's status (`Order.status`): a cancelled waybill is not printed unless `includeCancelled` */
  status?: OrderStatus
}

export interface RenderLabelsOptions extends SealOptions {
  outDir: string
  /** the merged PDF's file name in `outDir` (default `labels.pdf`) */
  pdfName?: string
  /** also write `<name>.png` for each label */
  png?: boolean
  /**
   * Each label that printed, in input order, with its picture as it prints (at `scale`): for a
   * printer's own language, say. The run waits for it, so a slow printer slows the run, not memory.
   */
  onPrinted?(label: PrintedLabel): void | Promise<void>
  /** pages rendered at once in the one browser (default: one per core, 2 to 4) */
  concurrency?: number
  /** a bound on the whole run (default 60 s plus the label timeout for each label beyond 4) */
  totalTimeoutMs?: number
  /** orders that could not be fetched: listed on a page at the end of the PDF */
  failures?: { name: string; code: string; message: string }[]
  /** add the page listing what did not print (default true) */
  failurePage?: boolean
  /**
   * Print cancelled waybills too, each marked 已取消 / CANCELLED across the label. By default a
   * cancelled waybill is not printed and is listed as `CANCELLED`: a parcel shipped under one is lost.
   */
  includeCancelled?: boolean
  onProgress?(done: number, total: number): void
  /** filled with the milliseconds spent per step, summed over labels (the bench's profile) */
  timings?: Map<string, number>
}

/** Why a label did not print, when it ran into a limit or was refused. */
export type NotPrinted = RenderLimitError['limit'] | 'cancelled'

export type LabelOutcome = { name: string; ok: true; page: PageSize; pages: number; png?: string } | { name: string; ok: false; error: string; limit?: NotPrinted }

export interface RenderedLabels {
  pdf: string
  /** pages of the merged PDF, the failure list included */
  pages: number
  labels: LabelOutcome[]
}

/** A label that printed, handed to `onPrinted` in input order. */
export interface PrintedLabel {
  /** the label's position in the input */
  index: number
  name: string
  page: PageSize
  /** the label as it prints (print media), at `scale` device pixels per CSS pixel: its first page */
  png: Buffer
  /** every page of it (a label of several pages is cut at page heights) */
  pngs: Buffer[]
}

/** Pages rendered at once: one per core, at least 2 (the browser's work overlaps Node's), at most 4. */
export const DEFAULT_CONCURRENCY = Math.min(4, Math.max(2, os.cpus().length))

/**
 * Renders labels into one print-ready PDF, one label per page at that label's own size, in input
 * order, in one sealed headless Chromium (Debian's package, driven by playwright-core) with up to
 * `concurrency` pages at once. Static labels take turns in those pages; a label with scripts gets
 * a page of its own. A label that runs away (too many pages, a step past its time) fails alone;
 * the browser is always closed. Pages join the PDF as soon as the labels before them have, so
 * memory holds the PDF and at most `concurrency` labels, whatever the batch's length.
 *
 * @example
 * const { pdf, labels } = await renderLabels(
 *   orders.map((o) => ({ name: o.orderId, html: o.printHtml!, status: o.status })),
 *   { outDir: 'out', pdfName: 'today.pdf', png: true },
 * )
 */
export async function renderLabels(labels: LabelToRender[], options: RenderLabelsOptions): Promise<RenderedLabels> {
  const { chromium, pdfLib } = loadTools(options.executablePath ?? DEFAULT_CHROMIUM)
  const { PDFDocument } = pdfLib
  const labelTimeoutMs = options.labelTimeoutMs ?? 20_000
  const total = options.totalTimeoutMs ?? 60_000 + Math.max(0, labels.length - 4) * labelTimeoutMs
  const deadline = Date.now() + total
  fs.mkdirSync(options.outDir, { recursive: true })
  const server = await within(labelTimeoutMs, 'Starting Chromium', () =>
    chromium.launchServer({ executablePath: options.executablePath ?? DEFAULT_CHROMIUM, headless: true, args: sealedArgs(), timeout: labelTimeoutMs }),
  )
  try {
    const browser = await within(labelTimeoutMs, 'Connecting to Chromium', () => chromium.connect(server.wsEndpoint(), { timeout: labelTimeoutMs }))
    const pdf = path.join(options.outDir, pdfFileName(options.pdfName ?? 'labels.pdf'))
    const merged = new PdfOut(pdf, pdfLib)
    let finished = false
    try {
      const files = uniqueFileNames(labels.map((l) => l.name))
      const outcomes = new Array<LabelOutcome>(labels.length)
      const units = planUnits(labels, { allowScripts: options.allowScripts ?? false, includeCancelled: options.includeCancelled === true, ...(options.size ? { size: options.size } : {}) })
      const joiner = inOrder(units.length, async (u, results: UnitResult[]) => {
        const started = performance.now()
        joinUnit(merged, results)
        options.timings?.set('join the PDF', (options.timings.get('join the PDF') ?? 0) + performance.now() - started)
        for (const [i, res] of results.entries()) {
          const index = units[u]!.start + i
          if (res.ok && res.r.png && options.onPrinted) await options.onPrinted({ index, name: labels[index]!.name, page: res.r.page, png: res.r.png, pngs: res.r.pngs ?? [res.r.png] })
        }
      })
      const seal = {
        allowScripts: options.allowScripts ?? false,
        maxPages: options.maxPages ?? 5,
        png: options.png === true || options.onPrinted !== undefined,
        includeCancelled: options.includeCancelled === true,
        ...(options.size ? { size: options.size } : {}),
        timeoutMs: labelTimeoutMs,
        startBy: deadline,
        runMs: total,
        loadPdf: (bytes: Uint8Array) => PDFDocument.load(bytes),
        timings: options.timings,
      }
      let next = 0
      let done = 0
      // Each label is bounded by its own time; the run's bound only stops labels from starting, so
      // one runaway label never costs the others their place in the PDF.
      const worker = async () => {
        const slot = new Slot(browser, options.scale ?? 2)
        try {
          while (next < units.length) {
            const u = next++
            const unit = units[u]!
            const results = await renderUnit(slot, unit, seal)
            for (const [i, res] of results.entries()) {
              const index = unit.start + i
              outcomes[index] = outcomeOf(unit.labels[i]!.name, res, options.png === true ? path.join(options.outDir, `${files[index]!}.png`) : undefined)
              options.onProgress?.(++done, labels.length)
            }
            await joiner.put(u, results)
          }
        } finally {
          await slot.close()
        }
      }
      await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, units.length)) }, worker))
      await joiner.drained()
      const failed = [
        ...(options.failures ?? []),
        ...outcomes.filter((o): o is Extract<LabelOutcome, { ok: false }> => !o.ok).map((o) => ({ name: o.name, code: failureCode(o.limit), message: o.error })),
      ]
      if (failed.length > 0 && options.failurePage !== false) {
        const doc = await PDFDocument.load(await failureList(browser, failed, labelTimeoutMs))
        merged.append(merged.copy(doc, doc.getPageIndices()))
      }
      merged.finish()
      finished = true
      return { pdf, pages: merged.pages, labels: outcomes }
    } finally {
      if (!finished) {
        merged.abandon()
        fs.rmSync(pdf, { force: true })
      }
    }
  } finally {
    await server.kill()
  }
}

/** A label's outcome, its PNG written when asked for. */
function outcomeOf(name: string, res: UnitResult, png: string | undefined): LabelOutcome {
  if (!res.ok) {
    const err = res.error
    const limit = err instanceof RenderLimitError ? err.limit : err instanceof CancelledWaybillError ? ('cancelled' as const) : undefined
    return { name, ok: false, error: err.message, ...(limit ? { limit } : {}) }
  }
  if (png && res.r.png) fs.writeFileSync(png, res.r.png)
  return { name, ok: true, page: res.r.page, pages: res.r.pageIndices.length, ...(png && res.r.png ? { png } : {}) }
}

/**
 * Takes results in any order and hands them to `use` in index order, one at a time; a result
 * waits only for those before it. `put` resolves once its result is used or queued behind one
 * being used, so a fast worker cannot run far ahead of a slow label.
 */
function inOrder<R>(count: number, use: (index: number, r: R) => Promise<void>) {
  const waiting = new Map<number, R>()
  let next = 0
  let chain = Promise.resolve()
  let failure: unknown
  const drain = async () => {
    while (waiting.has(next)) {
      const r = waiting.get(next) as R
      waiting.delete(next)
      await use(next++, r)
    }
  }
  return {
    put(index: number, r: R) {
      waiting.set(index, r)
      chain = chain.then(drain).catch((err: unknown) => {
        failure ??= err
      })
      return chain
    },
    async drained() {
      await chain
      if (failure !== undefined) throw failure
      if (next < count) throw new Error(`${count - next} labels were never joined to the PDF`)
    },
  }
}

/**
 * Renders one decoded label to a PNG and a print-ready PDF at the label's real size, sealed as
 * `renderLabels` is. Throws `RenderLimitError` for a label that runs away.
 *
 * @example
 * const { png, pdf, page } = await renderLabel(order.printHtml!, { outDir: 'out', name: order.orderId, status: order.status })
 */
export async function renderLabel(html: string, options: RenderOptions): Promise<Rendered> {
  const { outDir, name, printType, status, ...seal } = options
  const label = { name, html, ...(printType !== undefined ? { printType } : {}), ...(status !== undefined ? { status } : {}) }
  const r = await renderLabels([label], { ...seal, outDir, pdfName: pdfFileName(name), png: true, failurePage: false })
  const outcome = r.labels[0]!
  if (!outcome.ok) {
    fs.rmSync(r.pdf, { force: true })
    if (outcome.limit === 'cancelled') throw new CancelledWaybillError(name)
    throw outcome.limit ? new RenderLimitError(outcome.limit, outcome.error) : new Error(outcome.error)
  }
  const scale = options.scale ?? 2
  return { png: outcome.png!, pdf: r.pdf, page: outcome.page, pixels: { width: cssPx(outcome.page.widthMm) * scale, height: cssPx(outcome.page.heightMm) * scale } }
}

/** The code a label that did not print is listed with. */
export function failureCode(limit: NotPrinted | undefined): string {
  return limit === 'pages' ? 'TOO_MANY_PAGES' : limit === 'timeout' ? 'RENDER_TIMEOUT' : limit === 'size' ? 'PAGE_TOO_LARGE' : limit === 'cancelled' ? 'CANCELLED' : 'RENDER_FAILED'
}

/** The orders that did not print, as the last page: our own markup, every value escaped. */
async function failureList(browser: Browser, failed: { name: string; code: string; message: string }[], timeoutMs: number): Promise<Buffer> {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  const rows = failed.map((f) => `<tr><td>${esc(f.name)}</td><td>${esc(f.code)}</td><td>${esc(f.message.slice(0, 300))}</td></tr>`).join('')
  const html = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>@page{size:100mm 150mm;margin:5mm}body{font:8pt "Noto Sans CJK SC",sans-serif}table{border-collapse:collapse;width:100%}td,th{border:1px solid #000;padding:1mm;vertical-align:top;overflow-wrap:anywhere}</style></head><body><h3>未打印 Not printed: ${failed.length}</h3><table><tr><th>order</th><th>code</th><th>why</th></tr>${rows}</table></body></html>`
  const context = await within(timeoutMs, 'Opening the failure list', () => sealedContext(browser, { viewport: { width: cssPx(100), height: cssPx(150) }, scale: 1, allowScripts: false }))
  try {
    const tab = await within(timeoutMs, 'Opening the failure list', () => context.newPage())
    await new LabelPage(tab).show(html, { allowScripts: false, timeoutMs })
    return await within(timeoutMs, 'Printing the failure list', () => tab.pdf({ preferCSSPageSize: true, printBackground: true }))
  } finally {
    await context.close().catch(() => undefined)
  }
}

function loadTools(executablePath: string) {
  if (!fs.existsSync(executablePath)) {
    throw new LabelRenderError(`Chromium is not installed (${executablePath} is missing), so the label cannot be rendered.`, `Install it with: ${INSTALL_HINT}`)
  }
  try {
    return {
      chromium: (require('playwright-core') as typeof import('playwright-core')).chromium,
      pdfLib: require('pdf-lib') as typeof import('pdf-lib'),
    }
  } catch {
    throw new LabelRenderError('playwright-core or pdf-lib is not installed, so labels cannot be rendered.', 'Install them with: npm install -D playwright-core pdf-lib')
  }
}
