import { DEFAULT_LABEL_TTL_HOURS, DEFAULT_RECORDS_COLLECTION, type LabelSettings, MAX_LABEL_TTL_HOURS, MIN_LABEL_TTL_HOURS } from '../label/settings'
import type { Settings } from '../types'
import { COLLECTION_NAME, Problems, problem } from './problems'
import { given, type Snapshot } from './variables'

/** A keyed hash wants a key that cannot be guessed: 32 characters at least. */
const MIN_SECRET_CHARS = 32

/** LABEL_TTL_HOURS, LABEL_RECORDS_COLLECTION and LABEL_OWNER_SECRET. */
export function readLabels(s: Snapshot): Settings<LabelSettings> {
  const problems = new Problems()
  const rawTtl = given(s.LABEL_TTL_HOURS)
  const hours = rawTtl === undefined ? DEFAULT_LABEL_TTL_HOURS : /^\d+(\.\d+)?$/.test(rawTtl.trim()) ? Number(rawTtl) : Number.NaN
  if (!(hours >= MIN_LABEL_TTL_HOURS && hours <= MAX_LABEL_TTL_HOURS)) {
    problems.add(
      problem(
        'LABEL_TTL_HOURS',
        `LABEL_TTL_HOURS is "${String(rawTtl).slice(0, 40)}", which is not a number of hours from ${MIN_LABEL_TTL_HOURS} to ${MAX_LABEL_TTL_HOURS}.`,
        `Set LABEL_TTL_HOURS to how long a stored label may live, in hours (default ${DEFAULT_LABEL_TTL_HOURS}), or remove it.`,
      ),
    )
  }
  const collection = given(s.LABEL_RECORDS_COLLECTION) ?? DEFAULT_RECORDS_COLLECTION
  if (!COLLECTION_NAME.test(collection)) {
    problems.add(
      problem(
        'LABEL_RECORDS_COLLECTION',
        `LABEL_RECORDS_COLLECTION is "${collection.slice(0, 40)}", which is not a collection name.`,
        `Use letters, digits, _ and -, starting with a letter (default ${DEFAULT_RECORDS_COLLECTION}), or remove it.`,
      ),
    )
  }
  const secret = given(s.LABEL_OWNER_SECRET)
  if (secret !== undefined && secret.length < MIN_SECRET_CHARS) {
    // Never quoted: it is a secret, even a bad one.
    problems.add(
      problem(
        'LABEL_OWNER_SECRET',
        `LABEL_OWNER_SECRET is shorter than ${MIN_SECRET_CHARS} characters.`,
        'Set it to a long random string (e.g. 64 hex digits), or remove it to let the function create and keep one.',
      ),
    )
  }
  return problems.settle(() => ({ ttlMs: Math.round(hours * 3_600_000), collection, ...(secret !== undefined ? { ownerSecret: secret } : {}) }))
}
