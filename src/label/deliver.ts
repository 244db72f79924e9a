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
 * `measure` gives the result's size in bytes as it would be sent.
 */
export async function deliverLabels(
  items: Labelled[],
  mode: PrintHtmlAs,
  deps: { save: SaveLabel | undefined; measure: () => number; limitBytes?: number },
): Promise<void> {
  if (mode === 'none') return
  const withLabel = items.filter((i) => i.order.printHtml !== null)
  if (mode === 'file') {
    for (const item of withLabel) await toFile(item, deps)
    return
  }
  const limit = deps.limitBytes ?? RESULT_LIMIT_BYTES
  if (withLabel.length === 0 || limit === Infinity) return
  // JSON at most doubles a label (escaped quotes, backslashes, newlines): when even that fits,
  // there is nothing to measure.
  const labelBytes = withLabel.reduce((sum, i) => sum + Buffer.byteLength(i.order.printHtml!), 0)
  if (2 * labelBytes + 64 * 1024 <= limit) return
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
