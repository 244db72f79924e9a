import { spawn } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import type { Result } from '../types'

export const RESULT_MARK = '返回结果：'

/** The CloudBase CLI's own Node runtime bootstrap, as shipped in @cloudbase/cli. */
export function bootstrapPath(): string {
  return path.join(path.dirname(require.resolve('@cloudbase/cli/package.json')), 'runtime', 'nodejs', 'bootstrap.js')
}

export { identityEnv, type PlatformCaller } from './identity'

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
 * as `tcb fn run` would offline, the event on the runtime's stdin (any size). `env` is added to a clean environment (PATH and HOME kept), so
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
    DOCKER_USE_STDIN: '1',
    SCF_FUNCTION_TIMEOUT: String(timeoutSec),
    ...options.env,
  }
  delete env.SCF_EVENT_BODY
  const started = Date.now()
  // The event goes in on stdin, which the runtime reads with DOCKER_USE_STDIN, and the output
  // comes back through files: an environment variable is capped at 128 KiB (a 1000-order batch
  // with long ids is more: spawn E2BIG); the runtime reads /dev/stdin at once, before a pipe may be
  // filled; and it exits right after printing, which cuts a large answer written to a pipe.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-run-'))
  const file = (name: string) => path.join(dir, name)
  fs.writeFileSync(file('event.json'), JSON.stringify(options.event))
  const fds = [fs.openSync(file('event.json'), 'r'), fs.openSync(file('stdout'), 'w'), fs.openSync(file('stderr'), 'w')] as const
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true })
  return new Promise<BootstrapRun>((resolve, reject) => {
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(options.nodeBin ?? process.execPath, [bootstrapPath()], { env, stdio: [...fds] })
    } finally {
      for (const fd of fds) fs.closeSync(fd)
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? timeoutSec * 1000 + 10000)
    child.on('error', (err) => {
      clearTimeout(killer)
      reject(err)
    })
    child.on('close', (exitCode) => {
      clearTimeout(killer)
      const stdout = fs.readFileSync(file('stdout'), 'utf8')
      const stderr = fs.readFileSync(file('stderr'), 'utf8')
      resolve({ result: parseResult(stdout), stdout, stderr, exitCode, logs: jsonLines(stdout + stderr), ms: Date.now() - started })
    })
  }).finally(cleanup)
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
