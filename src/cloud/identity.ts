import { callerIdentity, type CallerIdentity } from '../access/identity'
import { wxContextOf } from '../config/identity'
import type { Env } from '../config/variables'
import type { InvocationContext } from '../types'

/** The caller as the platform describes this invocation (config/identity.ts says where from). */
export function platformIdentity(sdk: { getWXContext(): unknown }, env: Env, context?: InvocationContext): CallerIdentity {
  return callerIdentity(wxContextOf(env, context, () => sdk.getWXContext()))
}
