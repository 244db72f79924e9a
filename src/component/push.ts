import { XMLParser } from 'fast-xml-parser'
import { type Clock, systemClock } from '../clock/budget'
import { UpstreamError } from '../errors/upstream'
import { type Logger, silentLogger } from '../log/logger'
import { decryptMessage, msgSignature, signatureMatches } from './crypto'
import type { ComponentPlatform } from './platform'

/** A push whose timestamp is further than this from now is refused: a replay or a stale retry. */
export const PUSH_MAX_SKEW_MS = 5 * 60_000
/** How much longer than its acceptable window a push's signature is remembered. */
export const REPLAY_MARGIN_MS = 2 * 60_000

export interface PushRequest {
  /** the URL's query: msg_signature, timestamp, nonce (and encrypt_type=aes) */
  query: Record<string, string | undefined>
  /** the POST body: `<xml><AppId>…</AppId><Encrypt>…</Encrypt></xml>` */
  body: string
}

export interface PushAnswer {
  status: number
  /** `success`, as WeChat asks, or a word saying why not */
  body: string
  /** for the log line: what happened */
  outcome: string
  infoType?: string
  authorizerAppid?: string
}

const xml = new XMLParser({ parseTagValue: false, trimValues: true, processEntities: false })

/**
 * Receives the platform's pushes (授权事件接收 URL): `component_verify_ticket`, `authorized`,
 * `updateauthorized`, `unauthorized`. The signature is checked first (SHA-1 over the sorted token,
 * timestamp, nonce and Encrypt), then the timestamp (within 5 minutes), then that the signature was
 * not seen before, then the decryption and the AppID inside. A push that fails any of them is
 * refused and changes nothing. Never throws.
 */
export function createPushReceiver(deps: {
  platform: ComponentPlatform
  token: string
  aesKey: Buffer
  /**
   * The EncodingAESKey before a change (WX_COMPONENT_AES_KEY_PREVIOUS): WeChat's guide says to keep
   * it and try it when decryption under the current key fails, since pushes already on their way
   * were encrypted under it.
   */
  previousAesKey?: Buffer
  logger?: Logger
  clock?: Clock
}) {
  const clock = deps.clock ?? systemClock
  const logger = deps.logger ?? silentLogger
  const { platform } = deps

  return async function receive(req: PushRequest): Promise<PushAnswer> {
    let answer: PushAnswer
    try {
      answer = await handle(req)
    } catch (err) {
      const e = err instanceof UpstreamError ? err : undefined
      answer = { status: 500, body: 'error', outcome: `failed: ${e ? e.message : 'internal error'}` }
      if (!e) logger.error({ msg: 'componentPush internal error', stack: err instanceof Error ? err.stack : String(err) })
    }
    logger.info({
      msg: 'componentPush',
      status: answer.status,
      outcome: answer.outcome,
      ...(answer.infoType ? { infoType: answer.infoType } : {}),
      ...(answer.authorizerAppid ? { authorizerAppid: answer.authorizerAppid } : {}),
    })
    return answer
  }

  async function handle(req: PushRequest): Promise<PushAnswer> {
    const refuse = (why: string): PushAnswer => ({ status: 403, body: 'refused', outcome: `refused: ${why}` })
    const { msg_signature: signature, timestamp, nonce } = req.query
    if (!signature || !timestamp || !nonce) return refuse('msg_signature, timestamp or nonce missing')
    const outer = parse(req.body)
    const encrypt = typeof outer?.Encrypt === 'string' ? outer.Encrypt : undefined
    if (encrypt === undefined) return refuse('no Encrypt in the body')
    if (!signatureMatches(msgSignature(deps.token, timestamp, nonce, encrypt), signature)) return refuse('bad signature')
    const sentAt = Number(timestamp) * 1000
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(clock.now() - sentAt) > PUSH_MAX_SKEW_MS) return refuse('stale timestamp')
    let decrypted = decryptMessage(deps.aesKey, encrypt, platform.appid)
    let underPrevious = false
    if (!decrypted.ok && deps.previousAesKey !== undefined) {
      const previous = decryptMessage(deps.previousAesKey, encrypt, platform.appid)
      if (previous.ok) [decrypted, underPrevious] = [previous, true]
    }
    if (!decrypted.ok) return refuse(decrypted.why)
    // Seen once, within the window its timestamp allows: the same push again is a replay.
    const seen = `push:${signature}`
    // Remembered past the last moment its timestamp could be accepted (a push dated up to 5 minutes
    // ahead is accepted for 10 more), with a margin for the instances' clocks.
    if (!(await platform.store.setIfAbsent(seen, '1', Math.max(0, sentAt - clock.now()) + PUSH_MAX_SKEW_MS + REPLAY_MARGIN_MS))) return refuse('replayed')
    const inner = parse(decrypted.message)
    const keyNote = underPrevious ? ' (under the previous EncodingAESKey)' : ''
    const infoType = typeof inner?.InfoType === 'string' ? inner.InfoType : undefined
    try {
      switch (infoType) {
        case 'component_verify_ticket': {
          const ticket = inner!.ComponentVerifyTicket
          if (typeof ticket !== 'string' || ticket === '') return { status: 400, body: 'bad', outcome: 'no ComponentVerifyTicket', infoType }
          await platform.saveTicket(ticket)
          return { status: 200, body: 'success', outcome: `ticket saved${keyNote}`, infoType }
        }
        case 'authorized':
        case 'updateauthorized': {
          const code = inner!.AuthorizationCode
          if (typeof code !== 'string' || code === '') return { status: 400, body: 'bad', outcome: 'no AuthorizationCode', infoType }
          const m = await platform.authorize(code)
          return { status: 200, body: 'success', outcome: `authorized, sets ${m.funcs.join(',') || 'none'}${keyNote}`, infoType, authorizerAppid: m.appid }
        }
        case 'unauthorized': {
          const appid = inner!.AuthorizerAppid
          if (typeof appid !== 'string' || appid === '') return { status: 400, body: 'bad', outcome: 'no AuthorizerAppid', infoType }
          await platform.unauthorize(appid)
          return { status: 200, body: 'success', outcome: `unauthorized${keyNote}`, infoType, authorizerAppid: appid }
        }
        default:
          // Other notices need nothing from us; WeChat still wants success.
          return { status: 200, body: 'success', outcome: 'ignored', ...(infoType ? { infoType: infoType.slice(0, 40) } : {}) }
      }
    } catch (err) {
      // Not handled: WeChat pushes it again, and the retry must not be taken for a replay.
      await platform.store.deleteIf(seen, '1').catch(() => undefined)
      throw err
    }
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || text.length > 64 * 1024) return undefined
  try {
    const doc = xml.parse(text) as { xml?: unknown }
    return typeof doc.xml === 'object' && doc.xml !== null ? (doc.xml as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
