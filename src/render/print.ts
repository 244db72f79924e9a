import type { Page } from 'playwright-core'
import { type OneLabel, type OneOptions, type OneRendered, timed } from './step'
import type { PageSize } from './page'
import { type LabelPage, RenderLimitError, within } from './sealed'

const FONT_WAIT_MS = 3000
type Viewport = { width: number; height: number }
type Layout = { height: number; width: number; breaks: number }

/** One label alone in the page: as many pages as it prints to, up to `maxPages`. */
export async function printOne(labelPage: LabelPage, label: OneLabel, page: PageSize, viewport: Viewport, options: OneOptions): Promise<OneRendered> {
  const { name } = label
  const t = options.timeoutMs
  const tab = labelPage.page
  await load(labelPage, label.html, name, options)
  const [layout] = await measure(tab, false, name, options)
  refuseRunaway(name, layout!, viewport, options.maxPages)
  const pdf = await print(tab, page, name, options)
  const pages = pdf.getPageCount()
  if (pages > options.maxPages) throw new RenderLimitError('pages', `Label ${name} printed to ${pages} pages, over the limit of ${options.maxPages}.`)
  // A page's picture each: the label cut at page heights (a forced break inside it is not followed).
  const shots = options.png
    ? await timed(options.timings, 'capture PNG', () =>
        within(t, `Capturing label ${name}`, async () => {
          const out: Buffer[] = []
          for (let k = 0; k < pages; k++) out.push(await tab.screenshot({ fullPage: pages > 1, clip: pageClip(page, k, options.scale) }))
          return out
        }),
      )
    : undefined
  return { page, pdf, pageIndices: pdf.getPageIndices(), ...(shots ? { png: shots[0]!, pngs: shots } : {}) }
}

/**
 * Labels of one page size, each in a frame of its own of exactly that size, printed as one PDF of
 * a page per frame. The frames are same-origin `srcdoc` documents under the page's policy, which
 * is safe only because no script runs: static labels only. A label whose content does not fit its
 * one page is not taken from the group (its clipped page is left out) but comes back `undefined`.
 */
