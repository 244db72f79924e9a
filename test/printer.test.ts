/**
 * Printer-native output end to end: `npm run label -- --batch … --format tspl,zpl` read back by
 * our own TSPL and ZPL readers, each bitmap checked against the PDF's page as poppler rasterises
 * it at the same dpi (an independent renderer), the barcode read by zbar from the printer bitmap,
 * and `--printer` delivering exactly the file's bytes to a fake raw-port printer on loopback.
 * Needs Chromium, poppler-utils and zbar-tools (.ci/run installs them).
 */
import { execFile, execFileSync } from 'child_process'
import * as fs from 'fs'
import * as net from 'net'
import * as os from 'os'
import * as path from 'path'
import { promisify } from 'util'
import { bulkOrder } from '../src/harness/backend'
import { type Bitmap, isBlack } from '../src/print/bitmap'
import { readEscpos, readTspl, readZpl } from '../src/print/read'
import { DEFAULT_CHROMIUM } from '../src/render/render'
import { onPath } from './support/tools'

const ROOT = path.resolve(__dirname, '..')
const haveTools = fs.existsSync(DEFAULT_CHROMIUM) && onPath('pdftoppm') && onPath('zbarimg')
if (!haveTools && process.env.CI) throw new Error(`CI must have Chromium at ${DEFAULT_CHROMIUM}, pdftoppm and zbarimg: .ci/run installs them`)
if (!haveTools) process.stderr.write('printer tests skipped: they need chromium, poppler-utils and zbar-tools (sudo apt-get install -y chromium poppler-utils zbar-tools)\n')
const withTools = haveTools ? describe : describe.skip
jest.setTimeout(120_000)

type Run = { code: number; stdout: string; stderr: string }
const label = (args: string[]): Promise<Run> =>
  promisify(execFile)('npm', ['run', '-s', 'label', '--', ...args], { cwd: ROOT }).then(
    (r) => ({ code: 0, ...r }),
    (e: Run) => e,
  )
const bulkIds = (from: number, n: number) => Array.from({ length: n }, (_, i) => `DEMO-BULK-${String(from + i).padStart(4, '0')}`)
const ordersFile = (dir: string, ids: string[]) => {
  const file = path.join(dir, 'orders.json')
  fs.writeFileSync(file, JSON.stringify(ids.map((orderId) => ({ orderId, deliveryId: 'SF' }))))
  return file
}

