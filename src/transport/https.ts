import { TOKEN_ERRCODES } from '../errors/table'
import { withoutSecrets } from '../errors/upstream'
import { errcodeOf } from '../upstream/normalize'
import type { WireBatchRequest, WireGetOrderRequest } from '../upstream/wire'
import { postJson } from './http'
import type { TokenProvider } from './tokens'
import type { CallOptions, Transport } from './types'

export const DEFAULT_API_BASE = 'https://api.weixin.qq.com'
const PATHS = {
  getOrder: '/cgi-bin/express/business/order/get',
  batchGetOrder: '/cgi-bin/express/business/order/batchget',
} as const

export interface HttpsTransportOptions {
  tokens: TokenProvider
  /** default https://api.weixin.qq.com */
  baseUrl?: string
}

/**
 * The API over HTTPS: `POST {base}/cgi-bin/express/business/order/get?access_token=…`, JSON in,
 * the raw snake_case JSON out. When WeChat refuses the token (40001/40014/42001) it asks the
 * provider for a fresh one, once, and tries the call again.
 *
 * @example
 * const transport = httpsTransport({ tokens: stableTokenProvider({ appid, secret }) })
 * const handler = createGetOrderHandler({ transport, caller: () => undefined, access: trustServerCallers })
 */
export function httpsTransport(options: HttpsTransportOptions): Transport {
  const base = (options.baseUrl ?? DEFAULT_API_BASE).replace(/\/+$/, '')

  async function call(path: string, body: unknown, opts: CallOptions): Promise<unknown> {
    const used: string[] = []
    return withoutSecrets(
      () => used,
      async () => {
        let token = await options.tokens.getToken({ signal: opts.signal })
        used.push(token)
        const answer = await postJson(`${base}${path}?access_token=${encodeURIComponent(token)}`, body, opts.signal, path)
        const refused = errcodeOf(answer)
        if (!refused || refused.wxErrCode === undefined || !TOKEN_ERRCODES.has(refused.wxErrCode)) return answer
        token = await options.tokens.getToken({ rejected: token, signal: opts.signal })
        used.push(token)
        return postJson(`${base}${path}?access_token=${encodeURIComponent(token)}`, body, opts.signal, path)
      },
    )
  }

  return {
    name: 'https',
    getOrder: (request: WireGetOrderRequest, opts) => call(PATHS.getOrder, request, opts),
    batchGetOrder: (request: WireBatchRequest, opts) => call(PATHS.batchGetOrder, request, opts),
  }
}
