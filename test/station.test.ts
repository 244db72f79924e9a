/**
 * npm run station in Chromium (Debian's, through playwright-core): the page over
 * examples/orders.json lists all five orders, shows the three printable labels as pictures,
 * marks the cancelled one, says why the unknown one cannot print, and prints by keyboard, then
 * prints one again. The label's HTML never reaches the page.
 */
import { type ChildProcess, spawn } from 'child_process'
import * as fs from 'fs'
import * as http from 'http'
import * as net from 'net'
import * as os from 'os'
import * as path from 'path'
import type { Browser, Page } from 'playwright-core'
import { DEFAULT_CHROMIUM } from '../src/render/render'
import { typedOrders } from '../scripts/station/server'

const ROOT = path.resolve(__dirname, '..')
const haveChromium = fs.existsSync(DEFAULT_CHROMIUM)
if (!haveChromium && process.env.CI) throw new Error(`CI must have Chromium at ${DEFAULT_CHROMIUM}: .ci/run installs it`)
const withChromium = haveChromium ? describe : describe.skip
jest.setTimeout(90_000)

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

/** Starts the station as a user does; resolves with the address it prints. */
function station(args: string[]): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const proc = spawn('npm', ['run', '-s', 'station', '--', ...args], { cwd: ROOT, detached: true })
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the station did not start:\n${out}`)), 60_000)
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /print station: (\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1]!, proc, stop: () => new Promise<void>((done) => (proc.once('exit', () => done()), process.kill(-proc.pid!, 'SIGINT'))) })
      }
    })
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    proc.once('exit', (code) => reject(new Error(`the station exited with ${code}:\n${out}`)))
  })
}

withChromium('npm run station -- --batch examples/orders.json --port <n>', () => {
  let browser: Browser
  let page: Page
  let running: Awaited<ReturnType<typeof station>>
  let port: number

  beforeAll(async () => {
    port = await freePort()
    running = await station(['--batch', 'examples/orders.json', '--port', String(port)])
    const { chromium } = require('playwright-core') as typeof import('playwright-core')
    browser = await chromium.launch({ executablePath: DEFAULT_CHROMIUM, headless: true })
    page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true })
    await page.goto(running.url)
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 5 && document.querySelectorAll('.card.ready img, .card.cancelled img').length === 4)
  })
  afterAll(async () => {
    await browser?.close()
    await running?.stop()
  })

  test('it listens on 127.0.0.1 at the port asked for', () => {
    expect(running.url).toBe(`http://127.0.0.1:${port}/`)
  })

  test('all five orders are listed, in the file order, each with its status', async () => {
    const cards = await page.$$eval('.card', (cs) => cs.map((c) => ({ id: c.querySelector('label')!.textContent!.trim(), state: c.className.replace('card ', '') })))
    expect(cards).toEqual([
      { id: '01234567890123456789', state: 'ready' },
      { id: 'DEMO-YTO-0001', state: 'ready' },
      { id: 'DEMO-GBK-0001', state: 'ready' },
      { id: 'DEMO-ZTO-0001', state: 'cancelled' },
      { id: 'NO-SUCH-ORDER', state: 'failed' },
    ])
    await expect(page.textContent('#summary')).resolves.toContain('5 个订单 orders · 3 可打印 printable · 1 已取消 cancelled · 1 无法打印')
  })

  test('the three printable labels are shown as pictures that loaded, each a label-shaped PNG', async () => {
    const pictures = await page.$$eval('.card.ready img', (imgs) =>
      imgs.map((i) => ({ w: (i as HTMLImageElement).naturalWidth, h: (i as HTMLImageElement).naturalHeight, src: (i as HTMLImageElement).src })),
    )
    expect(pictures).toHaveLength(3)
    for (const p of pictures) {
      expect(p.w).toBeGreaterThan(300)
      expect(p.h / p.w).toBeGreaterThan(1.3)
      expect(p.src).toMatch(/\/api\/orders\/\d\/label\.png$/)
    }
  })

  test('the cancelled waybill is marked and cannot be selected; the unknown order says why', async () => {
    const cancelled = page.locator('.card.cancelled')
    await expect(cancelled.textContent()).resolves.toContain('已取消 CANCELLED')
    await expect(cancelled.locator('input[type=checkbox]').isDisabled()).resolves.toBe(true)
    await expect(page.locator('.card.failed').textContent()).resolves.toContain('WECHAT_ERROR')
  })

  test("the label's HTML never reaches the page: its text is only in the pictures", async () => {
    const html = await page.content()
    expect(html).not.toContain('建国路')
    expect(html).not.toContain('<iframe')
    const csp = (await page.request.get(running.url)).headers()['content-security-policy']
    expect(csp).toContain("default-src 'none'")
  })

  test('keyboard: A selects the printable, P prints them with progress; the PDF holds the three labels', async () => {
    await page.keyboard.press('a')
    await expect(page.$$eval('.card input:checked', (b) => b.length)).resolves.toBe(3)
    await page.keyboard.press('p')
    await page.waitForFunction(() => document.querySelector('#job-text')?.textContent?.startsWith('已打印 3'), undefined, { timeout: 60_000 })
    await expect(page.getAttribute('#job-progress', 'value')).resolves.toBe('3')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#job-pdf')])
    const pdf = fs.readFileSync((await download.path())!, 'latin1')
    expect((pdf.match(/\/Type \/Page\b/g) ?? []).length).toBe(3)
    await expect(page.$$eval('.badge.printed', (b) => b.map((x) => x.textContent))).resolves.toEqual(['已打印 printed ×1', '已打印 printed ×1', '已打印 printed ×1'])
  })

  test('print again: one label, its count goes to 2', async () => {
    await page
      .locator('.card.ready')
      .nth(1)
      .getByRole('button', { name: /Print again/ })
      .click()
    await page.waitForFunction(() => document.querySelector('#job-text')?.textContent?.startsWith('已打印 1'), undefined, { timeout: 60_000 })
    await page.waitForFunction(() => document.querySelectorAll('.card.ready')[1]?.textContent?.includes('×2'))
  })

  test('orders typed into the page are fetched and listed, with their pictures', async () => {
    await page.fill('#typed', 'DEMO-BULK-0001,SF\nDEMO-BULK-0002')
    await page.click('#add')
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 7 && document.querySelectorAll('.card.ready img').length === 5, undefined, { timeout: 60_000 })
    await expect(page.$$eval('.card label', (ls) => ls.slice(5).map((l) => l.textContent!.trim()))).resolves.toEqual(['DEMO-BULK-0001', 'DEMO-BULK-0002'])
    await expect(page.textContent('#add-text')).resolves.toContain('已添加 2')
  })

  test.each([
    ['a foreign Host header (DNS rebinding)', { host: `evil.example:1`, 'content-type': 'application/json' }, 421],
    ['a POST from another origin', { origin: 'http://evil.example', 'content-type': 'application/json' }, 403],
    ['a POST that is not JSON (a plain form)', { 'content-type': 'application/x-www-form-urlencoded' }, 403],
  ])('%s is refused', async (_what, headers, status) => {
    // node:http, since fetch will not send a Host header of its own choosing.
    const code = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/api/print', method: 'POST', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => (res.resume(), resolve(res.statusCode!)))
      req.on('error', reject)
      req.end('{"rows":[0]}')
    })
    expect(code).toBe(status)
  })
})

