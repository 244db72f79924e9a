import type { IncomingMessage, ServerResponse } from 'http'
import type { PushRequest } from './push'

/** Bodies larger than this are not pushes: refused unread. */
const MAX_BODY = 64 * 1024

/**
 * The push receiver as a Node `(req, res)` handler, for any HTTP server (http, Express, Koa's
 * `ctx.req/ctx.res`): it reads the query and body, answers `success` or refuses.
 *
 * @example
 * const receive = createPushReceiver({ platform, token: process.env.WX_COMPONENT_TOKEN!, aesKey: aesKeyOf(process.env.WX_COMPONENT_AES_KEY!) as Buffer })
 * http.createServer(componentPushHandler(receive)).listen(8080)
 */
export function componentPushHandler(receive: (req: PushRequest) => Promise<{ status: number; body: string }>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const reply = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(body)
    }
    if (req.method !== 'POST') return reply(405, 'POST only')
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        reply(413, 'too large')
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => {
      if (size > MAX_BODY) return
      const url = new URL(req.url ?? '/', 'http://localhost')
      receive({ query: Object.fromEntries(url.searchParams), body: Buffer.concat(chunks).toString('utf8') }).then(
        (a) => reply(a.status, a.body),
        () => reply(500, 'error'),
      )
    })
  }
}
