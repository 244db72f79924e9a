/**
 * Every variable the function's settings are read from, in the order the README's configuration
 * table lists them (a test holds the two to the same list). `secret`: never quoted back, and the
 * doctor compares it without showing it.
 */
export const VARIABLES = [
  { name: 'ADMIN_OPENIDS', group: 'access' },
  { name: 'ACCESS_POLICY', group: 'access' },
  { name: 'ORDER_OWNERS_COLLECTION', group: 'access' },
  { name: 'TRUST_SERVER_CALLERS', group: 'access' },
  { name: 'TRUSTED_SOURCES', group: 'access' },
  { name: 'TRUSTED_FROM_APPIDS', group: 'access' },
  { name: 'WX_TRANSPORT', group: 'transport' },
  { name: 'WX_API_BASE', group: 'transport' },
  { name: 'WX_APPID', group: 'https' },
  { name: 'WX_APPSECRET', group: 'https', secret: true },
  { name: 'WX_COMPONENT_APPID', group: 'component' },
  { name: 'WX_COMPONENT_APPSECRET', group: 'component', secret: true },
  { name: 'WX_COMPONENT_TOKEN', group: 'component', secret: true },
  { name: 'WX_COMPONENT_AES_KEY', group: 'component', secret: true },
  { name: 'WX_COMPONENT_AES_KEY_PREVIOUS', group: 'component', secret: true },
  { name: 'TOKEN_STORE_KEY', group: 'component', secret: true },
  { name: 'COMPONENT_STORE_COLLECTION', group: 'component' },
  { name: 'AUTHORIZER_APPIDS', group: 'component' },
  { name: 'BATCH_CONCURRENCY', group: 'tuning' },
  { name: 'STORAGE_CONCURRENCY', group: 'tuning' },
  { name: 'BATCH_MAX_LABEL_KB', group: 'tuning' },
  { name: 'LABEL_TTL_HOURS', group: 'labels' },
  { name: 'LABEL_RECORDS_COLLECTION', group: 'labels' },
  { name: 'LABEL_OWNER_SECRET', group: 'labels', secret: true },
  { name: 'DOCTOR_COLLECTION', group: 'doctor' },
] as const satisfies readonly { name: string; group: string; secret?: true }[]

/** What the platform sets and the function reads (never an operator's setting). */
export const PLATFORM_VARIABLES = ['TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY', '_SCF_TCB_LOG'] as const

export type VariableName = (typeof VARIABLES)[number]['name'] | (typeof PLATFORM_VARIABLES)[number]

/** The environment as read: each variable once. */
export type Snapshot = Partial<Record<VariableName, string>>

/** The environment the settings come from: `process.env` in the function, a deployment's variables in the doctor. */
export type Env = Readonly<Record<string, string | undefined>>

export const ALL_NAMES: readonly VariableName[] = [...VARIABLES.map((v) => v.name), ...PLATFORM_VARIABLES]

/** Names whose values are secrets. */
export const SECRET_NAMES: ReadonlySet<string> = new Set(VARIABLES.filter((v) => 'secret' in v).map((v) => v.name))

/** Reads every variable once: each `process.env` read is a native lookup. */
export function snapshot(env: Env): Snapshot {
  const s: Snapshot = {}
  for (const name of ALL_NAMES) {
    const v = env[name]
    if (v !== undefined) s[name] = v
  }
  return s
}

/** A value as set, with '' as unset (the console saves a cleared field as ''). */
export function given(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
