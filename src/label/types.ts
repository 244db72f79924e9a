import type { PrintHtmlFile, PurgeNote, PurgeReport, SelfTestCheck } from '../types'

/** Who a session stores for: the caller's OPENID when there is one, else its role. */
export interface LabelOwner {
  openid?: string
  role: string
}

/**
 * Where labels go when they travel as files, and how they leave again. A label is personal data
 * (names, phones, addresses): every stored file is recorded before it is written, lives at most
 * the TTL, and is deleted by the purge after that.
 */
export interface LabelStorage {
  readonly ttlMs: number
  /** the labels of one invocation, stored for `owner` (kept as a keyed hash, see `ownerKey`) */
  session(owner: LabelOwner): LabelSession
  /** deletes expired files and their records until `deadline` (ms since the epoch) */
  purge(deadline: number): Promise<PurgeReport>
  /**
   * The deployment self-test's storage rows: the records collection answers a read, and a file of
   * its own goes through write → temporary URL → delete. Nothing is left behind that it wrote.
   */
  selfCheck(): Promise<SelfTestCheck[]>
  /** keeps a purge run's (or a refused timer event's) outcome where the doctor reads it */
  notePurge(note: PurgeNote): Promise<void>
  /** the last purge recorded, or null */
  lastPurge(): Promise<PurgeNote | null>
}

export interface LabelSession {
  /** stores the label, or reuses a kept copy stored for the same owner while it has life left */
  save(html: string): Promise<PrintHtmlFile>
  /**
   * Closes the session: the files `keep` names are marked kept (an answer points to them), and
   * every other file the session stored is deleted. Paths are the session's own, so nothing else
   * can point to them; reused files are never deleted. What cannot be deleted is marked expired,
   * so the next purge takes it. `rollback()` is `settle(new Set())`.
   */
  settle(keep: ReadonlySet<string>): Promise<{ deleted: number; left: number }>
  rollback(): Promise<{ deleted: number; left: number }>
  /** files this session stored, reused ones not counted */
  readonly stored: number
}
