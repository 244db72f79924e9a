// `--live`: the deployed function, invoked through the management API (SCF Invoke, as
// `tcb fn invoke` does), so the call runs on the platform with the platform's own credentials.
import type { BootstrapRun } from '../src/harness/bootstrap'
import type { Result } from '../src/types'
import { FUNCTION_NAME } from './artifact'
import { describeTarget, resolveCredentials } from './credentials'
import { type ManagerLike, managerFor } from './doctor/cloudView'

export interface LiveTarget {
  where: string
  invoke(event: unknown): Promise<BootstrapRun>
}

/** What the management API answers, shaped as a harness run: the result, the log tail, the duration. */
export function liveTarget(envId: string | undefined, manager?: (envId: string) => ManagerLike): { ok: true; target: LiveTarget } | { ok: false; problem: string } {
  if (!envId) return { ok: false, problem: '--live needs --env <envId> (or ENV_ID): the CloudBase environment whose deployed getOrder to call.' }
  let where = `environment ${envId}`
  let make = manager
  if (make === undefined) {
    const creds = resolveCredentials()
    if (!creds.ok) return { ok: false, problem: creds.problem }
    where = describeTarget(creds.credentials, envId)
    make = (id) => managerFor(creds.credentials, id)
  }
  const m = make(envId)
  return {
    ok: true,
    target: {
      where: `deployed function in ${where}`,
      async invoke(event) {
        const started = Date.now()
        const res = await m.functions.invokeFunction(FUNCTION_NAME, event as Record<string, unknown>)
        const logs: Record<string, unknown>[] = []
        for (const line of (res.Log ?? '').split('\n')) {
          const at = line.indexOf('{')
          if (at < 0) continue
          try {
            const parsed = JSON.parse(line.slice(at)) as unknown
            if (typeof parsed === 'object' && parsed !== null) logs.push(parsed as Record<string, unknown>)
          } catch {
            // the runtime's own lines
          }
        }
        let result: Result | undefined
        try {
          result = JSON.parse(res.RetMsg) as Result
        } catch {
          result = undefined
        }
        return { result, stdout: res.RetMsg ?? '', stderr: res.ErrMsg ?? '', exitCode: res.ErrMsg ? 1 : 0, logs, ms: Number(res.Duration) || Date.now() - started }
      },
    },
  }
}
