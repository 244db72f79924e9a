import { execFileSync } from 'child_process'
import * as http from 'http'
import type { AddressInfo } from 'net'
import { randomBytes } from 'crypto'
import { startWechatServer, FAKE_COMPONENT, type FakeWechatServer } from '../harness/wechatServer'
import { aesKeyOf, decryptMessage, encryptMessage, msgSignature } from './crypto'
import { componentPlatform, type ComponentPlatform, requestTicketPush } from './platform'
import { createPushReceiver } from './push'
import { sealerFrom, type Sealer } from './seal'
import { sharedToken } from './shared'
import { memoryTokenStore, type TokenStore } from './store'

const KEY = aesKeyOf(FAKE_COMPONENT.aesKey) as Buffer
const SEALER = sealerFrom(randomBytes(32).toString('hex')) as Sealer
const APPID = FAKE_COMPONENT.appid

/**
 * The documented scheme, done by another implementation: OpenSSL's AES-256-CBC and SHA-1, with the
 * framing (16 random bytes, big-endian length, message, AppID, PKCS#7 to 32) written out here.
 */
function opensslPush(inner: string, opts: { appid?: string; timestamp?: number; token?: string; key?: Buffer } = {}) {
  const key = opts.key ?? KEY
  const msg = Buffer.from(inner, 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32BE(msg.length)
  const body = Buffer.concat([randomBytes(16), len, msg, Buffer.from(opts.appid ?? APPID)])
  const pad = 32 - (body.length % 32)
  const plain = Buffer.concat([body, Buffer.alloc(pad, pad)])
  const encrypt = execFileSync('openssl', ['enc', '-aes-256-cbc', '-nopad', '-K', key.toString('hex'), '-iv', key.subarray(0, 16).toString('hex')], { input: plain }).toString('base64')
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000))
  const nonce = randomBytes(5).toString('hex')
  const signature = execFileSync('openssl', ['dgst', '-sha1', '-r'], { input: [opts.token ?? FAKE_COMPONENT.token, timestamp, nonce, encrypt].sort().join('') })
    .toString()
    .split(' ')[0]!
  return { query: { msg_signature: signature, timestamp, nonce, encrypt_type: 'aes' }, body: `<xml><AppId><![CDATA[${APPID}]]></AppId><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` }
}

/** The ticket as the store holds it: sealed under TOKEN_STORE_KEY, opened here. */
const ticketIn = (stored: string | undefined) => (stored === undefined ? undefined : SEALER.open(stored, 'ticket'))

const ticketXml = (ticket: string) =>
  `<xml><AppId><![CDATA[${APPID}]]></AppId><CreateTime>1413192605</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[${ticket}]]></ComponentVerifyTicket></xml>`

/** A store that records every write, so "changes nothing" can be checked. */
function watched(): TokenStore & { writes: string[] } {
  const inner = memoryTokenStore()
  const writes: string[] = []
  return {
    name: 'watched',
    writes,
    get: (k) => inner.get(k),
    set: async (k, v, t) => (writes.push(k), inner.set(k, v, t)),
    setIfAbsent: async (k, v, t) => (writes.push(k), inner.setIfAbsent(k, v, t)),
    deleteIf: async (k, v) => (writes.push(k), inner.deleteIf(k, v)),
    extendIf: async (k, v, t) => (writes.push(k), inner.extendIf(k, v, t)),
  }
}

describe('the message scheme', () => {
  test('our encryption and OpenSSL agree both ways', () => {
    const push = opensslPush(ticketXml('T1'))
    const encrypt = /<Encrypt><!\[CDATA\[(.*)\]\]><\/Encrypt>/.exec(push.body)![1]!
    expect(decryptMessage(KEY, encrypt, APPID)).toEqual({ ok: true, message: ticketXml('T1'), appid: APPID })
    const ours = encryptMessage(KEY, '中文 message', APPID)
    const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-nopad', '-K', KEY.toString('hex'), '-iv', KEY.subarray(0, 16).toString('hex')], { input: Buffer.from(ours, 'base64') })
    const n = plain.readUInt32BE(16)
    expect(plain.subarray(20, 20 + n).toString('utf8')).toBe('中文 message')
    expect(plain.length % 32).toBe(0)
    expect(msgSignature('b', 'a', 'd', 'c')).toBe(execFileSync('openssl', ['dgst', '-sha1', '-r'], { input: 'abcd' }).toString().split(' ')[0])
  })

  test.each([
    ['another AppID inside', () => encryptMessage(KEY, 'x', 'wxOTHER00000000000'), /another AppID/],
    ['not whole blocks', () => 'AAAA', /whole AES blocks/],
    ['garbage padding', () => Buffer.alloc(32, 0).toString('base64'), /padding|short|length/],
  ])('decryption refuses %s', (_n, make, why) => {
    const got = decryptMessage(KEY, make(), APPID)
    expect(got.ok).toBe(false)
    if (!got.ok) expect(got.why).toMatch(why)
  })
})