describe('typed order lines', () => {
  test.each<[string, string, unknown]>([
    ['an order id alone is SF', 'DEMO-BULK-0001', [{ orderId: 'DEMO-BULK-0001', deliveryId: 'SF' }]],
    [
      'comma, space or full-width comma; blank lines and CRLF skipped',
      'A1,ZTO\n\n  B2 YTO  \r\nC3，JD',
      [
        { orderId: 'A1', deliveryId: 'ZTO' },
        { orderId: 'B2', deliveryId: 'YTO' },
        { orderId: 'C3', deliveryId: 'JD' },
      ],
    ],
    ['nothing typed', '', /one order id per line/],
    ['a third field', 'A1,SF,extra', /Not an order line/],
    ['markup', '<script>', /Not an order line/],
    ['more than 200 lines', Array(201).fill('A1').join('\n'), /At most 200/],
  ])('%s', (_what, text, expected) => {
    const r = typedOrders({ text })
    if (expected instanceof RegExp) expect(r).toMatchObject({ ok: false, problem: expect.stringMatching(expected) })
    else expect(r).toEqual({ ok: true, orders: expected })
  })
})

withChromium('npm run station -- --printer tcp://127.0.0.1:<port>', () => {
  test('a print job goes to the printer as TSPL, exactly the job file, and the job says how much was sent', async () => {
    const received: Buffer[] = []
    const printer = net.createServer((socket) => socket.on('data', (d: Buffer) => received.push(d)))
    await new Promise<void>((resolve) => printer.listen(0, '127.0.0.1', resolve))
    const printerPort = (printer.address() as net.AddressInfo).port
    const port = await freePort()
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-station-printer-'))
    const running = await station(['--batch', 'examples/orders.json', '--port', String(port), '--printer', `tcp://127.0.0.1:${printerPort}`, '--out', out])
    try {
      const api = (p: string, body?: unknown) =>
        fetch(`http://127.0.0.1:${port}${p}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
          (r) => r.json() as Promise<Record<string, unknown>>,
        )
      expect(((await api('/api/orders')) as { printer: string }).printer).toBe(`tcp://127.0.0.1:${printerPort} (TSPL, 203 dpi)`)
      const { job } = (await api('/api/print', { rows: [0, 2, 3] })) as { job: { id: number } }
      let state: { state: string; printed: number; notPrinted: { code: string }[]; printer?: { sent: number; problem?: string } }
      do {
        await new Promise((resolve) => setTimeout(resolve, 200))
        state = ((await api(`/api/jobs/${job.id}`)) as { job: typeof state }).job
      } while (state.state === 'running')
      expect(state).toMatchObject({ state: 'done', printed: 2, notPrinted: [{ code: 'CANCELLED' }] })
      const file = fs.readFileSync(path.join(out, `job-${job.id}`, 'labels.tspl'))
      expect(state.printer).toEqual({ target: `tcp://127.0.0.1:${printerPort}`, sent: file.length })
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(Buffer.concat(received)).toEqual(file)
      expect((file.toString('latin1').match(/\r\nPRINT 1\r\n/g) ?? []).length).toBe(2)
    } finally {
      await running.stop()
      printer.close()
      fs.rmSync(out, { recursive: true, force: true })
    }
  })
})

withChromium('npm run station -- --host <another interface>', () => {
  test('needs the token it prints: refused without, let in with it once, then by cookie', async () => {
    const port = await freePort()
    const running = await station(['--batch', 'examples/orders.json', '--port', String(port), '--host', '127.0.0.2'])
    try {
      const url = new URL(running.url)
      expect(url.hostname).toBe('127.0.0.2')
      const token = url.searchParams.get('token')!
      expect(token.length).toBeGreaterThanOrEqual(24)
      expect((await fetch(`http://127.0.0.2:${port}/api/orders`)).status).toBe(401)
      expect((await fetch(`http://127.0.0.2:${port}/?token=wrong${token.slice(5)}`)).status).toBe(401)
      const first = await fetch(running.url)
      expect(first.status).toBe(200)
      const cookie = first.headers.get('set-cookie')!
      expect(cookie).toMatch(/HttpOnly; SameSite=Strict/)
      const rows = (await (await fetch(`http://127.0.0.2:${port}/api/orders`, { headers: { cookie: cookie.split(';')[0]! } })).json()) as { rows: unknown[] }
      expect(rows.rows).toHaveLength(5)
    } finally {
      await running.stop()
    }
  })
})
