import { createHash } from 'crypto'
import * as fs from 'fs'
import * as path from 'path'
import type { Browser } from 'playwright-core'
import { mapPool } from '../common/pool'
import type { OrderStatus, PrintType } from '../types'
import { loadLabel, RenderLimitError, sealedArgs, sealedContext, within } from './sealed'

export { RenderLimitError } from './sealed'

/** Debian's chromium package installs here. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium'
export const INSTALL_HINT = 'sudo apt-get install -y chromium fonts-noto-cjk'

/**
 * Label sizes when the label does not say (no CSS `@page size`). Chinese e-waybill stock is
 * commonly 100×180 mm for two-part labels (the extra 30 mm is the receipt the courier tears off)
 * and 100×150 mm or 76×130 mm for one-part labels; WeChat's own store prints to 76×130. The API's
 * default is two-part, so that is ours; 100×150 is the one-part default because it is the stock
 * most carriers' one-part templates are laid out for. `--size 76x130` picks the smaller stock.
 */
export const DEFAULT_SIZES: Record<PrintType, { widthMm: number; heightMm: number }> = {
  1: { widthMm: 100, heightMm: 150 },
  0: { widthMm: 100, heightMm: 180 },
}

export interface PageSize {
  widthMm: number
  heightMm: number
  /** where the size came from */
  source: 'css' | 'option' | 'default'
}

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

const UNITS_MM: Record<string, number> = { mm: 1, cm: 10, in: 25.4, px: 25.4 / 96, pt: 25.4 / 72 }
const NAMED: Record<string, [number, number]> = { a4: [210, 297], a5: [148, 210], a6: [105, 148], letter: [215.9, 279.4] }
const LENGTH = /^(\d{1,7}(?:\.\d{1,6})?)(mm|cm|in|px|pt)$/

/**
 * The largest page we print: real label and paper stock fits in 300 × 1000 mm (the longest
 * continuous thermal labels are well under a metre). A label asking for more is refused before
 * its size becomes a viewport: a page of 100000 mm would be gigabytes of pixels.
 */
export const MAX_PAGE_MM = { shorter: 300, longer: 1000 }
export const MIN_PAGE_MM = 10

/** `@page` rules live in a label's head: the scan reads no further than this. */
const SCAN_CHARS = 1024 * 1024
/** An `@page` block longer than this is not a page rule we read. */
const MAX_BLOCK_CHARS = 4096

/**
 * The page size a label's CSS asks for (`@page { size: 100mm 150mm }`), if any: of several
 * `@page` rules, the largest, so that a runaway size cannot hide behind a plain one. One linear
 * pass over a bounded prefix, with no regular expression over the label's text.
 */
export function cssPageSize(html: string): { widthMm: number; heightMm: number } | undefined {
  const lower = (html.length > SCAN_CHARS ? html.slice(0, SCAN_CHARS) : html).toLowerCase()
  let best: { widthMm: number; heightMm: number } | undefined
  let at = lower.indexOf('@page')
  while (at >= 0) {
    const open = lower.indexOf('{', at + 5)
    if (open < 0) break
    // The prelude holds at most a page selector (":first"); anything longer is not a page rule.
    if (open - at > 40) {
      at = lower.indexOf('@page', open)
      continue
    }
    const close = lower.indexOf('}', open + 1)
    if (close < 0) break
    if (close - open <= MAX_BLOCK_CHARS) {
      const size = sizeDeclaration(lower.slice(open + 1, close))
      if (size && (!best || size.widthMm * size.heightMm > best.widthMm * best.heightMm)) best = size
    }
    at = lower.indexOf('@page', close + 1)
  }
  return best
}

function sizeDeclaration(block: string): { widthMm: number; heightMm: number } | undefined {
  let found: { widthMm: number; heightMm: number } | undefined
  for (const decl of block.split(';')) {
    const colon = decl.indexOf(':')
    if (colon < 0 || decl.slice(0, colon).trim() !== 'size') continue
    const words = decl
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
    const named = NAMED[words[0]!]
    if (named) {
      found = words.includes('landscape') ? { widthMm: named[1], heightMm: named[0] } : { widthMm: named[0], heightMm: named[1] }
      continue
    }
    const lengths = words.flatMap((w) => {
      const m = LENGTH.exec(w)
      return m ? [Number(m[1]) * UNITS_MM[m[2]!]!] : []
    })
    if (lengths.length === 1) found = { widthMm: lengths[0]!, heightMm: lengths[0]! }
    else if (lengths.length >= 2) found = { widthMm: lengths[0]!, heightMm: lengths[1]! }
  }
  return found
}

