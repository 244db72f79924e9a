/**
 * Rendering in Debian's Chromium. CI installs chromium and fonts-noto-cjk (.ci/run) and these
 * tests must run there; on a machine without Chromium they are skipped with a message.
 */
import { execFile } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { PNG } from 'pngjs'
import { promisify } from 'util'
import { demoOrders } from '../src/harness/backend'
import { labelHtml } from '../src/harness/labels'
import { CancelledWaybillError, DEFAULT_CHROMIUM, renderLabel } from '../src/render/render'

const ROOT = path.resolve(__dirname, '..')
const haveChromium = fs.existsSync(DEFAULT_CHROMIUM)
if (!haveChromium && process.env.CI) throw new Error(`CI must have Chromium at ${DEFAULT_CHROMIUM}: .ci/run installs it`)
if (!haveChromium) process.stderr.write(`render tests skipped: no ${DEFAULT_CHROMIUM} (sudo apt-get install -y chromium fonts-noto-cjk)\n`)
const withChromium = haveChromium ? describe : describe.skip
jest.setTimeout(60_000)

const MM_TO_PT = 72 / 25.4
const luma = (png: PNG, i: number) => 0.299 * png.data[i]! + 0.587 * png.data[i + 1]! + 0.114 * png.data[i + 2]!
const demoLabel = (id: string) => labelHtml(demoOrders().find((d) => d.order_id === id)!.label!)
const pages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length
const redPixels = (png: PNG) => {
  let n = 0
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! > 180 && png.data[i + 1]! < 80 && png.data[i + 2]! < 80) n++
  return n
}
const mediaBox = (pdf: Buffer) => /\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(pdf.toString('latin1'))!.slice(1).map(Number)

