import { mapPool } from '../common/pool'
import type { Order, PrintHtmlAs, PrintHtmlFile, Warning } from '../types'
import type { LabelSize } from '../decode/decode'

export type SaveLabel = (html: string) => Promise<PrintHtmlFile>

/** callFunction refuses results over 1 MB (-604001); keep a margin for the envelope. */
export const RESULT_LIMIT_BYTES = 1024 * 1024 - 16 * 1024

export interface Labelled {
  order: Order
  warnings: Warning[]
}

/**
 * Uploads in flight at once for one invocation. Storing a label is about six storage and database
 * round trips of tens of ms each, so a batch needs many at once to store hundreds in seconds.
 */
export const STORAGE_CONCURRENCY = 48

/** Items whose label could not be stored, with why; every other item is as asked. */
export type FailedDeliveries = Map<Labelled, unknown>

/**
 * Turns decoded labels into what the caller asked for: files for `'file'`, and for `'text'` files
 * only for the largest labels, until the whole result fits under the callFunction limit. Uploads
 * run `concurrency` at a time. A label that cannot be stored fails its item only: it is returned,
 * and the caller decides (a single order fails; a batch item fails alone). `measure` gives the
 * result's size in bytes as it would be sent. Whether the answer then fits is `assertFits`.
 */
export async function deliverLabels(
  items: Labelled[],
  mode: PrintHtmlAs,
  deps: { save: SaveLabel | undefined; measure: () => number; limitBytes?: number; concurrency?: number; single?: boolean; exactJson?: (item: Labelled) => number | undefined },
): Promise<FailedDeliveries> {
  const failed: FailedDeliveries = new Map()
  const withLabel = mode === 'none' ? [] : items.filter((i) => i.order.printHtml !== null)
  const limit = deps.limitBytes ?? RESULT_LIMIT_BYTES
  let toStore: Labelled[] = []
  if (mode === 'file') toStore = withLabel
  else if (mode === 'text' && withLabel.length > 0 && limit !== Infinity && !(deps.single === true && fitsByBound(items[0]!, limit))) {
    // Measured once; then each label chosen, largest first, is counted as replaced by a file.
    let size = deps.measure()
    for (const item of [...withLabel].sort((a, b) => b.order.printHtml!.length - a.order.printHtml!.length)) {
      if (size <= limit) break
      toStore.push(item)
      size += FILE_ENTRY_BYTES - (deps.exactJson?.(item) ?? jsonBytes(item.order.printHtml))
    }
  }
  await saveAll(toStore, deps.save, deps.concurrency ?? STORAGE_CONCURRENCY, failed, mode === 'text')
  return failed
}

/** Stores labels, `concurrency` at a time; each one stored becomes `printHtmlFile`, each failure is recorded. */
export async function saveAll(items: Labelled[], save: SaveLabel | undefined, concurrency: number, failed: FailedDeliveries, offloaded = false): Promise<void> {
  if (items.length === 0) return
  if (save === undefined) {
    for (const item of items) failed.set(item, new NoStorageError())
    return
  }
  await mapPool(items, concurrency, async (item) => {
    try {
      await toFile(item, save)
      if (offloaded) item.warnings.push({ code: 'PRINT_HTML_OFFLOADED', message: OFFLOADED_MESSAGE })
    } catch (err) {
      failed.set(item, err)
    }
  })
}

/**
 * Throws `ResultTooLargeError` when the answer would pass the limit. A single order's answer
 * (`single`) whose label and waybill data provably fit is not measured at all; anything else is
 * measured once.
 */
export function assertFits(single: Labelled | undefined, measure: () => number, limitBytes: number = RESULT_LIMIT_BYTES, size?: LabelSize): void {
  if (limitBytes === Infinity) return
  if (single !== undefined && fitsByBound(single, limitBytes, size)) return
  const bytes = measure()
  if (bytes > limitBytes) throw new ResultTooLargeError(bytes, limitBytes)
}

/** A proven upper bound of a single order's answer fits: see `waybillBound` and `labelJsonBound`. */
export function fitsByBound(item: Labelled, limit: number, size?: LabelSize): boolean {
  return labelJsonBound(item.order, size) + waybillBound(item) + 64 * 1024 <= limit
}

/**
 * An upper bound of the bytes the order's label takes as a JSON string: exact when the decode
 * counted them; else JSON at most doubles a label, plus its quotes (a label holds no control
 * character but tab, CR and LF, which escape to two bytes, as quotes and backslashes do, and no
 * lone surrogate), from the UTF-8 size the decode knew or one measured now.
 */
export function labelJsonBound(order: Order, size?: LabelSize): number {
  if (order.printHtml === null) return 0
  if (size?.jsonBytes !== undefined) return size.jsonBytes
  return 2 * (size?.utf8Bytes ?? Buffer.byteLength(order.printHtml)) + 2
}

const OFFLOADED_MESSAGE = 'The label was too large to return inline under the 1 MB callFunction limit, so it was stored as a file: see printHtmlFile.'
/** What a stored label adds in place of its text: printHtmlFile's JSON and the warning, generously. */
const FILE_ENTRY_BYTES = 1024

/** The answer would not fit under the limit even with every label stored as a file. */
export class ResultTooLargeError extends Error {
  override readonly name = 'ResultTooLargeError'
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`The answer would be ${bytes} bytes even with every label stored as a file, over the ${limit}-byte limit of callFunction.`)
  }
}

/**
 * An upper bound of the JSON bytes of an order's waybill data: a UTF-16 unit never takes more than
 * 6 bytes in JSON (`\\uXXXX`), an entry adds at most 32 bytes of quotes, colons, commas and the
 * list's `{"key":,"value":}`, the data appears twice (`waybillData` and `waybillDataList`), and the
 * two empty containers are 4 bytes. Field names and the rest of the answer are the caller's margin.
 */
export function waybillBound(item: Labelled): number {
  let units = 0
  for (const e of item.order.waybillDataList) units += e.key.length + e.value.length
  return 4 + 2 * (6 * units + 32 * item.order.waybillDataList.length)
}

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8')
}

async function toFile(item: Labelled, save: SaveLabel): Promise<void> {
  const { order } = item
  order.printHtmlFile = await save(order.printHtml!)
  order.printHtml = null
}

export class NoStorageError extends Error {
  override readonly name = 'NoStorageError'
  constructor() {
    super('No label storage is configured, so the label cannot be returned as a file.')
  }
}
