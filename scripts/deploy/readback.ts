// After the CLI: the deployment read back through manager-node, so "Deployed." is said only of what
// was seen. The CLI logs a failed function deploy (`✖ … 函数部署失败`) and still exits 0.
import { createHash } from 'crypto'
import type { Row } from '../doctor/checks'
import { deployedIndex, type ManagerLike } from '../doctor/cloudView'

/** Lines of the CLI's output that say a step failed, whatever its exit code. */
export function cliFailures(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /✖|失败|No valid identity|^Error\b|\bFAILED\b/i.test(l))
    .slice(0, 10)
}

export interface Expected {
  /** each function deployed, with its committed index.js and the triggers it must have */
  functions: { name: string; index: Buffer; triggers: string[] }[]
  /** the HTTP access path bound to a function (`/wx-component` → wxComponent) */
  service?: { path: string; name: string }
}

/** SCF reports a function mid-update as Creating/Updating: it is read again for a while. */
const SETTLE = { tries: 10, everyMs: 3000 }

/** One row per thing the deploy should have made, each seen through the management API. */
export async function readBack(manager: ManagerLike, expected: Expected, options: { download?: (url: string) => Promise<Buffer>; settle?: { tries: number; everyMs: number } } = {}): Promise<Row[]> {
  const settle = options.settle ?? SETTLE
  const rows: Row[] = []
  for (const fn of expected.functions) {
    let detail: Awaited<ReturnType<ManagerLike['functions']['getFunctionDetail']>> | undefined
    try {
      for (let i = 0; i < settle.tries; i++) {
        detail = await manager.functions.getFunctionDetail(fn.name)
        if (detail.Status !== 'Creating' && detail.Status !== 'Updating') break
        await new Promise((r) => setTimeout(r, settle.everyMs))
      }
    } catch (err) {
      rows.push({ name: `${fn.name} is active`, ok: false, detail: `could not be read: ${message(err)}`, fix: 'Check the network and the credentials (npx tcb env list), then npm run deploy again.' })
      continue
    }
    const status = detail?.Status ?? '(none)'
    rows.push(
      status === 'Active'
        ? { name: `${fn.name} is active`, ok: true, detail: `status ${status}` }
        : {
            name: `${fn.name} is active`,
            ok: false,
            detail: `status ${status}${detail?.StatusReasons?.length ? `: ${JSON.stringify(detail.StatusReasons).slice(0, 200)}` : ''}`,
            fix: 'See the function in the console (its status reason), then npm run deploy again.',
          },
    )
    rows.push(await codeRow(manager, fn, options.download))
    const have = (detail?.Triggers ?? []).map((t) => t.TriggerName ?? t.Name)
    const missing = fn.triggers.filter((t) => !have.includes(t))
    if (fn.triggers.length) {
      rows.push(
        missing.length === 0
          ? { name: `${fn.name} triggers`, ok: true, detail: fn.triggers.join(', ') }
          : {
              name: `${fn.name} triggers`,
              ok: false,
              detail: `missing ${missing.join(', ')}`,
              fix: 'npm run deploy creates them from cloudbaserc.json; from devtools, right-click config.json → 上传触发器.',
            },
      )
    }
  }
  if (expected.service) rows.push(await serviceRow(manager, expected.service))
  return rows
}

async function codeRow(manager: ManagerLike, fn: Expected['functions'][number], download?: (url: string) => Promise<Buffer>): Promise<Row> {
  const name = `${fn.name} code`
  try {
    const code = await deployedIndex(manager, fn.name, download)
    const want = sha(fn.index)
    if (code === undefined) return { name, ok: false, detail: 'the code package has no index.js', fix: 'npm run deploy again.' }
    return sha(code) === want
      ? { name, ok: true, detail: `index.js is the committed bundle (sha256 ${want.slice(0, 12)})` }
      : { name, ok: false, detail: `index.js (sha256 ${sha(code).slice(0, 12)}) is not the committed bundle (${want.slice(0, 12)})`, fix: 'npm run deploy again.' }
  } catch (err) {
    return { name, ok: false, detail: `could not be read: ${message(err)}`, fix: 'npm run deploy again.' }
  }
}

async function serviceRow(manager: ManagerLike, service: NonNullable<Expected['service']>): Promise<Row> {
  const name = `HTTP access /${service.path}`
  try {
    const { APISet } = await manager.access.getAccessList({ path: `/${service.path}` })
    const bound = APISet.find((a) => a.Path === `/${service.path}`)
    if (bound === undefined) return { name, ok: false, detail: 'no such path', fix: `npx tcb service create -p ${service.path} -f ${service.name}` }
    return bound.Name === service.name
      ? { name, ok: true, detail: `bound to ${service.name}` }
      : { name, ok: false, detail: `bound to ${bound.Name}, not ${service.name}`, fix: `Bind /${service.path} to ${service.name} in the console (HTTP 访问服务).` }
  } catch (err) {
    return { name, ok: false, detail: `could not be read: ${message(err)}`, fix: 'Check the network and the credentials, then npm run deploy again.' }
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
/** Whatever was thrown, as a line: manager-node's CloudBaseError can carry its message as an object. */
function message(err: unknown): string {
  let m: unknown = err
  for (let i = 0; i < 3 && typeof m === 'object' && m !== null && 'message' in m; i++) m = (m as { message: unknown }).message
  return (typeof m === 'string' ? m : String(m)).slice(0, 200)
}
