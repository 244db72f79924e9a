import { cloudOrderOwners, type OrderOwners } from '../access/owners'
import { cloudTickets } from '../access/tickets'
import { type Clock, systemClock } from '../clock/budget'
import type { Config } from '../config/read'
import type { Env } from '../config/variables'
import { createPurgeHandler } from '../core/purge'
import type { TimerEvent } from '../event/timer'
import type { Logger } from '../log/logger'
import { TRANSPORTS } from '../registry'
import type { CommonDeps, Wired, WxServerSdk } from '../registry/types'
import type { InvocationContext, PurgeResult, SettingProblem } from '../types'
import { platformIdentity } from './identity'
import { cloudLabelStorage } from './storage'

/** One configuration wired: the purge, and the chosen transport's handlers or why it cannot run. */
export interface Wiring {
  purge(event: TimerEvent, context?: InvocationContext): Promise<PurgeResult>
  transport: ({ ok: true } & Wired) | { ok: false; problems: SettingProblem[] }
}

/**
 * Builds what one configuration serves with: the SDK initialised for the platform's time limit
 * (its own timeout, 15 s by default, must never be what ends a call), label storage in the
 * environment's cloud storage whatever the transport, and the transport from the registry.
 */
export function wire(sdk: WxServerSdk, env: Env, config: Config, limitMs: number, options: { clock?: Clock; logger: Logger }): Wiring {
  const { inCloud } = config.platform
  if (inCloud) sdk.init({ env: sdk.DYNAMIC_CURRENT_ENV, timeout: limitMs })
  const clock = options.clock
  const storage = inCloud ? cloudLabelStorage(sdk, config.labels, clock) : undefined
  const caller = (context?: InvocationContext) => platformIdentity(sdk, env, context)
  // The ownership records live in the environment's database; off the cloud the real SDK's
  // database fails with an unhandled rejection, so there are none there.
  let owners: { collection: string; records: OrderOwners } | undefined
  const common: CommonDeps = {
    caller,
    access: () => ({ ok: true, value: config.access }),
    owners: (collection) => {
      if (collection === undefined || !inCloud) return undefined
      if (owners?.collection !== collection) owners = { collection, records: cloudOrderOwners(sdk.database(), collection) }
      return owners.records
    },
    logger: options.logger,
    ...(config.tuning.batchConcurrency !== undefined ? { batchConcurrency: config.tuning.batchConcurrency } : {}),
    ...(config.tuning.storageConcurrency !== undefined ? { storageConcurrency: config.tuning.storageConcurrency } : {}),
    ...(config.tuning.batchMaxLabelChars !== undefined ? { batchMaxLabelChars: config.tuning.batchMaxLabelChars } : {}),
    ...(storage ? { storage } : {}),
    ...(clock ? { clock } : {}),
    ...(inCloud ? { tickets: cloudTickets(sdk.database(), config.doctor.collection, clock ?? systemClock) } : {}),
  }
  const purge = createPurgeHandler({ caller, logger: options.logger, ...(storage ? { storage } : {}), ...(clock ? { clock } : {}) })
  const entry = TRANSPORTS[config.transport.name]
  if (entry.needsCloud !== undefined && !inCloud) return { purge, transport: { ok: false, problems: [{ variable: 'TENCENTCLOUD_SECRETID', ...entry.needsCloud }] } }
  // Each entry builds from its own choice: the lookup by name keeps the two in step.
  const built = (entry.build as (choice: Config['transport'], sdk: WxServerSdk, common: CommonDeps) => Wired)(config.transport, sdk, common)
  return { purge, transport: { ok: true, ...built } }
}