describe('the push receiver', () => {
  let store: ReturnType<typeof watched>
  let platform: ComponentPlatform
  let receive: ReturnType<typeof createPushReceiver>
  beforeEach(() => {
    store = watched()
    platform = componentPlatform({ appid: APPID, secret: FAKE_COMPONENT.secret, store, sealer: SEALER, baseUrl: 'http://127.0.0.1:9' })
    receive = createPushReceiver({ platform, token: FAKE_COMPONENT.token, aesKey: KEY })
  })

  test('a ticket encrypted by OpenSSL is accepted and answered success', async () => {
    const answer = await receive(opensslPush(ticketXml('ticket-1')))
    expect(answer).toMatchObject({ status: 200, body: 'success', infoType: 'component_verify_ticket' })
    expect(ticketIn(await store.get('ticket'))).toBe('ticket-1')
  })

  test.each<[string, () => { query: Record<string, string>; body: string }, RegExp]>([
    [
      'a flipped signature byte',
      () => {
        const p = opensslPush(ticketXml('evil'))
        const s = p.query.msg_signature
        return { ...p, query: { ...p.query, msg_signature: `${s.slice(0, 7)}${s[7] === '0' ? '1' : '0'}${s.slice(8)}` } }
      },
      /bad signature/,
    ],
    ["another AppID's message", () => opensslPush(ticketXml('evil'), { appid: 'wxOTHER00000000000' }), /another AppID/],
    ['an old timestamp', () => opensslPush(ticketXml('evil'), { timestamp: Math.floor(Date.now() / 1000) - 3600 }), /stale/],
    ['a timestamp from the future', () => opensslPush(ticketXml('evil'), { timestamp: Math.floor(Date.now() / 1000) + 3600 }), /stale/],
    ['signed with another token', () => opensslPush(ticketXml('evil'), { token: 'not-ours' }), /bad signature/],
    ['no signature', () => ({ query: { timestamp: '1', nonce: 'n' }, body: '<xml/>' }), /missing/],
    ['a body that is not XML', () => ({ ...opensslPush(ticketXml('evil')), body: 'not xml' }), /no Encrypt/],
  ])('%s is refused and changes nothing', async (_name, make, why) => {
    const answer = await receive(make())
    expect(answer.status).toBe(403)
    expect(answer.outcome).toMatch(why)
    expect(store.writes).toEqual([])
    expect(await store.get('ticket')).toBeUndefined()
  })

  test('after a key change, a push under WX_COMPONENT_AES_KEY_PREVIOUS is accepted and one under any other key refused', async () => {
    const current = aesKeyOf('Z'.repeat(43)) as Buffer
    const other = aesKeyOf('Y'.repeat(43)) as Buffer
    const rotated = createPushReceiver({ platform, token: FAKE_COMPONENT.token, aesKey: current, previousAesKey: KEY })
    expect(await rotated(opensslPush(ticketXml('under-previous'), { key: KEY }))).toMatchObject({ status: 200, outcome: 'ticket saved (under the previous EncodingAESKey)' })
    expect(await rotated(opensslPush(ticketXml('under-current'), { key: current }))).toMatchObject({ status: 200, outcome: 'ticket saved' })
    expect(ticketIn(await store.get('ticket'))).toBe('under-current')
    const writes = store.writes.length
    expect(await rotated(opensslPush(ticketXml('evil'), { key: other }))).toMatchObject({ status: 403 })
    expect(store.writes.length).toBe(writes)
    // Without the previous key, the old key's push is refused: the setting is what accepts it.
    const unrotated = createPushReceiver({ platform, token: FAKE_COMPONENT.token, aesKey: current })
    expect(await unrotated(opensslPush(ticketXml('under-previous'), { key: KEY }))).toMatchObject({ status: 403 })
  })

  test('the same push twice: the second is a replay, refused, and the ticket stays', async () => {
    const push = opensslPush(ticketXml('ticket-2'))
    expect((await receive(push)).status).toBe(200)
    const again = await receive(push)
    expect(again).toMatchObject({ status: 403, outcome: 'refused: replayed' })
    expect(ticketIn(await store.get('ticket'))).toBe('ticket-2')
  })
})