/**
 * The page a label prints on: its CSS first, then the option, then the print type's default.
 * Throws `RenderLimitError` (`'size'`) for a page outside real stock.
 */
export function pageSizeFor(html: string, options: Pick<RenderOptions, 'size' | 'printType'>): PageSize {
  const css = cssPageSize(html)
  const page: PageSize = css ? { ...css, source: 'css' } : options.size ? { ...options.size, source: 'option' } : { ...DEFAULT_SIZES[options.printType ?? 0], source: 'default' }
  const shorter = Math.min(page.widthMm, page.heightMm)
  const longer = Math.max(page.widthMm, page.heightMm)
  if (!(shorter >= MIN_PAGE_MM && shorter <= MAX_PAGE_MM.shorter && longer <= MAX_PAGE_MM.longer)) {
    throw new RenderLimitError(
      'size',
      `The page is ${page.widthMm.toFixed(0)} × ${page.heightMm.toFixed(0)} mm (from ${page.source === 'css' ? "the label's @page rule" : page.source}), outside the label stock printed here (${MIN_PAGE_MM} mm to ${MAX_PAGE_MM.shorter} × ${MAX_PAGE_MM.longer} mm).`,
    )
  }
  return page
}

/**
 * A name that is safe as a file name in `outDir`: no path separators, no `..`, no control
 * characters, at most 100 characters. Order ids are the merchant's and may hold any of these.
 */
export function safeFileName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._\-\u4e00-\u9fff]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 100)
  return cleaned === '' ? '_' : cleaned
}

/** A PDF's file name: safe, and ending in `.pdf` whatever the length of `name`. */
export function pdfFileName(name: string): string {
  return `${safeFileName(name.replace(/\.pdf$/i, '')).slice(0, 96)}.pdf`
}

/**
 * One file name per label, unique by construction: the safe form of the name when it is the name
 * itself and no other label's, else that form with a hash of the label's position and whole name,
 * so `ORDER/1`, `ORDER?1` and `ORDER 1` (all `ORDER_1`) or two long names cut alike never share a file.
 */
export function uniqueFileNames(names: readonly string[]): string[] {
  const counts = new Map<string, number>()
  for (const n of names) counts.set(safeFileName(n), (counts.get(safeFileName(n)) ?? 0) + 1)
  return names.map((n, i) => {
    const safe = safeFileName(n)
    if (safe === n && counts.get(safe) === 1) return safe
    return `${safe.slice(0, 88)}-${createHash('sha256').update(`${i}\u0000${n}`).digest('hex').slice(0, 10)}`
  })
}

const FONT_WAIT_MS = 3000
const cssPx = (mm: number) => Math.round((mm / 25.4) * 96)

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
  /** pages rendered at once in the one browser (default 4) */
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

/**
 * Renders labels into one print-ready PDF, one label per page at that label's own size, in input
 * order, in one sealed headless Chromium (Debian's package, driven by playwright-core) with up to
 * `concurrency` pages at once. A label that runs away (too many pages, a step past its time) fails
 * alone; the browser is always closed.
 *
 * @example
 * const { pdf, labels } = await renderLabels(
 *   orders.map((o) => ({ name: o.orderId, html: o.printHtml!, status: o.status })),
 *   { outDir: 'out', pdfName: 'today.pdf', png: true },
 * )
 */