withChromium('rendering a demo label in Chromium', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-render-'))
  let png: PNG
  let blankText: PNG
  let pdf: Buffer

  beforeAll(async () => {
    const html = demoLabel('DEMO-GBK-0001')
    const r = await renderLabel(html, { outDir: out, name: 'gbk' })
    png = PNG.sync.read(fs.readFileSync(r.png))
    pdf = fs.readFileSync(r.pdf)
    // The same label with every glyph transparent: what differs is where the text is.
    const t = await renderLabel(html.replace('</head>', '<style>*{color:transparent !important}</style></head>'), { outDir: out, name: 'no-text' })
    blankText = PNG.sync.read(fs.readFileSync(t.png))
  })

  test('the PNG has the dimensions of a 100 × 150 mm label at 2× (756 × 1134 px)', () => {
    expect([png.width, png.height]).toEqual([756, 1134])
  })

  test('the PNG is not blank', () => {
    let dark = 0
    for (let i = 0; i < png.data.length; i += 4) if (luma(png, i) < 100) dark++
    const share = dark / (png.width * png.height)
    expect(share).toBeGreaterThan(0.02)
    expect(share).toBeLessThan(0.6)
  })

  test('there are dark pixels where the text is', () => {
    let textPixels = 0
    let darkText = 0
    for (let i = 0; i < png.data.length; i += 4) {
      if (Math.abs(luma(png, i) - luma(blankText, i)) > 60) {
        textPixels++
        if (luma(png, i) < luma(blankText, i)) darkText++
      }
    }
    // Thousands of glyph pixels (a label's worth of Chinese), and they are the dark ones.
    expect(textPixels).toBeGreaterThan(20_000)
    expect(darkText / textPixels).toBeGreaterThan(0.95)
  })

  test('the PDF is one page of the label size', () => {
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    expect(pages(pdf)).toBe(1)
    const [w, h] = mediaBox(pdf)
    expect(Math.abs(w! - 100 * MM_TO_PT)).toBeLessThan(1.5)
    expect(Math.abs(h! - 150 * MM_TO_PT)).toBeLessThan(1.5)
  })

  test('a two-part label without @page gets the two-part default (100 × 180 mm)', async () => {
    const html = demoLabel('DEMO-YTO-0001').replace(/@page[^}]*\}/, '')
    const r = await renderLabel(html, { outDir: out, name: 'two-part', printType: 0 })
    expect(r.page).toEqual({ widthMm: 100, heightMm: 180, source: 'default' })
    const p = PNG.sync.read(fs.readFileSync(r.png))
    expect([p.width, p.height]).toEqual([756, 1360])
    const [, h] = mediaBox(fs.readFileSync(r.pdf))
    expect(Math.abs(h! - 180 * MM_TO_PT)).toBeLessThan(1.5)
  })

  test('the page loads nothing from the network', async () => {
    const html = '<html><body><img src="http://192.0.2.1/logo.png"><link rel="stylesheet" href="https://example.invalid/x.css"><p>顺丰</p></body></html>'
    const started = Date.now()
    const r = await renderLabel(html, { outDir: out, name: 'offline', size: { widthMm: 50, heightMm: 30 } })
    expect(fs.existsSync(r.png)).toBe(true)
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  test('npm run label -- <demo order> writes both files through the harness', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-'))
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'label', '--', 'DEMO-GBK-0001', '--out', dir], { cwd: ROOT })
    expect(stdout).toContain("from the label's CSS @page")
    const p = PNG.sync.read(fs.readFileSync(path.join(dir, 'DEMO-GBK-0001.png')))
    expect([p.width, p.height]).toEqual([756, 1134])
    expect(pages(fs.readFileSync(path.join(dir, 'DEMO-GBK-0001.pdf')))).toBe(1)
    expect(redPixels(p)).toBe(0)
  })

  test('the library refuses a cancelled waybill too, writing nothing; with includeCancelled it prints', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-'))
    await expect(renderLabel(demoLabel('DEMO-ZTO-0001'), { outDir: dir, name: 'zto', status: 'cancelled' })).rejects.toBeInstanceOf(CancelledWaybillError)
    expect(fs.readdirSync(dir)).toEqual([])
    const r = await renderLabel(demoLabel('DEMO-ZTO-0001'), { outDir: dir, name: 'zto', status: 'cancelled', includeCancelled: true })
    expect(redPixels(PNG.sync.read(fs.readFileSync(r.png)))).toBeGreaterThan(5000)
  })

  test('a cancelled waybill is not printed: exit 5, nothing written, the message says cancelled', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-'))
    const err = await promisify(execFile)('npm', ['run', '-s', 'label', '--', 'DEMO-ZTO-0001', '--out', dir], { cwd: ROOT }).catch((e) => e)
    expect(err.code).toBe(5)
    expect(err.stderr).toMatch(/cancelled/)
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([])
  })

  test('--include-cancelled prints it, marked 已取消 / CANCELLED across the label in red', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-'))
    await promisify(execFile)('npm', ['run', '-s', 'label', '--', 'DEMO-ZTO-0001', '--out', dir, '--include-cancelled'], { cwd: ROOT })
    const p = PNG.sync.read(fs.readFileSync(path.join(dir, 'DEMO-ZTO-0001.png')))
    // The mark is a red stamp across the middle of the label: thousands of red pixels.
    expect(redPixels(p)).toBeGreaterThan(5000)
    expect(pages(fs.readFileSync(path.join(dir, 'DEMO-ZTO-0001.pdf')))).toBe(1)
  })

  test('an order that succeeded without a label exits 6, saying so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-'))
    const err = await promisify(execFile)('npm', ['run', '-s', 'label', '--', 'DEMO-NOLABEL-0001', '--out', dir], { cwd: ROOT }).catch((e) => e)
    expect(err.code).toBe(6)
    expect(err.stderr).toContain('no label to print: PRINT_HTML_MISSING')
  })

  test('a batch of SF, ZTO (cancelled) and YTO prints two labels and lists ZTO as CANCELLED', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-'))
    const file = path.join(dir, 'orders.json')
    fs.writeFileSync(
      file,
      JSON.stringify([
        { orderId: '01234567890123456789', deliveryId: 'SF' },
        { orderId: 'DEMO-ZTO-0001', deliveryId: 'ZTO' },
        { orderId: 'DEMO-YTO-0001', deliveryId: 'YTO' },
      ]),
    )
    const err = await promisify(execFile)('npm', ['run', '-s', 'label', '--', '--batch', file, '--out', dir], { cwd: ROOT }).catch((e) => e)
    expect(err.code).toBe(1)
    expect(err.stdout).toContain('2 of 3 labels printed')
    expect(err.stderr).toContain('not printed: 002-DEMO-ZTO-0001 CANCELLED')
    // Two label pages; what did not print is listed beside the PDF, not on a label sheet.
    expect(pages(fs.readFileSync(path.join(dir, 'labels.pdf')))).toBe(2)
    expect(fs.readFileSync(path.join(dir, 'not-printed.txt'), 'utf8')).toMatch(/^002-DEMO-ZTO-0001\tCANCELLED\t.*cancelled/)
  })

  test('--failure-page also lists them on a last page of the PDF', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-'))
    const file = path.join(dir, 'orders.json')
    fs.writeFileSync(
      file,
      JSON.stringify([
        { orderId: '01234567890123456789', deliveryId: 'SF' },
        { orderId: 'NO-SUCH-ORDER', deliveryId: 'SF' },
      ]),
    )
    const err = await promisify(execFile)('npm', ['run', '-s', 'label', '--', '--batch', file, '--out', dir, '--failure-page'], { cwd: ROOT }).catch((e) => e)
    expect(err.code).toBe(1)
    expect(err.stdout).toContain('1 not printed, listed in')
    expect(err.stdout).toContain('and on the last page of the PDF')
    expect(pages(fs.readFileSync(path.join(dir, 'labels.pdf')))).toBe(2)
  })
})

