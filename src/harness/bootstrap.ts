import { spawn } from 'child_process'
import * as path from 'path'
import type { Result } from '../types'

export const RESULT_MARK = '返回结果：'

/** The CloudBase CLI's own Node runtime bootstrap, as shipped in @cloudbase/cli. */
export function bootstrapPath(): string {
  return path.join(path.dirname(require.resolve('@cloudbase/cli/package.json')), 'runtime', 'nodejs', 'bootstrap.js')
}

/** A caller as the platform describes it to a function. */
export interface PlatformCaller {
  openid?: string
  appid?: string
  /** the source chain, e.g. `wx_client,scf`; default `wx_client` with an openid, else `scf` */
  source?: string
  fromOpenid?: string
  fromAppid?: string
}

/**
 * How the platform tells a function who called it: `cloud.getWXContext()` reads the variables
 * named in WX_CONTEXT_KEYS (dropping the WX_ prefix) and SOURCE from TCB_SOURCE.
 */
export function identityEnv(caller: PlatformCaller): Record<string, string> {
  const env: Record<string, string> = {}
  const keys: string[] = []
  const put = (key: string, value: string | undefined) => {
    if (value === undefined) return
    keys.push(key)
    env[key] = value
  }
  put('WX_OPENID', caller.openid)
  put('WX_APPID', caller.appid)
  put('WX_FROM_OPENID', caller.fromOpenid)
  put('WX_FROM_APPID', caller.fromAppid)
  if (keys.length) env.WX_CONTEXT_KEYS = keys.join(',')
  env.TCB_SOURCE = caller.source ?? (caller.openid !== undefined ? 'wx_client' : 'scf')
  return env
}

export interface BootstrapRun {
  /** the function's answer, parsed from what the runtime printed after 返回结果： */
  result: Result | undefined
  stdout: string
  stderr: string
  exitCode: number | null
  /** JSON log lines the function wrote */
  logs: Record<string, unknown>[]
  ms: number
}

/**
 * Invokes a function folder once under the CLI's runtime bootstrap, in a child process, exactly
 * as `tcb fn run` would offline. `env` is added to a clean environment (PATH and HOME kept), so
 * nothing of the caller's shell leaks in.
 */
export function runUnderBootstrap(options: {
  functionDir: string
  event: unknown
  env?: Record<string, string>
  /** the function's timeout in seconds, as the runtime takes it */
  timeoutSec?: number
  /** kill the child after this many ms (default: the timeout plus 10 s) */
  killAfterMs?: number
  /** the Node binary to run the runtime with (default: this one) */
  nodeBin?: string
}): Promise<BootstrapRun> {
  const timeoutSec = options.timeoutSec ?? 3
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    SCF_FUNCTION_HANDLER: 'index.main',
    SCF_FUNCTION_NAME: 'getOrder',
    GLOBAL_USER_FILE_PATH: `${path.resolve(options.functionDir)}${path.sep}`,
    SCF_EVENT_BODY: JSON.stringify(options.event),
    SCF_FUNCTION_TIMEOUT: String(timeoutSec),
    ...options.env,
  }
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(options.nodeBin ?? process.execPath, [bootstrapPath()], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? timeoutSec * 1000 + 10000)
    child.on('error', (err) => {
      clearTimeout(killer)
      reject(err)
    })
    child.on('close', (exitCode) => {
      clearTimeout(killer)
      resolve({ result: parseResult(stdout), stdout, stderr, exitCode, logs: jsonLines(stdout + stderr), ms: Date.now() - started })
    })
  })
}

export function parseResult(stdout: string): Result | undefined {
  const at = stdout.lastIndexOf(`${RESULT_MARK}\n`)
  if (at < 0) return undefined
  const line = stdout.slice(at + RESULT_MARK.length + 1).split('\n')[0]
  try {
    return JSON.parse(line ?? '') as Result
  } catch {
    return undefined
  }
}

function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"level"')) continue
    try {
      out.push(JSON.parse(line))
    } catch {
      // not one of ours
    }
  }
  return out
}
