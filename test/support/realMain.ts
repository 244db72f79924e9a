import { createCloudMain, type WxServerSdk } from '../../src/cloud/entry'
import { type FakeGateway, startGateway } from '../../src/harness/gateway'

/**
 * The cloud function on the real wx-server-sdk, pointed at a gateway on loopback. The SDK reads
 * identity from process.env, as on the platform, so `use` sets it for each invocation.
 */
export async function realSdkHarness() {
  const saved = { ...process.env }
  const gateway = await startGateway()
  Object.assign(process.env, gateway.sdkEnv())
  const sdk = require('wx-server-sdk') as WxServerSdk
  return {
    gateway,
    /** a fresh function instance with this caller and these variables */
    use(env: Record<string, string>, caller?: string) {
      for (const k of ['WX_CONTEXT_KEYS', 'WX_OPENID', 'ADMIN_OPENIDS', 'TRUST_SERVER_CALLERS', 'ACCESS_POLICY', 'BATCH_CONCURRENCY']) delete process.env[k]
      if (caller !== undefined) Object.assign(process.env, { WX_CONTEXT_KEYS: 'WX_OPENID', WX_OPENID: caller })
      Object.assign(process.env, env)
      return createCloudMain(sdk, process.env)
    },
    async close() {
      await gateway.close()
      process.env = saved
    },
  }
}
export type RealSdkHarness = Awaited<ReturnType<typeof realSdkHarness>>
export type { FakeGateway }