withChromium("the day's labels: npm run label -- --batch", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-batch-'))
  const good = [
    ['01234567890123456789', 'SF'],
    ['DEMO-YTO-0001', 'YTO'],
    ['DEMO-ZTO-0001', 'ZTO'],
    ['DEMO-GBK-0001', 'STO'],
    ['DEMO-ODDSTATUS-0001', 'EMS'],
    ['DEMO-YTO-0001', 'YTO'],
  ]
  const orders = Array.from({ length: 18 }, (_, i) => ({ orderId: good[i % 6]![0]!, deliveryId: good[i % 6]![1]! }))
  orders.splice(5, 0, { orderId: 'NO-SUCH-ORDER', deliveryId: 'SF' })
  orders.splice(12, 0, { orderId: 'DEMO-NOLABEL-0001', deliveryId: 'JD' })
  let run: { code: number; stdout: string; stderr: string }
  let pdf: Buffer

  beforeAll(async () => {
    const file = path.join(dir, 'orders.json')
    fs.writeFileSync(file, JSON.stringify(orders))
    run = await promisify(execFile)('npm', ['run', '-s', 'label', '--', '--batch', file, '--out', dir, '--png'], { cwd: ROOT }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    )
    pdf = fs.readFileSync(path.join(dir, 'labels.pdf'))
  }, 120_000)

  test('20 orders, five not printed (an unknown order, one without a label, three cancelled): 15 label pages, the five in not-printed.txt', () => {
    expect(orders).toHaveLength(20)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('15 of 20 labels printed')
    expect(pages(pdf)).toBe(15)
    const listed = fs.readFileSync(path.join(dir, 'not-printed.txt'), 'utf8').trim().split('\n')
    expect(listed).toHaveLength(5)
    expect(listed.map((l) => l.split('\t')[1]).sort()).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED', 'PRINT_HTML_MISSING', 'WECHAT_ERROR'])
  })

  test('each page is at its own label size, in input order (an order listed twice prints twice)', () => {
    const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => Math.round(Number(m[2]) / MM_TO_PT))
    const printed = orders.filter((o) => o.orderId !== 'NO-SUCH-ORDER' && o.orderId !== 'DEMO-NOLABEL-0001' && o.orderId !== 'DEMO-ZTO-0001')
    // The YTO demo label is two-part (100 × 180 mm); the rest are one-part (100 × 150 mm).
    expect(boxes.slice(0, 15)).toEqual(printed.map((o) => (o.deliveryId === 'YTO' ? 180 : 150)))
  })

  test('the failures are named with their codes on stderr, and a PNG is written per printed label', () => {
    expect(run.stderr).toContain('not printed: NO-SUCH-ORDER WECHAT_ERROR')
    expect(run.stderr).toContain('not printed: DEMO-NOLABEL-0001 PRINT_HTML_MISSING')
    expect(run.stderr).toMatch(/not printed: \d{3}-DEMO-ZTO-0001 CANCELLED/)
    // An order whose status WeChat did not say prints, with a warning to check it.
    expect(run.stderr).toContain("warning: DEMO-ODDSTATUS-0001: the order's status is unknown")
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.png'))).toHaveLength(15)
  })

  test.each([
    ['a 100000 mm page', '<html><head><style>@page { size: 100000mm 100000mm }</style></head><body>大</body></html>', /outside the label stock/],
    ['900 KB of "@page{"', '@page{'.repeat(150_000), /times wider than its page/],
  ])('%s: npm run label fails that label in under 10 s, writing nothing', async (name, html, reason) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.html`)
    fs.writeFileSync(file, html)
    const started = Date.now()
    const err = await promisify(execFile)('npm', ['run', '-s', 'label', '--', file, '--out', dir], { cwd: ROOT }).catch((e) => e)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(err.code).toBe(4)
    expect(err.stderr).toMatch(reason)
    expect(fs.existsSync(file.replace(/\.html$/, '.pdf'))).toBe(false)
  })

  test('a runaway label exits 4 with the reason', async () => {
    const file = path.join(dir, 'runaway.html')
    fs.writeFileSync(file, `<html><body>${'<div style="page-break-after:always">页</div>'.repeat(20_000)}</body></html>`)
    const err = await promisify(execFile)('npm', ['run', '-s', 'label', '--', file, '--out', dir], { cwd: ROOT }).catch((e) => e)
    expect(err.code).toBe(4)
    expect(err.stderr).toMatch(/over the limit of 5/)
  })
})

test('npm run label without Chromium prints what to install, not a stack trace', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-label-')), 'label.html')
  fs.writeFileSync(file, demoLabel('DEMO-ZTO-0001'))
  const err = await promisify(execFile)('npm', ['run', '-s', 'label', '--', file, '--chromium', '/nonexistent/chromium'], { cwd: ROOT }).catch((e) => e)
  expect(err.code).toBe(3)
  expect(err.stderr).toContain('Chromium is not installed')
  expect(err.stderr).toContain('apt-get install -y chromium fonts-noto-cjk')
  expect(err.stderr).not.toMatch(/\n\s+at /)
})