export async function renderLabels(labels: LabelToRender[], options: RenderLabelsOptions): Promise<RenderedLabels> {
  const { chromium, PDFDocument } = loadTools(options.executablePath ?? DEFAULT_CHROMIUM)
  const labelTimeoutMs = options.labelTimeoutMs ?? 20_000
  const total = options.totalTimeoutMs ?? 60_000 + Math.max(0, labels.length - 4) * labelTimeoutMs
  const deadline = Date.now() + total
  fs.mkdirSync(options.outDir, { recursive: true })
  const server = await within(labelTimeoutMs, 'Starting Chromium', () =>
    chromium.launchServer({ executablePath: options.executablePath ?? DEFAULT_CHROMIUM, headless: true, args: sealedArgs(), timeout: labelTimeoutMs }),
  )
  try {
    const browser = await within(labelTimeoutMs, 'Connecting to Chromium', () => chromium.connect(server.wsEndpoint(), { timeout: labelTimeoutMs }))
    let done = 0
    // Each label is bounded by its own time; the run's bound only stops labels from starting, so
    // one runaway label never costs the others their place in the PDF.
    const files = uniqueFileNames(labels.map((l) => l.name))
    const rendered = await mapPool(labels, Math.max(1, options.concurrency ?? 4), async (label, index) => {
      try {
        if (label.status === 'cancelled' && options.includeCancelled !== true) throw new CancelledWaybillError(label.name)
        if (Date.now() >= deadline) throw new RenderLimitError('timeout', `Label ${label.name} was not started: the run took its whole time (${total} ms).`)
        const toPrint = label.status === 'cancelled' ? { ...label, html: markCancelled(label.html) } : label
        return await renderOne(browser, toPrint, files[index]!, { ...options, labelTimeoutMs: Math.min(labelTimeoutMs, Math.max(1000, deadline - Date.now())) })
      } catch (err) {
        const limit = err instanceof RenderLimitError ? err.limit : err instanceof CancelledWaybillError ? ('cancelled' as const) : undefined
        return { outcome: { name: label.name, ok: false as const, error: err instanceof Error ? err.message : String(err), ...(limit ? { limit } : {}) } }
      } finally {
        options.onProgress?.(++done, labels.length)
      }
    })
    const merged = await PDFDocument.create()
    for (const r of rendered) {
      if (!('pdf' in r) || r.pdf === undefined) continue
      const doc = await PDFDocument.load(r.pdf)
      for (const p of await merged.copyPages(doc, doc.getPageIndices())) merged.addPage(p)
    }
    const outcomes = rendered.map((r) => r.outcome)
    const failed = [
      ...(options.failures ?? []),
      ...outcomes.filter((o): o is Extract<LabelOutcome, { ok: false }> => !o.ok).map((o) => ({ name: o.name, code: failureCode(o.limit), message: o.error })),
    ]
    if (failed.length > 0 && options.failurePage !== false) {
      const list = await failureList(browser, failed, labelTimeoutMs)
      const doc = await PDFDocument.load(list)
      for (const p of await merged.copyPages(doc, doc.getPageIndices())) merged.addPage(p)
    }
    const pdf = path.join(options.outDir, pdfFileName(options.pdfName ?? 'labels.pdf'))
    // Without object streams: the plainest PDF, which every printer driver reads.
    fs.writeFileSync(pdf, await merged.save({ useObjectStreams: false }))
    return { pdf, pages: merged.getPageCount(), labels: outcomes }
  } finally {
    await server.kill()
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

/** A cancelled waybill asked to print without `includeCancelled`: nothing is written for it. */
export class CancelledWaybillError extends Error {
  override readonly name = 'CancelledWaybillError'
  constructor(label: string) {
    super(`The waybill of ${label} is cancelled: not printed, since a parcel shipped under it is lost. Print it marked with includeCancelled (--include-cancelled).`)
  }
}

/**
 * The label with 已取消 / CANCELLED across it, on every page it prints to: our own markup, fixed
 * over the label, so no label style can hide it (the highest z-index, no pointer events).
 */
export function markCancelled(html: string): string {
  const mark =
    '<div style="position:fixed;left:0;top:0;width:100%;height:100%;display:flex;align-items:center;justify-content:center;pointer-events:none;z-index:2147483647;opacity:1;visibility:visible">' +
    '<div style="transform:rotate(-30deg);border:1.2mm solid #d00000;color:#d00000;background:rgba(255,255,255,0.75);font:bold 11mm/1.2 \'Noto Sans CJK SC\',sans-serif;padding:2mm 5mm;text-align:center;white-space:nowrap">已取消<br>CANCELLED</div></div>'
  const at = html.toLowerCase().lastIndexOf('</body>')
  return at < 0 ? html + mark : html.slice(0, at) + mark + html.slice(at)
}

async function renderOne(browser: Browser, label: LabelToRender, fileName: string, options: RenderLabelsOptions & { labelTimeoutMs: number }) {
  const page = pageSizeFor(label.html, { ...(options.size ? { size: options.size } : {}), ...(label.printType !== undefined ? { printType: label.printType } : {}) })
  const viewport = { width: cssPx(page.widthMm), height: cssPx(page.heightMm) }
  const allowScripts = options.allowScripts ?? false
  const maxPages = options.maxPages ?? 5
  const t = options.labelTimeoutMs
  // Creating the context and the page are browser steps too: bounded like every other.
  const opening = sealedContext(browser, { viewport, scale: options.scale ?? 2, allowScripts })
  let context: Awaited<typeof opening>
  try {
    context = await within(t, `Opening a page for label ${label.name}`, () => opening)
  } catch (err) {
    // Closed whenever it does open, so nothing of it outlives the run.
    void opening.then((c) => c.close()).catch(() => undefined)
    throw err
  }
  try {
    const tab = await within(t, `Opening a page for label ${label.name}`, () => context.newPage())
    tab.setDefaultTimeout(t)
    await within(t, `Loading label ${label.name}`, () => loadLabel(tab, label.html, { allowScripts, timeoutMs: t }))
    // Fonts come only from data: URLs; a wait that does not end is given up, not waited for.
    await within(FONT_WAIT_MS, 'Waiting for fonts', () => tab.evaluate(() => document.fonts.ready.then(() => true))).catch((err: unknown) => {
      if (!(err instanceof RenderLimitError)) throw err
    })
    // Refuse a runaway label before printing it: its height, and its forced page breaks, measured in
    // print media (a runaway may hide under @media print), then back to screen for the PNG.
    await within(t, `Measuring label ${label.name}`, () => tab.emulateMedia({ media: 'print' }))
    const layout = await within(t, `Measuring label ${label.name}`, () =>
      tab.evaluate(() => {
        let breaks = 0
        for (const el of Array.from(document.querySelectorAll('body *'))) {
          const s = getComputedStyle(el)
          if (s.breakBefore === 'page' || s.breakAfter === 'page' || s.pageBreakBefore === 'always' || s.pageBreakAfter === 'always') breaks++
          if (breaks > 1000) break
        }
        return { height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth, breaks }
      }),
    )
    await within(t, `Measuring label ${label.name}`, () => tab.emulateMedia({ media: null }))
    const estimate = Math.max(Math.ceil(layout.height / viewport.height), layout.breaks)
    if (estimate > maxPages) throw new RenderLimitError('pages', `Label ${label.name} would print to at least ${estimate} pages, over the limit of ${maxPages}.`)
    // Content many times wider than its page is no label (an unbroken run of text, say), and
    // laying it out for print takes the browser minutes: refused like an oversized page.
    const across = Math.ceil(layout.width / viewport.width)
    if (across > maxPages) throw new RenderLimitError('size', `Label ${label.name} is ${across} times wider than its page, over the limit of ${maxPages}.`)
    // Always the size checked above: a later @page rule of the label's own is not obeyed.
    const pdf = await within(t, `Printing label ${label.name}`, () =>
      tab.pdf({ width: `${page.widthMm}mm`, height: `${page.heightMm}mm`, printBackground: true, margin: { top: '0', right: '0', bottom: '0', left: '0' }, preferCSSPageSize: false }),
    )
    const { PDFDocument } = loadTools(options.executablePath ?? DEFAULT_CHROMIUM)
    const pages = (await PDFDocument.load(pdf)).getPageCount()
    if (pages > maxPages) throw new RenderLimitError('pages', `Label ${label.name} printed to ${pages} pages, over the limit of ${maxPages}.`)
    let png: string | undefined
    if (options.png) {
      png = path.join(options.outDir, `${fileName}.png`)
      await within(t, `Capturing label ${label.name}`, () => tab.screenshot({ path: png!, clip: { x: 0, y: 0, ...viewport } }))
    }
    return { pdf, outcome: { name: label.name, ok: true as const, page, pages, ...(png ? { png } : {}) } }
  } finally {
    await within(5000, 'Closing the page', () => context.close()).catch(() => undefined)
  }
}

/** The orders that did not print, as the last page: our own markup, every value escaped. */
async function failureList(browser: Browser, failed: { name: string; code: string; message: string }[], timeoutMs: number): Promise<Buffer> {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  const rows = failed.map((f) => `<tr><td>${esc(f.name)}</td><td>${esc(f.code)}</td><td>${esc(f.message.slice(0, 300))}</td></tr>`).join('')
  const html = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>@page{size:100mm 150mm;margin:5mm}body{font:8pt "Noto Sans CJK SC",sans-serif}table{border-collapse:collapse;width:100%}td,th{border:1px solid #000;padding:1mm;vertical-align:top;overflow-wrap:anywhere}</style></head><body><h3>未打印 Not printed: ${failed.length}</h3><table><tr><th>order</th><th>code</th><th>why</th></tr>${rows}</table></body></html>`
  const context = await within(timeoutMs, 'Opening the failure list', () => sealedContext(browser, { viewport: { width: cssPx(100), height: cssPx(150) }, scale: 1, allowScripts: false }))
  try {
    const tab = await within(timeoutMs, 'Opening the failure list', () => context.newPage())
    await loadLabel(tab, html, { allowScripts: false, timeoutMs: timeoutMs })
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
      PDFDocument: (require('pdf-lib') as typeof import('pdf-lib')).PDFDocument,
    }
  } catch {
    throw new LabelRenderError('playwright-core or pdf-lib is not installed, so labels cannot be rendered.', 'Install them with: npm install -D playwright-core pdf-lib')
  }
}
