import type { AccessConfig } from '../access/policy'
import type { LabelSettings } from '../label/settings'
import type { SettingProblem, Settings } from '../types'
import { readAccess } from './access'
import { readLabels } from './labels'
import { COLLECTION_NAME, Problems, problem } from './problems'
import { DEFAULT_DOCTOR_COLLECTION } from '../access/tickets'
import { type ComponentSettings, readComponent, readTransport, type TransportChoice } from './transports'
import { readTuning, type Tuning } from './tuning'
import { type Env, given, type Snapshot, snapshot } from './variables'

/** Everything the function is configured by, read and checked. */
export interface Config {
  access: AccessConfig
  labels: LabelSettings
  transport: TransportChoice
  tuning: Tuning
  /** DOCTOR_COLLECTION: where the doctor writes its one-time self-test tickets */
  doctor: { collection: string }
  /** values that were ignored (the default holds); the function serves, the doctor fails the row */
  ignored: SettingProblem[]
  platform: {
    /** TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY are set: the real SDK can reach CloudBase */
    inCloud: boolean
    /** _SCF_TCB_LOG=1: the platform's logger is there */
    cloudLog: boolean
  }
}

/**
 * The function's settings from its environment: every problem at once, each naming its variable
 * and never quoting a secret.
 *
 * @example
 * const read = readConfig(process.env)
 * if (!read.ok) for (const p of read.problems) console.error(`${p.variable}: ${p.message} ${p.hint}`)
 */
export function readConfig(env: Env): Settings<Config> {
  return parse(snapshot(env))
}

export function parse(s: Snapshot): Settings<Config> {
  const problems = new Problems()
  const access = problems.take(readAccess(s))
  const labels = problems.take(readLabels(s))
  const transport = problems.take(readTransport(s))
  const tuning = readTuning(s)
  const doctor = given(s.DOCTOR_COLLECTION) ?? DEFAULT_DOCTOR_COLLECTION
  if (!COLLECTION_NAME.test(doctor))
    problems.add(
      problem('DOCTOR_COLLECTION', 'DOCTOR_COLLECTION is not a collection name.', `Use letters, digits, _ and -, starting with a letter (default ${DEFAULT_DOCTOR_COLLECTION}), or remove it.`),
    )
  return problems.settle(() => ({
    access: access!,
    labels: labels!,
    transport: transport!,
    tuning: tuning.value,
    doctor: { collection: doctor },
    ignored: tuning.ignored,
    platform: platformOf(s),
  }))
}

/** What the platform set: CloudBase credentials, and its logger. */
export function readPlatform(env: Env): Config['platform'] {
  return platformOf(snapshot(env))
}

function platformOf(s: Snapshot): Config['platform'] {
  return { inCloud: given(s.TENCENTCLOUD_SECRETID) !== undefined && given(s.TENCENTCLOUD_SECRETKEY) !== undefined, cloudLog: s._SCF_TCB_LOG === '1' }
}

/** The third-party platform's settings alone, for the push receiver (wxComponent). */
export function readComponentConfig(env: Env): Settings<ComponentSettings> {
  return readComponent(snapshot(env))
}

/**
 * The access rules' settings alone (ADMIN_OPENIDS, ACCESS_POLICY, …), for a library handler whose
 * callers the platform names.
 *
 * @example
 * const handler = createGetOrderHandler({ transport, caller, access: () => readAccessConfig(process.env) })
 */
export function readAccessConfig(env: Env): Settings<AccessConfig> {
  return readAccess(snapshot(env))
}
