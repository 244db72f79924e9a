// The station's HTTP side: the page, its script and style, and a small JSON API over the desk.
// Loopback by default; another interface only with a token. Every answer carries a policy that
// lets the page load nothing but its own files, and the Host header must name the station, so a
// page elsewhere cannot reach it through a name that resolves to 127.0.0.1.
import { timingSafeEqual } from 'crypto'
import * as fs from 'fs'
import * as http from 'http'
import * as path from 'path'
import type { Desk } from './desk'

const PUBLIC = path.join(__dirname, 'public')
const FILES: Record<string, string> = { '/': 'index.html', '/station.js': 'station.js', '/station.css': 'station.css' }
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' }
const HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}
/** Order lines typed in at once, at most. */
const MAX_TYPED = 200
const MAX_BODY = 64 * 1024

export interface StationServerOptions {
  desk: Desk
  host: string
  port: number
  /** required of every request when set: ?token= once (then a cookie), or Authorization: Bearer */
  token?: string
}

export async function startStation(o: StationServerOptions): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    handle(o, req, res).catch((err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.host, () => resolve())
  })
  const port = (server.address() as { port: number }).port
  o.port = port
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host
  return {
    url: `http://${shown}:${port}/${o.token ? `?token=${o.token}` : ''}`,
    port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}

async function handle(o: StationServerOptions, req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://station.invalid')
  if (!hostAllowed(o, req.headers.host)) return send(res, 421, { error: 'This station answers only to its own address.' })
  const auth = authorised(o, req, url)
  if (!auth.ok) return send(res, 401, { error: 'This station needs its access token: open the address it printed.' })
  if (auth.setCookie) res.setHeader('set-cookie', `station_token=${o.token}; HttpOnly; SameSite=Strict; Path=/`)
  if (req.method === 'POST' && !sameOrigin(req)) return send(res, 403, { error: 'Requests must come from the station page.' })
  const file = FILES[url.pathname]
  if (req.method === 'GET' && file) return sendFile(res, path.join(PUBLIC, file))
  if (req.method === 'GET' && url.pathname === '/api/orders') return send(res, 200, { rows: o.desk.rows, printer: o.desk.printerName })
  const picture = /^\/api\/orders\/(\d+)\/label\.png$/.exec(url.pathname)
  if (req.method === 'GET' && picture) {
    const png = o.desk.picture(Number(picture[1]))
    return png ? sendFile(res, png, 'image/png') : send(res, 404, { error: 'No picture of this label (yet).' })
  }
  if (req.method === 'POST' && url.pathname === '/api/orders') {
    const body = await readJson(req)
    const orders = typedOrders(body)
    if (!orders.ok) return send(res, 400, { error: orders.problem })
    return send(res, 200, { rows: await o.desk.add(orders.orders) })
  }
  if (req.method === 'POST' && url.pathname === '/api/print') {
    const body = (await readJson(req)) as { rows?: unknown }
    const ids = Array.isArray(body?.rows) ? body.rows.filter((n): n is number => Number.isInteger(n)) : []
    if (ids.length === 0) return send(res, 400, { error: 'Select the labels to print.' })
    return send(res, 202, { job: o.desk.print(ids) })
  }
  const job = /^\/api\/jobs\/(\d+)(\/labels\.pdf)?$/.exec(url.pathname)
  if (req.method === 'GET' && job) {
    const found = o.desk.jobs[Number(job[1]) - 1]
    if (!found) return send(res, 404, { error: 'No such print job.' })
    if (!job[2]) return send(res, 200, { job: { ...found, pdf: found.pdf ? `/api/jobs/${found.id}/labels.pdf` : undefined } })
    if (!found.pdf) return send(res, 404, { error: 'The job has no PDF (yet).' })
    res.setHeader('content-disposition', `attachment; filename="labels-${found.id}.pdf"`)
    return sendFile(res, found.pdf, 'application/pdf')
  }
  return send(res, 404, { error: 'Not found.' })
}

/** Lines of `orderId` or `orderId,deliveryId` (SF when no carrier is given), as a merchant types them. */
export function typedOrders(body: unknown): { ok: true; orders: { orderId: string; deliveryId: string }[] } | { ok: false; problem: string } {
  const text = typeof (body as { text?: unknown })?.text === 'string' ? (body as { text: string }).text : undefined
  if (text === undefined) return { ok: false, problem: 'Send {"text": "<order id>[,<carrier>] per line"}.' }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  if (lines.length === 0) return { ok: false, problem: 'Type one order id per line (optionally ",<carrier id>", e.g. "DEMO-BULK-0001,SF").' }
  if (lines.length > MAX_TYPED) return { ok: false, problem: `At most ${MAX_TYPED} orders at once.` }
  const orders: { orderId: string; deliveryId: string }[] = []
  for (const line of lines) {
    const [orderId, deliveryId = 'SF', extra] = line.split(/[,，\s\t]+/)
    if (extra !== undefined || !/^[A-Za-z0-9_\-]{1,64}$/.test(orderId!) || !/^[A-Za-z0-9_]{1,32}$/.test(deliveryId))
      return { ok: false, problem: `Not an order line: ${JSON.stringify(line.slice(0, 80))} (an order id, optionally ",<carrier id>").` }
    orders.push({ orderId: orderId!, deliveryId })
  }
  return { ok: true, orders }
}

function hostAllowed(o: StationServerOptions, host: string | undefined): boolean {
  if (!host) return false
  const names = o.host === '127.0.0.1' || o.host === 'localhost' || o.host === '::1' ? ['127.0.0.1', 'localhost', '[::1]'] : null
  const [name, port] = host.startsWith('[') ? [host.slice(0, host.indexOf(']') + 1), host.slice(host.indexOf(']') + 2)] : host.split(':')
  if (Number(port) !== o.port) return false
  // On another interface the token is the guard; on loopback the name must be loopback's.
  return names === null ? true : names.includes(name!)
}

function authorised(o: StationServerOptions, req: http.IncomingMessage, url: URL): { ok: boolean; setCookie?: boolean } {
  if (!o.token) return { ok: true }
  const matches = (given: string | undefined) => given !== undefined && given.length === o.token!.length && timingSafeEqual(Buffer.from(given), Buffer.from(o.token!))
  const cookie = /(?:^|;\s*)station_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  if (matches(cookie) || matches(bearer)) return { ok: true }
  if (matches(url.searchParams.get('token') ?? undefined)) return { ok: true, setCookie: true }
  return { ok: false }
}

function sameOrigin(req: http.IncomingMessage): boolean {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return false
  const origin = req.headers.origin
  return origin === undefined || origin === `http://${req.headers.host}`
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new Error('The request is too large.')
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { ...HEADERS, 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

function sendFile(res: http.ServerResponse, file: string, type = TYPES[path.extname(file)] ?? 'application/octet-stream') {
  res.writeHead(200, { ...HEADERS, 'content-type': type })
  fs.createReadStream(file).pipe(res)
}
