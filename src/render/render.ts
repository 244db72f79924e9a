import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import type { PrintType } from '../types'

/** Debian's chromium package installs here. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium'
export const INSTALL_HINT = 'sudo apt-get install -y chromium fonts-noto-cjk'

/**
 * Label sizes when the label does not say (no CSS `@page size`): the common thermal stocks for
 * Chinese e-waybills, 100×150 mm for a one-part label and 100×180 mm for a two-part one (the
 * extra 30 mm is the receipt the courier tears off). The API's default is two-part.
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

export interface RenderOptions {
  /** the files are `<outDir>/<name>.png` and `<outDir>/<name>.pdf` */
  outDir: string
  name: string
  /** used when the label has no `@page size` */
  size?: { widthMm: number; heightMm: number }
  /** picks the default size when neither the label nor `size` gives one (default 0, two-part) */
  printType?: PrintType
  /** PNG pixels per CSS pixel (default 2, about 192 dpi) */
  scale?: number
  executablePath?: string
}

export interface Rendered {
  png: string
  pdf: string
  page: PageSize
  /** the PNG's size in pixels */
  pixels: { width: number; height: number }
}

/** When rendering cannot start: Chromium or playwright-core is missing. */
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

/** The page size a label's CSS asks for (`@page { size: 100mm 150mm }`), if any. */
export function cssPageSize(html: string): { widthMm: number; heightMm: number } | undefined {
  const block = /@page\s*(?::\w+\s*)?\{([^}]*)\}/i.exec(html)?.[1]
  const size = block && /(?:^|;|\s)size\s*:\s*([^;]+)/i.exec(block)?.[1]?.trim().toLowerCase()
  if (!size) return undefined
  const named = NAMED[size.split(/\s+/)[0]!]
  if (named) return size.includes('landscape') ? { widthMm: named[1], heightMm: named[0] } : { widthMm: named[0], heightMm: named[1] }
  const lengths = [...size.matchAll(/(\d+(?:\.\d+)?)(mm|cm|in|px|pt)/g)].map((m) => Number(m[1]) * UNITS_MM[m[2]!]!)
  if (lengths.length === 1) return { widthMm: lengths[0]!, heightMm: lengths[0]! }
  if (lengths.length >= 2) return { widthMm: lengths[0]!, heightMm: lengths[1]! }
  return undefined
}

export function pageSizeFor(html: string, options: Pick<RenderOptions, 'size' | 'printType'>): PageSize {
  const css = cssPageSize(html)
  if (css) return { ...css, source: 'css' }
  if (options.size) return { ...options.size, source: 'option' }
  return { ...DEFAULT_SIZES[options.printType ?? 0], source: 'default' }
}

/**
 * Renders a decoded label to a PNG and a print-ready PDF at the label's real size, in headless
 * Chromium (Debian's package) driven by playwright-core. The page may load nothing from the
 * network: anything but `data:` URLs is refused.
 *
 * @example
 * const { png, pdf, page } = await renderLabel(order.printHtml!, { outDir: 'out', name: order.orderId })
 */
export async function renderLabel(html: string, options: RenderOptions): Promise<Rendered> {
  const executablePath = options.executablePath ?? DEFAULT_CHROMIUM
  if (!fs.existsSync(executablePath)) {
    throw new LabelRenderError(`Chromium is not installed (${executablePath} is missing), so the label cannot be rendered.`, `Install it with: ${INSTALL_HINT}`)
  }
  let chromium: typeof import('playwright-core').chromium
  try {
    chromium = (require('playwright-core') as typeof import('playwright-core')).chromium
  } catch {
    throw new LabelRenderError('playwright-core is not installed, so the label cannot be rendered.', 'Install it with: npm install -D playwright-core')
  }
  const page = pageSizeFor(html, options)
  const scale = options.scale ?? 2
  const cssPx = (mm: number) => Math.round((mm / 25.4) * 96)
  const viewport = { width: cssPx(page.widthMm), height: cssPx(page.heightMm) }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-chromium-'))
  fs.mkdirSync(options.outDir, { recursive: true })
  const png = path.join(options.outDir, `${options.name}.png`)
  const pdf = path.join(options.outDir, `${options.name}.pdf`)
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    // This machine has no network beyond loopback: keep Chromium from reaching for it.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
    deviceScaleFactor: scale,
  })
  try {
    const tab = context.pages()[0] ?? (await context.newPage())
    await tab.route('**/*', (route) => (/^(data|about|blob):/.test(route.request().url()) ? route.continue() : route.abort()))
    await tab.setContent(html, { waitUntil: 'load' })
    await tab.evaluate(() => document.fonts.ready)
    await tab.screenshot({ path: png, clip: { x: 0, y: 0, ...viewport } })
    await tab.pdf({ path: pdf, width: `${page.widthMm}mm`, height: `${page.heightMm}mm`, printBackground: true, margin: { top: '0', right: '0', bottom: '0', left: '0' }, preferCSSPageSize: page.source === 'css' })
  } finally {
    await context.close()
    fs.rmSync(profile, { recursive: true, force: true })
  }
  return { png, pdf, page, pixels: { width: viewport.width * scale, height: viewport.height * scale } }
}
