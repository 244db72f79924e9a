import { randomBytes } from 'crypto'
import * as path from 'path'
import type { TransportName } from '../config/transports'
import { COMPONENT_FUNCTION_NAME } from '../registry/component'
import { createBackend, type ScenarioName } from './backend'
import { runUnderBootstrap } from './bootstrap'
import type { FakeGateway } from './gateway'
import { type FakeWechatServer, startWechatServer } from './wechatServer'

/** The merchant `--transport component` reads for unless `--authorizer` names another. */
export const DEMO_MERCHANT = 'wxDEMOMERCHANT0001'

/** A fake WeChat for one transport: the variables that point the function at it, and how to stop it. */
export interface FakeUpstream {
  env: Record<string, string>
  /** the fake third-party platform's side, with the component transport */
  component?: FakeWechatServer['component']
  via: string
  where: string
  close(): Promise<void>
}

interface Options {
  gateway: FakeGateway
  scenario: ScenarioName
  /** the getOrder function folder; its siblings are the companion functions */
  functionDir: string
  authorizer?: string
}

/**
 * What each transport of the registry calls in the harness. The gateway (storage, database and
 * the cloud call) is there for every transport, as it is when deployed; a name the registry
 * knows without an entry here does not compile.
 */
export const FAKE_UPSTREAMS: { readonly [N in TransportName]: (o: Options) => Promise<FakeUpstream | { problem: string }> } = {
  cloud: async ({ gateway, scenario }) => ({ env: {}, via: 'the cloud call', where: `fake gateway ${gateway.url}${label(scenario)}`, close: async () => {} }),
  https: async ({ scenario }) => {
    const server = await startWechatServer({ backend: createBackend({ scenario }) })
    return { env: server.httpsEnv(), via: 'the HTTPS API', where: `fake WeChat API server ${server.baseUrl}${label(scenario)}`, close: () => server.close() }
  },
  component: async ({ gateway, scenario, functionDir, authorizer }) => {
    const server = await startWechatServer({ backend: createBackend({ scenario }) })
    const env: Record<string, string> = { ...server.componentEnv(), TOKEN_STORE_KEY: randomBytes(32).toString('hex') }
    // The platform's life before the call: WeChat pushes a ticket, the merchant authorizes, and
    // wxComponent (under the same runtime) receives both, as the HTTP access service hands them over.
    const merchant = authorizer ?? DEMO_MERCHANT
    const code = server.component.authorizeMerchant(merchant, [45])
    const pushes = [
      server.component.newTicket().push,
      server.component.push(
        `<xml><AppId>${env.WX_COMPONENT_APPID}</AppId><InfoType>authorized</InfoType><AuthorizerAppid>${merchant}</AuthorizerAppid><AuthorizationCode>${code}</AuthorizationCode></xml>`,
      ),
    ]
    for (const push of pushes) {
      const received = await runUnderBootstrap({
        functionDir: path.resolve(functionDir, '..', COMPONENT_FUNCTION_NAME),
        event: { httpMethod: 'POST', path: '/wx-component', queryStringParameters: push.query, body: push.body, isBase64Encoded: false },
        env: { ...gateway.sdkEnv(), ...env },
        timeoutSec: 10,
      })
      const answer = received.result as unknown as { statusCode?: number } | undefined
      if (answer?.statusCode !== 200) {
        await server.close()
        return { problem: `wxComponent did not accept the platform's push: ${JSON.stringify(received.result ?? received.stderr.slice(0, 300))}` }
      }
    }
    return {
      env,
      component: server.component,
      via: `the component transport, for merchant ${merchant}`,
      where: `fake WeChat API server ${server.baseUrl}${label(scenario)} (pushes received by wxComponent)`,
      close: () => server.close(),
    }
  },
}

const label = (scenario: ScenarioName) => (scenario === 'normal' ? '' : `, scenario ${scenario}`)
