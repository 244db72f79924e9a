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
