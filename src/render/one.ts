import type { Browser, BrowserContext } from 'playwright-core'
import { printGroup, printOne } from './print'
import { type OneLabel, type OneOptions, type OneRendered, timed } from './step'
import { cssPx, labelPageSize, type PageSize } from './page'
import { LabelPage, sealedContext, within } from './sealed'

/**
 * A page of the browser that labels take turns in, opened on first use. A label with scripts gets
 * a context of its own, closed after it; so does any label after one that failed, since a label
 * that ran away may have left its page busy.
 */
export class Slot {
  private open: { context: BrowserContext; page: LabelPage; viewport: { width: number; height: number } } | undefined

  constructor(
    private readonly browser: Browser,
    private readonly scale: number,
  ) {}

  /** One label alone; `known` is its page size when the caller has read it already. */
  async render(label: OneLabel, options: OneOptions, known?: PageSize): Promise<OneRendered> {
    const page = known ?? labelPageSize(label, options.size)
    const viewport = { width: cssPx(page.widthMm), height: cssPx(page.heightMm) }
    const own = options.allowScripts
    let ok = false
    const tab = await timed(options.timings, 'open a page', () => (own ? this.opened(label.name, viewport, true, options.timeoutMs) : this.reused(label.name, viewport, options.timeoutMs)))
    try {
      const rendered = await printOne(tab.page, label, page, viewport, { ...options, scale: this.scale })
      ok = true
      return rendered
    } finally {
      if (own) await close(tab.context)
      else if (!ok) await this.discard()
    }
  }

  /**
   * Static labels of one page size printed together: one load, one PDF, one set of fonts for all
   * (a CJK font is subset once per PDF, which is most of a label's time alone). A label that does
   * not fit its one page comes back `undefined`, to be rendered alone; a group that fails as a
   * whole throws, and its labels are rendered alone.
   */
  async renderGroup(labels: OneLabel[], page: PageSize, options: OneOptions): Promise<(OneRendered | undefined)[]> {
    const viewport = { width: cssPx(page.widthMm), height: cssPx(page.heightMm) }
    let ok = false
    const tab = await timed(options.timings, 'open a page', () => this.reused(labels[0]!.name, viewport, options.timeoutMs))
    try {
      const rendered = await printGroup(tab.page, labels, page, viewport, { ...options, scale: this.scale })
      ok = true
      return rendered
    } finally {
      if (!ok) await this.discard()
    }
  }

  async close(): Promise<void> {
    await this.discard()
  }

  private async reused(name: string, viewport: { width: number; height: number }, timeoutMs: number) {
    if (!this.open) this.open = { ...(await this.opened(name, viewport, false, timeoutMs)), viewport }
    if (this.open.viewport.width !== viewport.width || this.open.viewport.height !== viewport.height) {
      const page = this.open.page.page
      await within(timeoutMs, `Sizing the page for label ${name}`, () => page.setViewportSize(viewport))
      this.open.viewport = viewport
    }
    return this.open
  }

  private async opened(name: string, viewport: { width: number; height: number }, allowScripts: boolean, timeoutMs: number) {
    // Creating the context and the page are browser steps too: bounded like every other.
    const opening = sealedContext(this.browser, { viewport, scale: this.scale, allowScripts })
    let context: BrowserContext
    try {
      context = await within(timeoutMs, `Opening a page for label ${name}`, () => opening)
    } catch (err) {
      // Closed whenever it does open, so nothing of it outlives the run.
      void opening.then((c) => c.close()).catch(() => undefined)
      throw err
    }
    try {
      const tab = await within(timeoutMs, `Opening a page for label ${name}`, () => context.newPage())
      // Print media throughout: the measure, the PDF and the PNG all see the label as it prints
      // (a runaway may hide under @media print).
      await within(timeoutMs, `Opening a page for label ${name}`, () => tab.emulateMedia({ media: 'print' }))
      return { context, page: new LabelPage(tab) }
    } catch (err) {
      await close(context)
      throw err
    }
  }

  private async discard() {
    const open = this.open
    this.open = undefined
    if (open) await close(open.context)
  }
}

async function close(context: BrowserContext) {
  await within(5000, 'Closing the page', () => context.close()).catch(() => undefined)
}
