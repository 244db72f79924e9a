import { type FakeGateway, startGateway } from '../../src/harness/gateway'
import { demoOwnerRecords, seedOwners } from '../../src/harness/owners'
import { type FakeWechatServer, startWechatServer } from '../../src/harness/wechatServer'
import { USER } from './scenarios'

export interface Loopback {
  gateway: FakeGateway
  /** the fake WeChat HTTPS API, when asked for */
  wechat: FakeWechatServer
  close(): Promise<void>
}

/**
 * The fake upstream on loopback, with process.env pointed at the gateway the way the platform
 * points the real wx-server-sdk at its own (and put back on close).
 */
export async function startLoopback(options: { wechat?: boolean } = {}): Promise<Loopback> {
  const saved = { ...process.env }
  const gateway = await startGateway()
  // USER owns every demo order, so a plain user's read is served under OWNERSHIP_ENV.
  seedOwners(gateway.db, demoOwnerRecords(USER))
  const wechat = options.wechat ? await startWechatServer() : undefined
  Object.assign(process.env, gateway.sdkEnv())
  return {
    gateway,
    wechat: wechat as FakeWechatServer,
    async close() {
      await gateway.close()
      await wechat?.close()
      process.env = saved
    },
  }
}

/** `startLoopback` for a whole test file: started before its tests, closed after them. */
export function useLoopback(options: { wechat?: boolean } = {}): Loopback {
  const loopback = {} as Loopback
  beforeAll(async () => {
    Object.assign(loopback, await startLoopback(options))
  })
  afterAll(() => loopback.close())
  return loopback
}