describe('the component flow against the fake WeChat server', () => {
  let wx: FakeWechatServer
  let platform: ComponentPlatform
  let receive: ReturnType<typeof createPushReceiver>
  const signal = () => AbortSignal.timeout(5000)
  beforeEach(async () => {
    wx = await startWechatServer()
    platform = componentPlatform({ appid: APPID, secret: FAKE_COMPONENT.secret, store: memoryTokenStore(), sealer: SEALER, baseUrl: wx.baseUrl, pollMs: 10 })
    receive = createPushReceiver({ platform, token: FAKE_COMPONENT.token, aesKey: KEY })
  })
  afterEach(() => wx.close())

  const count = (path: string) => wx.component.requests.filter((r) => r.path.endsWith(path)).length

  test("merchants that authorized before the receiver existed are imported from WeChat's list, refresh tokens sealed; again, they are kept", async () => {
    expect((await receive(wx.component.newTicket().push)).status).toBe(200)
    wx.component.authorizedEarlier('wxEARLIER000000001', [45])
    wx.component.authorizedEarlier('wxEARLIER000000002', [1, 2])
    await expect(platform.authorizer('wxEARLIER000000001').getToken({ signal: signal() })).rejects.toThrow(/has not authorized/)
    const first = await platform.importAuthorizers(signal())
    expect(first.imported.map((m) => [m.appid, m.funcs])).toEqual([
      ['wxEARLIER000000001', [45]],
      ['wxEARLIER000000002', [1, 2]],
    ])
    expect(count('api_get_authorizer_list')).toBe(1)
    // Sealed at rest: the stored value is not the refresh token, and opens only under the key.
    const stored = (await platform.store.get('refresh:wxEARLIER000000001'))!
    expect(stored).toMatch(/^v1\./)
    expect(SEALER.open(stored, 'refresh:wxEARLIER000000001')).toMatch(/^FAKE_REFRESH_/)
    expect(await platform.authorizer('wxEARLIER000000001').getToken({ signal: signal() })).toMatch(/^FAKE_AUTHORIZER_TOKEN_/)
    // Without set 45 or 71 the import does not make it readable.
    await expect(platform.authorizer('wxEARLIER000000002').getToken({ signal: signal() })).rejects.toThrow(/permission set 45 or 71/)
    const again = await platform.importAuthorizers(signal())
    expect(again).toEqual({ imported: [], kept: ['wxEARLIER000000001', 'wxEARLIER000000002'] })
  })

  test('a first ticket asked for now (api_start_push_ticket); a wrong secret is an errcode, with no secret in it', async () => {
    await requestTicketPush({ appid: APPID, secret: FAKE_COMPONENT.secret, baseUrl: wx.baseUrl }, signal())
    expect(wx.component.ticketPushesAsked).toBe(1)
    const err = await requestTicketPush({ appid: APPID, secret: 'not-the-secret', baseUrl: wx.baseUrl }, signal()).catch((e: unknown) => e)
    expect(err).toMatchObject({ wxErrCode: 40013 })
    expect(JSON.stringify(err)).not.toContain('not-the-secret')
    expect(wx.component.ticketPushesAsked).toBe(1)
  })

  test('no ticket yet: a clear error, and no call to WeChat', async () => {
    await expect(platform.componentToken.getToken({ signal: signal() })).rejects.toThrow(/No component_verify_ticket has arrived yet.*every 10 minutes/)
    expect(wx.component.requests).toEqual([])
  })

  test('ticket → authorization push → the merchant token, each fetched once however many ask', async () => {
    expect((await receive(wx.component.newTicket().push)).status).toBe(200)
    wx.component.queryAuthGivesToken = false
    const code = wx.component.authorizeMerchant('wxMERCHANT00000001', [45])
    const pushed = await receive(
      wx.component.push(`<xml><AppId>${APPID}</AppId><InfoType>authorized</InfoType><AuthorizerAppid>wxMERCHANT00000001</AuthorizerAppid><AuthorizationCode>${code}</AuthorizationCode></xml>`),
    )
    expect(pushed).toMatchObject({ status: 200, body: 'success', authorizerAppid: 'wxMERCHANT00000001' })
    const tokens = await Promise.all(Array.from({ length: 20 }, () => platform.authorizer('wxMERCHANT00000001').getToken({ signal: signal() })))
    expect(new Set(tokens).size).toBe(1)
    // Nothing in clear at rest: the ticket, the component token and the merchant's tokens are sealed.
    for (const key of ['ticket', 'component_token', 'authorizer_token:wxMERCHANT00000001', 'refresh:wxMERCHANT00000001']) {
      const stored = (await platform.store.get(key))!
      expect(stored).toMatch(/^v1\./)
      expect(stored).not.toContain(tokens[0]!)
      expect(stored).not.toMatch(/FAKE_|ticket@@@/)
    }
    expect(count('api_component_token')).toBe(1)
    expect(count('api_authorizer_token')).toBe(1)
    // The refresh token is sealed at rest: the store never holds it in the clear.
    const sealed = await platform.store.get('refresh:wxMERCHANT00000001')
    expect(sealed).toMatch(/^v1\./)
    expect(sealed).not.toContain('FAKE_REFRESH_')
  })

  test('a merchant without set 45 or 71 is refused before any call', async () => {
    await receive(wx.component.newTicket().push)
    await platform.authorize(wx.component.authorizeMerchant('wxMERCHANT00000002', [1, 2, 3]))
    const before = wx.component.requests.length
    await expect(platform.authorizer('wxMERCHANT00000002').getToken({ signal: signal() })).rejects.toThrow(/permission set 45 or 71/)
    expect(wx.component.requests.length).toBe(before)
  })

  test('61023 (revoked) marks the merchant unauthorized; later calls fail without asking WeChat', async () => {
    await receive(wx.component.newTicket().push)
    wx.component.queryAuthGivesToken = false
    await platform.authorize(wx.component.authorizeMerchant('wxMERCHANT00000003', [71]))
    wx.component.revokeMerchant('wxMERCHANT00000003')
    await expect(platform.authorizer('wxMERCHANT00000003').getToken({ signal: signal() })).rejects.toMatchObject({ wxErrCode: 61023 })
    expect(await platform.merchant('wxMERCHANT00000003')).toMatchObject({ status: 'unauthorized' })
    const before = wx.component.requests.length
    await expect(platform.authorizer('wxMERCHANT00000003').getToken({ signal: signal() })).rejects.toMatchObject({ wxErrCode: 61023 })
    expect(wx.component.requests.length).toBe(before)
  })

  test('an unauthorized push forgets the merchant', async () => {
    await receive(wx.component.newTicket().push)
    await platform.authorize(wx.component.authorizeMerchant('wxMERCHANT00000004', [45]))
    expect((await receive(wx.component.push(`<xml><AppId>${APPID}</AppId><InfoType>unauthorized</InfoType><AuthorizerAppid>wxMERCHANT00000004</AuthorizerAppid></xml>`))).status).toBe(200)
    expect(await platform.merchant('wxMERCHANT00000004')).toMatchObject({ status: 'unauthorized' })
    expect(await platform.store.get('authorizer_token:wxMERCHANT00000004')).toBeFalsy()
  })

  test('61004: the component whitelist, as an error with no secret in it', async () => {
    await receive(wx.component.newTicket().push)
    wx.component.refuseIp = true
    const err = await platform.componentToken.getToken({ signal: signal() }).catch((e: unknown) => e)
    expect(err).toMatchObject({ wxErrCode: 61004 })
    expect(JSON.stringify(err) + String((err as Error).message)).not.toContain(FAKE_COMPONENT.secret)
  })

  test('a refused component token is replaced once, not hammered', async () => {
    await receive(wx.component.newTicket().push)
    const first = await platform.componentToken.getToken({ signal: signal() })
    const second = await platform.componentToken.getToken({ rejected: first, signal: signal() })
    expect(second).not.toBe(first)
    expect(count('api_component_token')).toBe(2)
  })
})

