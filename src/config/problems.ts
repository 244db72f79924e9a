import type { SettingProblem, Settings } from '../types'

/** A database collection name, as CloudBase takes it. */
export const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/

export const problem = (variable: string, message: string, hint: string): SettingProblem => ({ variable, message, hint })

/** Collects the problems of several reads; the value only when none had any. */
export class Problems {
  readonly list: SettingProblem[] = []
  /** the read's value, or undefined with its problems kept */
  take<T>(read: Settings<T>): T | undefined {
    if (read.ok) return read.value
    this.list.push(...read.problems)
    return undefined
  }
  add(p: SettingProblem): void {
    this.list.push(p)
  }
  settle<T>(value: () => T): Settings<T> {
    return this.list.length > 0 ? { ok: false, problems: this.list } : { ok: true, value: value() }
  }
}

/** A comma-separated list whose every entry matches `item`. */
export function listOf(raw: string, item: RegExp): { ok: true; list: string[] } | { ok: false; why: string } {
  const parts = raw.split(',').map((s) => s.trim())
  if (parts.length === 1 && parts[0] === '') return { ok: false, why: 'it is empty' }
  const bad = parts.find((p) => !item.test(p))
  if (bad !== undefined) return { ok: false, why: bad === '' ? 'it has an empty entry' : `"${bad.slice(0, 40)}" is not a name` }
  return { ok: true, list: parts }
}

/** A whole number in [min, max], or undefined. */
export function wholeIn(raw: string | undefined, min: number, max: number): number | undefined {
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined
}
