import { randomBytes } from 'crypto'
import { UpstreamError } from '../errors/upstream'
import type { PrintHtmlFile } from '../types'
import { ownerKey, sha256, type StoreContext } from './context'
import type { LabelRecord } from './records'
import type { LabelOwner, LabelSession } from './types'

/**
 * The longest a temporary URL is issued for: the platform documents a default of one day
 * (`maxAge` "有效期时长,单位秒,默认86400":
 * developers.weixin.qq.com/minigame/dev/wxcloudrun/src/development/storage/h5/gettempurl.html).
 */
export const MAX_TEMP_URL_SECONDS = 86_400

type Entry = { record: LabelRecord; written: Promise<unknown>; finished: boolean; dropped: boolean }

/** One session's state: what it wrote, and whether it is closed. */
interface SessionState {
  caller: LabelOwner
  created: Entry[]
  /** a save abandoned at the deadline goes on in the background; once closed, it must not start writing what nothing would delete */
  closed: boolean
  owner?: Promise<string>
}

/** The labels of one invocation, stored for `caller`. */
export function openSession(ctx: StoreContext, caller: LabelOwner): LabelSession {
  const memo = new Map<string, Promise<PrintHtmlFile>>()
  const state: SessionState = { caller, created: [], closed: false }
  return {
    get stored() {
      return state.created.length
    },
    save(html) {
      const bytes = Buffer.from(html, 'utf8')
      const now = ctx.clock.now()
      const bucket = Math.floor(now / ctx.half)
      const hash = sha256(bytes).slice(0, 40)
      // Identical labels within one invocation are stored once.
      const memoKey = `${bucket}/${hash}`
      let saved = memo.get(memoKey)
      if (saved === undefined) {
        saved = storeLabel(ctx, state, bucket, hash, bytes, now)
        memo.set(memoKey, saved)
      }
      return saved
    },
    rollback() {
      return this.settle(new Set())
    },
    async settle(keep) {
      state.closed = true
      // Split before anything is awaited: a write may end while the first deletions run.
      const finished = state.created.filter((c) => c.finished)
      const unfinished = state.created.filter((c) => !c.finished)
      const [first] = await Promise.all([drop(ctx, finished, keep), markKept(ctx, finished, keep)])
      if (unfinished.length === 0) return first
      // Writes still under way are waited for and dropped too: the platform may freeze the
      // instance the moment the answer is out, and what is written after that stays until
      // the purge. The caller bounds this wait by the cleanup deadline; past it, this goes
      // on in the background and drops each write as it ends.
      await Promise.allSettled(unfinished.map((c) => c.written))
      const second = await drop(ctx, unfinished, keep)
      return { deleted: first.deleted + second.deleted, left: first.left + second.left }
    },
  }
}

/** Reuses a kept file of the same content, owner and bucket (or the previous one, with a quarter of the TTL left), or writes a new one. */
async function storeLabel(ctx: StoreContext, state: SessionState, bucket: number, hash: string, bytes: Buffer, now: number): Promise<PrintHtmlFile> {
  const who = await (state.owner ??= ctx.ownerSecret().then((key) => ownerKey(state.caller, key)))
  const key = ctx.contentKey(who, bucket, hash)
  const found = await ctx.lookup([key, ctx.contentKey(who, bucket - 1, hash)])
  const life = (r: LabelRecord) => r.expiresAt - now
  const existing = found.filter((r) => r.kept && r.fileID !== null && life(r) >= (r.key === key ? 1 : ctx.ttlMs / 4)).sort((a, b) => b.expiresAt - a.expiresAt)[0]
  let fileID: string
  let expiresAt: number
  if (existing !== undefined) {
    fileID = existing.fileID!
    expiresAt = existing.expiresAt
  } else {
    if (state.closed) throw new UpstreamError('timeout', "Label storage did not answer inside the function's time budget.")
    expiresAt = (bucket + 2) * ctx.half
    fileID = await write(ctx, state, { who, key, bucket, hash, bytes, now, expiresAt })
  }
  const maxAgeSec = Math.max(1, Math.min(MAX_TEMP_URL_SECONDS, Math.floor((expiresAt - ctx.clock.now()) / 1000)))
  const tempFileURL = await ctx.files.tempUrl(fileID, maxAgeSec)
  return { fileID, tempFileURL, bytes: bytes.length, expiresAt: new Date(expiresAt).toISOString() }
}

/** A new file at a path of its own, recorded before it is written. */
function write(ctx: StoreContext, state: SessionState, f: { who: string; key: string; bucket: number; hash: string; bytes: Buffer; now: number; expiresAt: number }): Promise<string> {
  const id = randomBytes(16).toString('hex')
  const cloudPath = `waybills/${f.who}/${ctx.ttlTag}-${f.bucket}/${f.hash}-${id.slice(0, 12)}.html`
  const prefix = ctx.prefix()
  // The record comes first, so no file is ever written that the purge cannot find; the
  // write is registered before it starts, so a rollback waits for it.
  const record: LabelRecord = {
    _id: id,
    key: f.key,
    cloudPath,
    fileID: prefix === undefined ? null : prefix + cloudPath,
    owner: f.who,
    expiresAt: f.expiresAt,
    createdAt: f.now,
    bytes: f.bytes.length,
    kept: false,
  }
  const written = (async () => {
    await ctx.records.put(record)
    const uploaded = await ctx.files.upload(cloudPath, f.bytes)
    ctx.learn(uploaded, cloudPath)
    if (record.fileID !== uploaded) {
      record.fileID = uploaded
      await ctx.records.put(record)
    }
    return uploaded
  })()
  const entry: Entry = { record, written, finished: false, dropped: false }
  state.created.push(entry)
  written.then(
    () => (entry.finished = true),
    () => (entry.finished = true),
  )
  return written
}

/** Records the files an answer points to as kept; a failure only means they are not reused. */
async function markKept(ctx: StoreContext, entries: Entry[], keep: ReadonlySet<string>): Promise<void> {
  const kept = entries.filter((c) => c.record.fileID !== null && keep.has(c.record.fileID))
  try {
    await ctx.records.markKept(kept.map((c) => c.record._id))
  } catch {
    // The file still lives its TTL and the purge still finds it; it is just not shared.
  }
}

/** Deletes the files (and records) of finished writes that `keep` does not name. */
async function drop(ctx: StoreContext, entries: Entry[], keep: ReadonlySet<string>): Promise<{ deleted: number; left: number }> {
  const dropped = entries.filter((c) => !c.dropped && (c.record.fileID === null || !keep.has(c.record.fileID)))
  for (const c of dropped) c.dropped = true
  if (dropped.length === 0) return { deleted: 0, left: 0 }
  const named = dropped.filter((c) => c.record.fileID !== null)
  const { deleted } = await ctx.files.remove(named.map((c) => c.record.fileID!))
  const gone = new Set(deleted)
  const done = named.filter((c) => gone.has(c.record.fileID!)).map((c) => c.record._id)
  try {
    await ctx.records.remove(done)
  } catch {
    // The files are gone; the purge removes these records when they expire.
  }
  const left = dropped.filter((c) => !done.includes(c.record._id))
  const now = ctx.clock.now()
  await Promise.allSettled(left.map((c) => ctx.records.put({ ...c.record, expiresAt: now })))
  return { deleted: done.length, left: left.length }
}
