/**
 * Labels printed together: static labels of one size share one load and one PDF (fonts subset
 * once), yet every page is its own label, in input order, and a label that does not fit its page
 * still prints alone. Needs Debian's Chromium and poppler-utils' pdftotext (.ci/run installs both).
 */
import { execFileSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { bulkOrder } from '../src/harness/backend'
import { labelHtml } from '../src/harness/labels'
import { DEFAULT_CHROMIUM, renderLabels } from '../src/render/render'
import { GROUP_SIZE, planUnits } from '../src/render/units'
import { onPath } from './support/tools'

const haveChromium = fs.existsSync(DEFAULT_CHROMIUM) && onPath('pdftotext')
if (!haveChromium && process.env.CI) throw new Error(`CI must have Chromium at ${DEFAULT_CHROMIUM} and pdftotext: .ci/run installs them`)
if (!haveChromium) process.stderr.write('group printing tests skipped: they need chromium and poppler-utils\n')
const withChromium = haveChromium ? describe : describe.skip
jest.setTimeout(60_000)

const bulk = (n: number) => `DEMO-BULK-${String(n).padStart(4, '0')}`
const bulkLabel = (n: number) => ({ name: bulk(n), html: labelHtml(bulkOrder(bulk(n), 'SF')!.label!) })
const pageTexts = (pdf: string) => execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).split('\f').slice(0, -1)

describe('planUnits', () => {
  const one = '<style>@page{size:100mm 150mm}</style>'
  const other = '<style>@page{size:76mm 130mm}</style>'
  test.each<[string, { html: string; status?: 'cancelled' }[], boolean, number[]]>([
    ['twenty alike: groups of GROUP_SIZE', Array.from({ length: 20 }, () => ({ html: one })), false, [GROUP_SIZE, GROUP_SIZE, 20 - 2 * GROUP_SIZE]],
    ['a size change starts a new group', [{ html: one }, { html: one }, { html: other }, { html: other }], false, [2, 2]],
    ['a cancelled waybill stands alone', [{ html: one }, { html: one, status: 'cancelled' }, { html: one }], false, [1, 1, 1]],
    ['a refused size stands alone', [{ html: one }, { html: '<style>@page{size:5000mm 5000mm}</style>' }, { html: one }], false, [1, 1, 1]],
    ['with scripts, every label alone', [{ html: one }, { html: one }], true, [1, 1]],
  ])('%s', (_what, labels, allowScripts, sizes) => {
    const units = planUnits(
      labels.map((l, i) => ({ name: `l${i}`, ...l })),
      { allowScripts, includeCancelled: false },
    )
    expect(units.map((u) => u.labels.length)).toEqual(sizes)
    expect(units.map((u) => u.start)).toEqual(sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0)))
  })
})

withChromium('labels printed together', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-groups-'))
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }))

  test('every page is its own label, in input order; a long label in the middle prints alone, to pages of its own', async () => {
    const long = bulkOrder(bulk(7), 'SF')!.label!
    const labels = Array.from({ length: 19 }, (_, i) => bulkLabel(i + 1))
    // Two pages of goods: it does not fit the one page a frame of the group has.
    labels[6] = {
      name: bulk(7),
      html: labelHtml({ ...long, printType: 1, padRows: 40 })
        .replace('overflow: hidden', 'overflow: visible')
        .replace(/height: 150mm;/, ''),
    }
    const r = await renderLabels(labels, { outDir: out, pdfName: 'groups.pdf' })
    expect(r.labels.every((l) => l.ok)).toBe(true)
    const pages = r.labels.map((l) => (l.ok ? l.pages : 0))
    expect(pages.filter((_, i) => i !== 6)).toEqual(Array(18).fill(1))
    expect(pages[6]).toBeGreaterThanOrEqual(2)
    const texts = pageTexts(r.pdf)
    expect(texts).toHaveLength(18 + pages[6]!)
    // Page by page, the label whose order id it shows: each its own, in input order.
    const expected = labels.flatMap((_, i) => Array(pages[i]).fill(i) as number[])
    const shown = texts.map((t) => labels.findIndex((l) => t.includes(l.name)))
    // The long label's order id is on one of its pages (the goods run on past it).
    const longPages = expected.map((e, p) => (e === 6 ? p : -1)).filter((p) => p >= 0)
    expect(longPages.some((p) => shown[p] === 6)).toBe(true)
    expect(shown.filter((_, p) => !longPages.includes(p))).toEqual(expected.filter((e) => e !== 6))
    for (const t of texts) expect(labels.filter((l) => t.includes(l.name)).length).toBeLessThanOrEqual(1)
  })

  test('a group shares its fonts: 16 labels hold far fewer fonts than 16 labels printed alone', async () => {
    const fonts = (file: string) => (fs.readFileSync(file, 'latin1').match(/\/Type \/Font\b/g) ?? []).length
    const alone = await renderLabels([bulkLabel(100)], { outDir: out, pdfName: 'alone.pdf' })
    const r = await renderLabels(
      Array.from({ length: 16 }, (_, i) => bulkLabel(i + 101)),
      { outDir: out, pdfName: 'fonts.pdf' },
    )
    expect(r.pages).toBe(16)
    expect(fonts(alone.pdf)).toBeGreaterThan(0)
    expect(fonts(r.pdf)).toBeLessThan((16 * fonts(alone.pdf)) / 2)
  })
})