/** The PDF's page `n` (from 1) as poppler draws it at `dpi`, 1-bit by the same threshold. */
function popplerPage(pdf: string, n: number, dpi: number): Bitmap {
  const out = path.join(path.dirname(pdf), `poppler-${n}`)
  execFileSync('pdftoppm', ['-r', String(dpi), '-gray', '-f', String(n), '-l', String(n), '-singlefile', pdf, out])
  const pgm = fs.readFileSync(`${out}.pgm`)
  const [, w, h] = pgm.toString('latin1', 0, 40).split(/\s+/).map(Number) as [number, number, number]
  const offset = pgm.length - w * h
  const rowBytes = Math.ceil(w / 8)
  const data = new Uint8Array(rowBytes * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (pgm[offset + y * w + x]! < 128) data[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7)
  return { width: w, height: h, rowBytes, data }
}

/**
 * How two drawings of one page agree, registered first: the shift (up to `reach` dots each way)
 * at which most dots are equal, then at that shift the share of equal dots and the share of our
 * black dots with no black in the reference within one dot. Two renderers place a page to within
 * a dot (Chromium snaps frames to device pixels; its PDF page is 426 pt for 150 mm's 425.2).
 */
function agreement(ours: Bitmap, ref: Bitmap, reach = 1) {
  const at = (b: Bitmap, x: number, y: number) => x >= 0 && y >= 0 && x < b.width && y < b.height && isBlack(b, x, y)
  let best = { dx: 0, dy: 0, same: -1 }
  for (let dy = -reach; dy <= reach; dy++)
    for (let dx = -reach; dx <= reach; dx++) {
      let same = 0
      // Every other dot each way is plenty to find the registration.
      for (let y = 0; y < ours.height; y += 2) for (let x = 0; x < ours.width; x += 2) if (at(ours, x, y) === at(ref, x + dx, y + dy)) same++
      if (same > best.same) best = { dx, dy, same }
    }
  let same = 0
  let black = 0
  let stray = 0
  for (let y = 0; y < ours.height; y++)
    for (let x = 0; x < ours.width; x++) {
      if (at(ours, x, y) === at(ref, x + best.dx, y + best.dy)) same++
      if (!at(ours, x, y)) continue
      black++
      let near = false
      for (let dy = -1; dy <= 1 && !near; dy++) for (let dx = -1; dx <= 1 && !near; dx++) near = at(ref, x + best.dx + dx, y + best.dy + dy)
      if (!near) stray++
    }
  return { shift: [best.dx, best.dy], same: same / (ours.width * ours.height), black, stray: stray / Math.max(1, black) }
}

/** zbar's reading of a bitmap, handed over as a plain PGM picture. */
function zbar(bitmap: Bitmap, file: string): string {
  const pixels = Buffer.alloc(bitmap.width * bitmap.height, 255)
  for (let y = 0; y < bitmap.height; y++) for (let x = 0; x < bitmap.width; x++) if (isBlack(bitmap, x, y)) pixels[y * bitmap.width + x] = 0
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`P5\n${bitmap.width} ${bitmap.height}\n255\n`), pixels]))
  return execFileSync('zbarimg', ['--nodbus', '-q', '--raw', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
}

withTools('npm run label -- --batch … --format tspl,zpl,escpos', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-printer-'))
  const ids = bulkIds(41, 10)
  let run: Run
  beforeAll(async () => {
    run = await label(['--batch', ordersFile(dir, ids), '--out', dir, '--format', 'tspl,zpl,escpos'])
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  test('labels.tspl and labels.zpl beside labels.pdf, a label per PDF page, at 100 × 150 mm and 203 dpi', () => {
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/tspl .*labels\.tspl \(10 labels at 203 dpi\)/)
    const tspl = readTspl(fs.readFileSync(path.join(dir, 'labels.tspl')))
    const zpl = readZpl(fs.readFileSync(path.join(dir, 'labels.zpl')))
    expect(tspl).toHaveLength(10)
    expect(zpl).toHaveLength(10)
    for (const t of tspl) expect(t.sizeMm).toEqual({ width: 100, height: 150 })
    // 100 mm at 203 dpi is 799 dots (a TSPL bitmap is whole bytes: 800), 150 mm is 1199.
    for (const z of zpl) expect(z.dots).toEqual({ width: 799, height: 1199 })
    for (const [i, t] of tspl.entries()) expect(Buffer.from(t.bitmap.data)).toEqual(Buffer.from(zpl[i]!.bitmap.data))
  })

  test('labels.escpos holds the same bitmaps, in GS v 0 bands, a GS FF after each label', () => {
    const tspl = readTspl(fs.readFileSync(path.join(dir, 'labels.tspl')))
    const escpos = readEscpos(fs.readFileSync(path.join(dir, 'labels.escpos')))
    expect(escpos).toHaveLength(10)
    for (const [i, e] of escpos.entries()) expect(Buffer.from(e.bitmap.data)).toEqual(Buffer.from(tspl[i]!.bitmap.data))
  })

  test.each([1, 5, 10])("page %i: the printer bitmap is the PDF's page as poppler draws it at 203 dpi, to within a dot", (n) => {
    const [t] = readTspl(fs.readFileSync(path.join(dir, 'labels.tspl'))).slice(n - 1)
    const ref = popplerPage(path.join(dir, 'labels.pdf'), n, 203)
    const a = agreement(t!.bitmap, ref)
    expect(a.black).toBeGreaterThan(50_000)
    expect(a.same).toBeGreaterThan(0.98)
    expect(a.stray).toBeLessThan(0.005)
    expect(a.shift.every((d) => Math.abs(d) <= 1)).toBe(true)
    // A label is not its neighbour: against the next page, far more disagrees.
    const other = agreement(t!.bitmap, popplerPage(path.join(dir, 'labels.pdf'), n === 10 ? 9 : n + 1, 203))
    expect(other.stray).toBeGreaterThan(a.stray * 5)
  })

  test.each([
    ['tspl', 0],
    ['zpl', 7],
  ])('%s label %i: zbar reads the waybill number from the printer bitmap', (format, i) => {
    const stream = fs.readFileSync(path.join(dir, `labels.${format}`))
    const bitmap = (format === 'tspl' ? readTspl(stream) : readZpl(stream))[i]!.bitmap
    expect(zbar(bitmap, path.join(dir, `${format}-${i}.pgm`))).toBe(bulkOrder(ids[i]!, 'SF')!.waybill_id)
  })
})

withTools('--printer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-printer-send-'))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  test('tcp://127.0.0.1:<port>: the fake printer receives exactly labels.zpl, in order, over one connection', async () => {
    const connections: Buffer[][] = []
    const printer = net.createServer((socket) => {
      const got: Buffer[] = []
      connections.push(got)
      socket.on('data', (d) => got.push(d))
    })
    await new Promise<void>((resolve) => printer.listen(0, '127.0.0.1', resolve))
    const port = (printer.address() as net.AddressInfo).port
    try {
      const r = await label(['--batch', ordersFile(dir, bulkIds(61, 3)), '--out', dir, '--format', 'zpl', '--printer', `tcp://127.0.0.1:${port}`])
      expect(r.code).toBe(0)
      const file = fs.readFileSync(path.join(dir, 'labels.zpl'))
      expect(r.stdout).toContain(`sent ${file.length} bytes to tcp://127.0.0.1:${port}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(connections).toHaveLength(1)
      expect(Buffer.concat(connections[0]!)).toEqual(file)
      expect(readZpl(file)).toHaveLength(3)
    } finally {
      printer.close()
    }
  })

  test('file:<path>: the device file holds exactly labels.tspl', async () => {
    const device = path.join(dir, 'lp0')
    const r = await label(['DEMO-BULK-0070', '--out', dir, '--format', 'tspl', '--printer', `file:${device}`])
    expect(r.code).toBe(0)
    expect(fs.readFileSync(device)).toEqual(fs.readFileSync(path.join(dir, 'DEMO-BULK-0070.tspl')))
    expect(readTspl(fs.readFileSync(device))).toHaveLength(1)
  })

  test('a printer that is not there: exit 7 with its address, the files written all the same', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const out = path.join(dir, 'absent')
    const r = await label(['--batch', ordersFile(dir, bulkIds(64, 2)), '--out', out, '--format', 'tspl', '--printer', `tcp://127.0.0.1:${port}`])
    expect(r.code).toBe(7)
    expect(r.stderr).toContain(`127.0.0.1:${port}`)
    expect(readTspl(fs.readFileSync(path.join(out, 'labels.tspl')))).toHaveLength(2)
    expect(fs.existsSync(path.join(out, 'labels.pdf'))).toBe(true)
  })

  test.each([
    [['--format', 'pdf'], /--format takes tspl, zpl, escpos/],
    [['--format', 'tspl', '--dpi', '72'], /--dpi takes/],
    [['--format', 'tspl,zpl', '--printer', 'tcp://127.0.0.1:9100'], /one language/],
    [['--printer', 'tcp://127.0.0.1:9100'], /go with --format/],
    [['--format', 'zpl', '--printer', 'lpt1'], /tcp:\/\/host:port/],
  ])('bad usage %p exits 2 before anything is fetched', async (args, message) => {
    const r = await label(['DEMO-BULK-0001', '--out', dir, ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })
})

withTools('--dpi 300', () => {
  test('a 300 dpi printer gets 1181 × 1772 dots for 100 × 150 mm, and the barcode still reads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-printer-300-'))
    const r = await label(['DEMO-BULK-0080', '--out', dir, '--format', 'zpl', '--dpi', '300'])
    expect(r.code).toBe(0)
    const [z] = readZpl(fs.readFileSync(path.join(dir, 'DEMO-BULK-0080.zpl')))
    expect(z!.dots).toEqual({ width: 1181, height: 1772 })
    const a = agreement(z!.bitmap, popplerPage(path.join(dir, 'DEMO-BULK-0080.pdf'), 1, 300), 4)
    expect(a.same).toBeGreaterThan(0.98)
    expect(a.stray).toBeLessThan(0.005)
    expect(zbar(z!.bitmap, path.join(dir, 'z.pgm'))).toBe(bulkOrder('DEMO-BULK-0080', 'SF')!.waybill_id)
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