describe('a shared token', () => {
  // Two instances on one store, as two processes would be.
  const instances = (fetch: () => Promise<{ value: string; ttlMs: number }>, store: TokenStore = memoryTokenStore()) =>
    [0, 1].map(() => sharedToken({ store, key: 'tok', fetch, leaseMs: 150, pollMs: 10 }))

  test('a refresh slower than the lease is not doubled: its live holder renews the lease', async () => {
    let fetched = 0
    const [a, b] = instances(async () => {
      fetched++
      await new Promise((r) => setTimeout(r, 600))
      return { value: `T${fetched}`, ttlMs: 60_000 }
    })
    const first = a!.getToken({ signal: AbortSignal.timeout(5000) })
    await new Promise((r) => setTimeout(r, 20))
    const got = await Promise.all([first, b!.getToken({ signal: AbortSignal.timeout(5000) })])
    expect(got).toEqual(['T1', 'T1'])
    expect(fetched).toBe(1)
  })

  test('a fetched token is served when the store will not take it: to every waiting call, and kept in the process', async () => {
    const inner = memoryTokenStore()
    const store: TokenStore = { ...inner, set: async (k, v, t) => (k === 'tok' ? Promise.reject(new Error('database write failed')) : inner.set(k, v, t)) }
    let fetched = 0
    const [a] = instances(async () => ({ value: `T${++fetched}`, ttlMs: 60_000 }), store)
    const got = await Promise.all(Array.from({ length: 10 }, () => a!.getToken({ signal: AbortSignal.timeout(5000) })))
    expect(new Set(got)).toEqual(new Set(['T1']))
    expect(await a!.getToken({ signal: AbortSignal.timeout(5000) })).toBe('T1')
    expect(fetched).toBe(1)
  })

  test('a store that stops answering fails the call within its time, and the next resolution starts afresh', async () => {
    const inner = memoryTokenStore()
    let stalled = true
    const hang = <T>(f: () => Promise<T>) => (stalled ? new Promise<T>(() => undefined) : f())
    const store: TokenStore = { ...inner, get: (k) => hang(() => inner.get(k)), setIfAbsent: (k, v, t) => hang(() => inner.setIfAbsent(k, v, t)) }
    const t = sharedToken({ store, key: 'tok', fetch: async () => ({ value: 'T1', ttlMs: 60_000 }), leaseMs: 100, pollMs: 10 })
    const started = Date.now()
    await expect(t.getToken({ signal: AbortSignal.timeout(300) })).rejects.toThrow(/ran out of time|did not answer/)
    expect(Date.now() - started).toBeLessThan(1000)
    stalled = false
    // The caller that timed out dropped the stalled resolution: the next call starts a new one at once.
    const again = Date.now()
    await expect(t.getToken({ signal: AbortSignal.timeout(2000) })).resolves.toBe('T1')
    expect(Date.now() - again).toBeLessThan(1000)
  })

  test('a holder that stops renewing (it died) is taken over once the lease lapses', async () => {
    const store = memoryTokenStore()
    await store.setIfAbsent('tok:lease', 'a dead holder', 150)
    let fetched = 0
    const [b] = instances(async () => ({ value: `T${++fetched}`, ttlMs: 60_000 }), store)
    const started = Date.now()
    expect(await b!.getToken({ signal: AbortSignal.timeout(5000) })).toBe('T1')
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(fetched).toBe(1)
  })
})

