// A real CloudBase environment as the doctor sees it, through @cloudbase/manager-node (the library
// the CloudBase CLI itself is built on).
import * as unzipper from 'unzipper'
import type { Credentials } from '../credentials'
import { type DeployedFunction, type DeploymentView, FUNCTION_NAME, type StorageAcl } from './checks'

/** The slice of manager-node's CloudBase the doctor and `--live` use, typed from manager-node itself. */
export interface ManagerLike {
  functions: Pick<import('@cloudbase/manager-node/types/function').FunctionService, 'getFunctionDetail' | 'getFunctionDownloadUrl' | 'invokeFunction'>
  storage: { getStorageAcl(options: { withRule: true }): Promise<{ acl: string; rule?: { read: boolean | string; write: boolean | string } }> }
  database: { checkCollectionExists(name: string): Promise<{ Exists: boolean }>; createCollectionIfNotExists(name: string): Promise<unknown> }
  access: { getAccessList(options?: { path?: string }): Promise<{ APISet: { Path: string; Name: string }[] }> }
}

/** Documents written with the environment's admin credentials (@cloudbase/node-sdk): they carry no `_openid`. */
export interface AdminDatabase {
  set(collection: string, id: string, data: Record<string, unknown>): Promise<void>
}

/** The environment's database as its admin (@cloudbase/node-sdk), with the same login or API key as the CLI. */
export function adminDatabase(credentials: Credentials, envId: string): unknown {
  // Loaded here: only the scripts that write to a real environment need it.
  const tcb = require('@cloudbase/node-sdk') as { init(o: Record<string, unknown>): { database(): unknown } }
  return tcb.init({ env: envId, secretId: credentials.secretId, secretKey: credentials.secretKey, ...(credentials.token ? { sessionToken: credentials.token } : {}), timeout: 15_000 }).database()
}

/** A function's environment variables, as SCF's GetFunction lists them. */
export function deployedVariables(detail: { Environment?: { Variables?: { Key: string; Value: string }[] } }): Record<string, string> {
  return Object.fromEntries((detail.Environment?.Variables ?? []).map((v) => [v.Key, v.Value]))
}

export function adminDatabaseFor(credentials: Credentials, envId: string): AdminDatabase {
  return {
    async set(collection, id, data) {
      const db = adminDatabase(credentials, envId) as { collection(n: string): { doc(id: string): { set(d: Record<string, unknown>): Promise<{ code?: string; message?: string }> } } }
      const answer = await db.collection(collection).doc(id).set(data)
      if (answer?.code) throw new Error(`writing to ${collection} failed: ${answer.code}`)
    },
  }
}

/** SCF reports times as "YYYY-MM-DD hh:mm:ss" in China Standard Time (UTC+8). */
export function scfTime(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return undefined
  const ms = Date.parse(`${text.replace(' ', 'T')}+08:00`)
  return Number.isNaN(ms) ? undefined : ms
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

export function cloudView(manager: ManagerLike, where: string, admin: AdminDatabase, download: (url: string) => Promise<Buffer> = fetchBytes): DeploymentView {
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
      const deployedAt = scfTime(d.ModTime)
      const variables = deployedVariables(d)
      return {
        ...(d.Status ? { status: d.Status } : {}),
        runtime: d.Runtime,
        timeoutSec: Number(d.Timeout),
        memoryMb: Number(d.MemorySize),
        variables,
        triggers: (d.Triggers ?? []).map((t) => ({ name: t.TriggerName ?? t.Name, type: t.Type, config: t.TriggerDesc ?? t.Config })),
        ...(deployedAt !== undefined ? { deployedAt } : {}),
      }
    },
    code: () => deployedIndex(manager, FUNCTION_NAME, download),
    async storageAcl(): Promise<StorageAcl> {
      return manager.storage.getStorageAcl({ withRule: true })
    },
    async collectionExists(name) {
      return (await manager.database.checkCollectionExists(name)).Exists
    },
    async writeTicket(collection, id, expiresAt) {
      await manager.database.createCollectionIfNotExists(collection)
      await admin.set(collection, id, { expiresAt, purpose: 'npm run doctor: a one-time self-test ticket' })
    },
    async invoke(event) {
      const res = await manager.functions.invokeFunction(FUNCTION_NAME, event)
      if (res.ErrMsg) throw new Error(`the invocation failed: ${res.ErrMsg.slice(0, 200)}`)
      return JSON.parse(res.RetMsg) as unknown
    },
  }
}

/** The deployed `index.js` of a function, read out of its code package. */
export async function deployedIndex(manager: Pick<ManagerLike, 'functions'>, name: string, download: (url: string) => Promise<Buffer> = fetchBytes): Promise<Buffer | undefined> {
  const { Url } = await manager.functions.getFunctionDownloadUrl(name)
  const zip = await unzipper.Open.buffer(await download(Url))
  const entry = zip.files.find((f) => f.path === 'index.js' || f.path.endsWith('/index.js'))
  return entry ? entry.buffer() : undefined
}

async function fetchBytes(url: string): Promise<Buffer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
  if (!res.ok) throw new Error(`downloading the deployed code: HTTP ${res.status}`)
  return Buffer.from(await res.arrayBuffer())
}
