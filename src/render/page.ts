import type { PrintType } from '../types'
import { RenderLimitError } from './sealed'

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
export function pageSizeFor(html: string, options: { size?: { widthMm: number; heightMm: number }; printType?: PrintType }): PageSize {
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

/** CSS pixels of a length in millimetres (96 to the inch). */
export const cssPx = (mm: number) => Math.round((mm / 25.4) * 96)

/** The page of one label: `pageSizeFor` with the run's `size` and the label's own print type. */
export function labelPageSize(label: { html: string; printType?: PrintType }, size: { widthMm: number; heightMm: number } | undefined): PageSize {
  return pageSizeFor(label.html, { ...(size ? { size } : {}), ...(label.printType !== undefined ? { printType: label.printType } : {}) })
}