describe('sealing', () => {
  test('a sealed value opens only under its key and context', () => {
    const s = SEALER.seal('refresh-token', 'refresh:wx1')
    expect(SEALER.open(s, 'refresh:wx1')).toBe('refresh-token')
    expect(SEALER.open(s, 'refresh:wx2')).toBeUndefined()
    expect((sealerFrom(randomBytes(32).toString('hex')) as Sealer).open(s, 'refresh:wx1')).toBeUndefined()
    expect(sealerFrom('short')).toMatch(/32 bytes/)
    expect(sealerFrom(undefined)).toMatch(/not set/)
  })
})

describe('componentPushHandler, over real HTTP', () => {
  test('a signed push posted to a Node server is answered success; a GET is not', async () => {
    const http = await import('http')
    const { componentPushHandler } = await import('./node')
    const store = memoryTokenStore()
    const platform = componentPlatform({ appid: APPID, secret: FAKE_COMPONENT.secret, store, sealer: SEALER, baseUrl: 'http://127.0.0.1:9' })
    const server = http.createServer(componentPushHandler(createPushReceiver({ platform, token: FAKE_COMPONENT.token, aesKey: KEY })))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(server.address() as import('net').AddressInfo).port}/wx-component`
    try {
      const push = opensslPush(ticketXml('over-http'))
      const res = await fetch(`${base}?${new URLSearchParams(push.query).toString()}`, { method: 'POST', body: push.body })
      expect([res.status, await res.text()]).toEqual([200, 'success'])
      expect(ticketIn(await store.get('ticket'))).toBe('over-http')
      expect((await fetch(base)).status).toBe(405)
    } finally {
      server.close()
    }
  })
})

describe('a WeChat that quotes every request value back in errmsg', () => {
  test('no refresh token, authorization code, ticket, secret or token reaches a result or a log line', async () => {
    const seen: string[] = []
    // Answers every component call with an errcode and the whole request (query and body) in errmsg.
    const echo = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0]!
        const quoted = `${req.url} ${body}`
        res.writeHead(200, { 'content-type': 'application/json' })
        if (path.endsWith('api_component_token')) res.end(JSON.stringify({ component_access_token: 'TOKEN-quoted-0001', expires_in: 7200 }))
        else res.end(JSON.stringify({ errcode: path.endsWith('api_authorizer_token') ? 61023 : 40013, errmsg: `bad request: ${quoted}` }))
      })
    })
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    const baseUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`
    try {
      const store = memoryTokenStore()
      const logger = { info: (r: object) => void seen.push(JSON.stringify(r)), error: (r: object) => void seen.push(JSON.stringify(r)) }
      const platform = componentPlatform({ appid: APPID, secret: FAKE_COMPONENT.secret, store, sealer: SEALER, baseUrl })
      const receive = createPushReceiver({ platform, token: FAKE_COMPONENT.token, aesKey: KEY, logger })
      await receive(opensslPush(ticketXml('TICKET-quoted-0001')))
      const REFRESH = 'REFRESH-quoted-0001'
      await store.set('merchant:wxQUOTE00000000001', JSON.stringify({ appid: 'wxQUOTE00000000001', status: 'authorized', funcs: [45], updatedAt: 0 }))
      await store.set('refresh:wxQUOTE00000000001', SEALER.seal(REFRESH, 'refresh:wxQUOTE00000000001'))
      const errors: unknown[] = []
      await platform
        .authorizer('wxQUOTE00000000001')
        .getToken({ signal: AbortSignal.timeout(5000) })
        .catch((e: unknown) => errors.push(e))
      await platform.authorize('CODE-quoted-0001', AbortSignal.timeout(5000)).catch((e: unknown) => errors.push(e))
      // An authorization push with the code goes through the receiver, which logs.
      await receive(
        opensslPush(`<xml><AppId>${APPID}</AppId><InfoType>authorized</InfoType><AuthorizerAppid>wxQUOTE00000000002</AuthorizerAppid><AuthorizationCode>CODE-quoted-0002</AuthorizationCode></xml>`),
      )
      expect(errors).toHaveLength(2)
      const told = JSON.stringify([errors.map((e) => ({ message: (e as Error).message, ...(e as object) })), seen])
      // The echo did quote them: the scrub is what keeps them out.
      expect(told).toMatch(/bad request/)
      for (const secret of [REFRESH, 'CODE-quoted-0001', 'CODE-quoted-0002', 'TICKET-quoted-0001', 'TOKEN-quoted-0001', FAKE_COMPONENT.secret]) expect(told).not.toContain(secret)
    } finally {
      await new Promise<void>((r) => echo.close(() => r()))
    }
  })
})
