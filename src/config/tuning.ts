import type { SettingProblem } from '../types'
import { problem, wholeIn } from './problems'
import type { Snapshot } from './variables'

export interface Tuning {
  /** BATCH_CONCURRENCY: batchGetOrder calls in flight, 1–10; undefined: the handler's default (3) */
  batchConcurrency?: number
  /** STORAGE_CONCURRENCY: label uploads in flight, 1–64; undefined: the default (48) */
  storageConcurrency?: number
  /** BATCH_MAX_LABEL_KB × 1024: the largest batch label, in base64 characters, 16–16384 KB; undefined: the default (5120) */
  batchMaxLabelChars?: number
}

/**
 * BATCH_CONCURRENCY and STORAGE_CONCURRENCY. A value out of range is ignored (the default holds,
 * and the function still serves), but reported: the doctor shows it as a failed row.
 */
export function readTuning(s: Snapshot): { value: Tuning; ignored: SettingProblem[] } {
  const ignored: SettingProblem[] = []
  const batch = wholeIn(s.BATCH_CONCURRENCY, 1, 10)
  if (s.BATCH_CONCURRENCY !== undefined && batch === undefined) {
    ignored.push(problem('BATCH_CONCURRENCY', `BATCH_CONCURRENCY is "${s.BATCH_CONCURRENCY.slice(0, 20)}", which is ignored (1–10).`, 'Remove it or set a whole number from 1 to 10.'))
  }
  const storage = wholeIn(s.STORAGE_CONCURRENCY, 1, 64)
  if (s.STORAGE_CONCURRENCY !== undefined && storage === undefined) {
    ignored.push(problem('STORAGE_CONCURRENCY', `STORAGE_CONCURRENCY is "${s.STORAGE_CONCURRENCY.slice(0, 20)}", which is ignored (1–64).`, 'Remove it or set a whole number from 1 to 64.'))
  }
  const maxLabelKb = wholeIn(s.BATCH_MAX_LABEL_KB, 16, 16384)
  if (s.BATCH_MAX_LABEL_KB !== undefined && maxLabelKb === undefined) {
    ignored.push(problem('BATCH_MAX_LABEL_KB', `BATCH_MAX_LABEL_KB is "${s.BATCH_MAX_LABEL_KB.slice(0, 20)}", which is ignored (16–16384).`, 'Remove it or set a whole number of KB from 16 to 16384.'))
  }
  return {
    value: {
      ...(batch !== undefined ? { batchConcurrency: batch } : {}),
      ...(storage !== undefined ? { storageConcurrency: storage } : {}),
      ...(maxLabelKb !== undefined ? { batchMaxLabelChars: maxLabelKb * 1024 } : {}),
    },
    ignored,
  }
}
