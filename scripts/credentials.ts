// Which Tencent Cloud credentials the deploy, the doctor and `npm start -- --live` use, chosen as
// the CloudBase CLI chooses: a stored `tcb login` first, the API key in the environment otherwise.
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'

export interface Credentials {
  secretId: string
  secretKey: string
  /** the session token of a `tcb login` (temporary keys) */
  token?: string
  from: 'cli-login' | 'api-key'
  /** who this is, masked: the account's uin for a login, the key id for an API key */
  account: string
  /** ms since the epoch when temporary keys stop working */
  expiresAt?: number
}

export type CredentialsResult = { ok: true; credentials: Credentials } | { ok: false; problem: string }

/**
 * Where the CLI keeps its login: `~/.config/.cloudbase/auth.json` (the temporary directory when
 * the home directory is not writable), as @cloudbase/cli's LocalStore 'auth' does.
 */
export function cliAuthFile(home: string = os.homedir()): string {
  const base = home && isWritable(home) ? path.join(home, '.config') : path.join(os.tmpdir(), '.config')
  return path.join(base, '.cloudbase', 'auth.json')
}

/**
 * The CLI's own order (`getCredentialData`: `resolveCredential(localData) || cloudCredentail`): a
 * stored login wins over TENCENTCLOUD_SECRETID/SECRETKEY, so what we print is what the CLI uses.
 */
export function resolveCredentials(env: NodeJS.ProcessEnv = process.env, authFile: string = cliAuthFile(), now: number = Date.now()): CredentialsResult {
  const login = readLogin(authFile)
  if (login !== undefined) {
    if (login.expiresAt !== undefined && login.expiresAt <= now) {
      return {
        ok: false,
        problem: `The CloudBase CLI login (${login.account}) has expired: run npx tcb login again (the CLI uses a stored login before TENCENTCLOUD_SECRETID/SECRETKEY, so it must be current or removed with npx tcb logout).`,
      }
    }
    return { ok: true, credentials: login }
  }
  const secretId = env.TENCENTCLOUD_SECRETID
  const secretKey = env.TENCENTCLOUD_SECRETKEY
  if (secretId && secretKey) {
    return {
      ok: true,
      credentials: { secretId, secretKey, ...(env.TENCENTCLOUD_SESSIONTOKEN ? { token: env.TENCENTCLOUD_SESSIONTOKEN } : {}), from: 'api-key', account: `API key ${maskKeyId(secretId)}` },
    }
  }
  return {
    ok: false,
    problem: 'No Tencent Cloud credentials: run npx tcb login (preferred), or set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY to an API key of the account that owns the environment.',
  }
}

function readLogin(file: string): Credentials | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
  const c = (raw as { credential?: Record<string, unknown> } | null)?.credential
  if (typeof c !== 'object' || c === null) return undefined
  const str = (k: string) => (typeof c[k] === 'string' && c[k] !== '' ? (c[k] as string) : undefined)
  const secretId = str('secretId') ?? str('tmpSecretId')
  const secretKey = str('secretKey') ?? str('tmpSecretKey')
  if (secretId === undefined || secretKey === undefined) return undefined
  const token = str('token') ?? str('tmpToken')
  const expires = Number(c.accessTokenExpired ?? c.tmpExpired)
  const uin = typeof c.uin === 'string' || typeof c.uin === 'number' ? String(c.uin) : undefined
  return {
    secretId,
    secretKey,
    ...(token ? { token } : {}),
    from: 'cli-login',
    account: uin !== undefined ? `account ${maskUin(uin)}` : `key ${maskKeyId(secretId)}`,
    // The CLI stores seconds or milliseconds depending on the login path.
    ...(Number.isFinite(expires) && expires > 0 ? { expiresAt: expires < 1e12 ? expires * 1000 : expires } : {}),
  }
}

/** `1000****23`: enough to tell two accounts apart, not enough to name one. */
export function maskUin(uin: string): string {
  return uin.length <= 5 ? '****' : `${uin.slice(0, 4)}****${uin.slice(-2)}`
}

/** `AKID****wxyz` */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? '****' : `${id.slice(0, 4)}****${id.slice(-4)}`
}

/** One line that says who and where, printed before anything changes. */
export function describeTarget(c: Credentials, envId: string): string {
  const via = c.from === 'cli-login' ? 'the CloudBase CLI login' : 'the API key in TENCENTCLOUD_SECRETID'
  return `${c.account} (${via}), environment ${envId}`
}

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}
