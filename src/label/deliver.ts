import type { Order, PrintHtmlAs, PrintHtmlFile, Warning } from '../types'

export type SaveLabel = (html: string) => Promise<PrintHtmlFile>

/** callFunction refuses results over 1 MB (-604001); keep a margin for the envelope. */
export const RESULT_LIMIT_BYTES = 1024 * 1024 - 16 * 1024

export interface Labelled {
  order: Order
  warnings: Warning[]
}

/**
 * Turns decoded labels into what the caller asked for: files for `'file'`, and for `'text'`
 * files only for the largest labels, until the whole result fits under the callFunction limit.
 * `measure` gives the result's size in bytes as it would be sent. Then the answer must fit:
 * over the limit even with every label a file, it is `ResultTooLargeError`.
 */
export async function deliverLabels(
  items: Labelled[],
  mode: PrintHtmlAs,
  deps: { save: SaveLabel | undefined; measure: () => number; limitBytes?: number },
): Promise<void> {
  const limit = deps.limitBytes ?? RESULT_LIMIT_BYTES
  const withLabel = mode === 'none' ? [] : items.filter((i) => i.order.printHtml !== null)
  if (mode === 'file') for (const item of withLabel) await toFile(item, deps)
  if (limit === Infinity) return
  if (mode !== 'text' || withLabel.length === 0) {
    // No label inline: what is left is waybill data, which an upstream could still make huge.
    const size = deps.measure()
    if (size > limit) throw new ResultTooLargeError(size, limit)
    return
  }
  // JSON at most doubles a label (it holds no control characters but tab, CR and LF, which escape
  // to two bytes, as quotes and backslashes do): when even that fits beside a bound of the rest of
  // a single answer, there is nothing to measure.
  const labelBytes = withLabel.reduce((sum, i) => sum + Buffer.byteLength(i.order.printHtml!), 0)
  if (items.length === 1 && 2 * labelBytes + waybillBound(items[0]!) + 64 * 1024 <= limit) return
  // Measured once, then kept up to date per offloaded label rather than serialised again each time.
  let size = deps.measure()
  const largestFirst = [...withLabel].sort((a, b) => b.order.printHtml!.length - a.order.printHtml!.length)
  for (const item of largestFirst) {
    if (size <= limit) break
    const inline = jsonBytes(item.order.printHtml)
    await toFile(item, deps)
    const warning: Warning = {
      code: 'PRINT_HTML_OFFLOADED',
      message: 'The label was too large to return inline under the 1 MB callFunction limit, so it was stored as a file: see printHtmlFile.',
    }
    item.warnings.push(warning)
    size += jsonBytes(null) - inline + jsonBytes(item.order.printHtmlFile) + jsonBytes(warning) + ',"printHtmlFile":,'.length
  }
  if (size > limit) throw new ResultTooLargeError(size, limit)
}

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

async function toFile(item: Labelled, deps: { save: SaveLabel | undefined }): Promise<void> {
  if (deps.save === undefined) throw new NoStorageError()
  const { order } = item
  order.printHtmlFile = await deps.save(order.printHtml!)
  order.printHtml = null
}

export class NoStorageError extends Error {
  override readonly name = 'NoStorageError'
  constructor() {
    super('No label storage is configured, so the label cannot be returned as a file.')
  }
}