export async function printGroup(labelPage: LabelPage, labels: OneLabel[], page: PageSize, viewport: Viewport, options: OneOptions): Promise<(OneRendered | undefined)[]> {
  if (options.allowScripts) throw new Error('Labels with scripts are not printed in groups.')
  const what = `labels ${labels[0]!.name} … ${labels.at(-1)!.name}`
  const t = options.timeoutMs
  const tab = labelPage.page
  const frame = `display:block;border:0;margin:0;padding:0;width:${page.widthMm}mm;height:${page.heightMm}mm;break-after:page;overflow:hidden`
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0}</style></head><body>${labels.map((l) => `<iframe style="${frame}" srcdoc="${l.html.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>`).join('')}</body></html>`
  await load(labelPage, html, what, options)
  const layouts = await measure(tab, true, what, options)
  if (layouts.length !== labels.length) throw new Error(`The group of ${what} laid out ${layouts.length} frames.`)
  const fits = layouts.map((l) => l.breaks === 0 && Math.ceil(l.height / viewport.height) <= 1 && Math.ceil(l.width / viewport.width) <= 1)
  const pdf = await print(tab, page, what, options)
  if (pdf.getPageCount() !== labels.length) throw new Error(`The group of ${what} printed to ${pdf.getPageCount()} pages, not ${labels.length}.`)
  const out: (OneRendered | undefined)[] = []
  for (const [i, label] of labels.entries()) {
    if (!fits[i]) {
      out.push(undefined)
      continue
    }
    const png = options.png
      ? await timed(options.timings, 'capture PNG', () => within(t, `Capturing label ${label.name}`, () => tab.screenshot({ fullPage: true, clip: pageClip(page, i, options.scale) })))
      : undefined
    out.push({ page, pdf, pageIndices: [i], ...(png ? { png, pngs: [png] } : {}) })
  }
  return out
}

/**
 * The k-th page of a column of pages, in CSS pixels: where the PDF's page k begins, rounded to
 * whole device pixels at `scale`, so every page's picture is the page's size in pixels exactly.
 */
function pageClip(page: PageSize, k: number, scale = 1) {
  const px = (mm: number) => (mm / 25.4) * 96 * scale
  const top = Math.round(k * px(page.heightMm))
  const bottom = Math.round((k + 1) * px(page.heightMm))
  return { x: 0, y: top / scale, width: Math.round(px(page.widthMm)) / scale, height: (bottom - top) / scale }
}

async function load(labelPage: LabelPage, html: string, what: string, options: OneOptions) {
  const t = options.timeoutMs
  labelPage.page.setDefaultTimeout(t)
  await timed(options.timings, 'load', () => within(t, `Loading ${what}`, () => labelPage.show(html, { allowScripts: options.allowScripts, timeoutMs: t })))
}

/** The layout of the page's document, or of each frame's; fonts waited for first. */
async function measure(tab: Page, inFrames: boolean, what: string, options: OneOptions): Promise<Layout[]> {
  // Fonts come only from data: URLs; a wait that does not end is given up, not waited for.
  await timed(options.timings, 'fonts', () =>
    within(FONT_WAIT_MS, 'Waiting for fonts', () =>
      tab.evaluate((frames) => {
        const docs = frames ? Array.from(document.querySelectorAll('iframe'), (f) => f.contentDocument!) : [document]
        return Promise.all(docs.map((d) => d.fonts.ready)).then(() => true)
      }, inFrames),
    ),
  ).catch((err: unknown) => {
    if (!(err instanceof RenderLimitError)) throw err
  })
  // Refuse a runaway label before printing it: its height, and its forced page breaks.
  return timed(options.timings, 'measure', () =>
    within(options.timeoutMs, `Measuring ${what}`, () =>
      tab.evaluate((frames) => {
        const docs = frames ? Array.from(document.querySelectorAll('iframe'), (f) => f.contentDocument!) : [document]
        return docs.map((d) => {
          let breaks = 0
          for (const el of Array.from(d.querySelectorAll('body *'))) {
            const s = getComputedStyle(el)
            if (s.breakBefore === 'page' || s.breakAfter === 'page' || s.pageBreakBefore === 'always' || s.pageBreakAfter === 'always') breaks++
            if (breaks > 1000) break
          }
          return { height: d.documentElement.scrollHeight, width: d.documentElement.scrollWidth, breaks }
        })
      }, inFrames),
    ),
  )
}

function refuseRunaway(name: string, layout: Layout, viewport: Viewport, maxPages: number) {
  const estimate = Math.max(Math.ceil(layout.height / viewport.height), layout.breaks)
  if (estimate > maxPages) throw new RenderLimitError('pages', `Label ${name} would print to at least ${estimate} pages, over the limit of ${maxPages}.`)
  // Content many times wider than its page is no label (an unbroken run of text, say), and
  // laying it out for print takes the browser minutes: refused like an oversized page.
  const across = Math.ceil(layout.width / viewport.width)
  if (across > maxPages) throw new RenderLimitError('size', `Label ${name} is ${across} times wider than its page, over the limit of ${maxPages}.`)
}

async function print(tab: Page, page: PageSize, what: string, options: OneOptions) {
  // Always the size checked before: a later @page rule of the label's own is not obeyed.
  const bytes = await timed(options.timings, 'print to PDF', () =>
    within(options.timeoutMs, `Printing ${what}`, () =>
      tab.pdf({ width: `${page.widthMm}mm`, height: `${page.heightMm}mm`, printBackground: true, margin: { top: '0', right: '0', bottom: '0', left: '0' }, preferCSSPageSize: false }),
    ),
  )
  return timed(options.timings, 'read the PDF', () => options.loadPdf(bytes))
}
