// A real CloudBase environment as the doctor sees it, through @cloudbase/manager-node (the library
// the CloudBase CLI itself is built on).
import * as unzipper from 'unzipper'
import type { Credentials } from '../credentials'
import { type DeployedFunction, type DeploymentView, FUNCTION_NAME, type StorageAcl } from './checks'

/** The slice of manager-node's CloudBase the doctor and `--live` use, typed from manager-node itself. */
export interface ManagerLike {
  functions: Pick<import('@cloudbase/manager-node/types/function').FunctionService, 'getFunctionDetail' | 'getFunctionDownloadUrl' | 'invokeFunction'>
  storage: { getStorageAcl(options: { withRule: true }): Promise<{ acl: string; rule?: { read: boolean | string; write: boolean | string } }> }
  database: { checkCollectionExists(name: string): Promise<{ Exists: boolean }> }
}

export function managerFor(credentials: Credentials, envId: string): ManagerLike {
  // Loaded here, not at the top: the local doctor and the tests never need it.
  const CloudBase = require('@cloudbase/manager-node') as typeof import('@cloudbase/manager-node')
  return new CloudBase({ secretId: credentials.secretId, secretKey: credentials.secretKey, ...(credentials.token ? { token: credentials.token } : {}), envId }) as unknown as ManagerLike
}

/** SCF's answer for a function that is not there. */
function isMissing(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '')
  return code.startsWith('ResourceNotFound')
}

export function cloudView(manager: ManagerLike, where: string, download: (url: string) => Promise<Buffer> = fetchBytes): DeploymentView {
  return {
    where,
    async fn(name = FUNCTION_NAME): Promise<DeployedFunction | undefined> {
      let d
      try {
        d = await manager.functions.getFunctionDetail(name)
      } catch (err) {
        if (isMissing(err)) return undefined
        throw err
      }
      const variables: Record<string, string> = {}
      for (const v of d.Environment?.Variables ?? []) variables[v.Key] = v.Value
      return {
        ...(d.Status ? { status: d.Status } : {}),
        runtime: d.Runtime,
        timeoutSec: Number(d.Timeout),
        memoryMb: Number(d.MemorySize),
        variables,
        triggers: (d.Triggers ?? []).map((t) => ({ name: t.TriggerName ?? t.Name, type: t.Type, config: t.TriggerDesc ?? t.Config })),
      }
    },
    async code() {
      const { Url } = await manager.functions.getFunctionDownloadUrl(FUNCTION_NAME)
      const zip = await unzipper.Open.buffer(await download(Url))
      const entry = zip.files.find((f) => f.path === 'index.js' || f.path.endsWith('/index.js'))
      return entry ? entry.buffer() : undefined
    },
    async storageAcl(): Promise<StorageAcl> {
      return manager.storage.getStorageAcl({ withRule: true })
    },
    async collectionExists(name) {
      return (await manager.database.checkCollectionExists(name)).Exists
    },
    async invoke(event) {
      const res = await manager.functions.invokeFunction(FUNCTION_NAME, event)
      if (res.ErrMsg) throw new Error(`the invocation failed: ${res.ErrMsg.slice(0, 200)}`)
      return JSON.parse(res.RetMsg) as unknown
    },
  }
}

async function fetchBytes(url: string): Promise<Buffer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
  if (!res.ok) throw new Error(`downloading the deployed code: HTTP ${res.status}`)
  return Buffer.from(await res.arrayBuffer())
}
