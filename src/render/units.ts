import type { PDFDocument } from 'pdf-lib'
import { CancelledWaybillError, markCancelled } from './cancelled'
import type { Slot } from './one'
import { labelPageSize, type PageSize } from './page'
import type { PdfOut } from './pdfOut'
import { RenderLimitError } from './sealed'
import type { OneOptions, OneRendered } from './step'
import type { PrintType, OrderStatus } from '../types'

/** Labels printed together at most: enough that the fonts are subset once for many, few enough that progress moves. */
export const GROUP_SIZE = 8

interface Input {
  name: string
  html: string
  printType?: PrintType
  status?: OrderStatus
}

/** A run of labels in input order, rendered by one worker: together when they can be, else alone. */
export interface Unit {
  start: number
  labels: Input[]
  /** the page size they share, when they print together */
  page?: PageSize
  /** each label's page size, where it could be read (a refused size is read again, to fail) */
  sizes: (PageSize | undefined)[]
}

export type UnitResult = { ok: true; r: OneRendered } | { ok: false; error: Error }

/**
 * Cuts the batch into units: static labels of one page size, next to each other in the input,
 * print together (up to `GROUP_SIZE`); a label with scripts, a cancelled waybill and a label whose
 * size is refused each stand alone, so that it fails or prints on its own.
 */
export function planUnits(labels: readonly Input[], options: { allowScripts: boolean; includeCancelled: boolean; size?: { widthMm: number; heightMm: number } }): Unit[] {
  const units: Unit[] = []
  let open: Unit | undefined
  labels.forEach((label, index) => {
    let page: PageSize | undefined
    try {
      page = labelPageSize(label, options.size)
    } catch {
      page = undefined
    }
    const groupable = !options.allowScripts && page !== undefined && label.status !== 'cancelled'
    const same = open?.page && page && open.page.widthMm === page.widthMm && open.page.heightMm === page.heightMm
    if (groupable && open && same && open.labels.length < GROUP_SIZE) {
      open.labels.push(label)
      open.sizes.push(page)
      return
    }
    open = { start: index, labels: [label], sizes: [page], ...(groupable ? { page: page! } : {}) }
    units.push(open)
  })
  return units
}

/** Renders one unit: together when it can, and any label the group could not print, alone. */
export async function renderUnit(slot: Slot, unit: Unit, options: OneOptions & { includeCancelled: boolean; startBy: number; runMs: number }): Promise<UnitResult[]> {
  let together: (OneRendered | undefined)[] = []
  if (unit.labels.length > 1 && unit.page && Date.now() < options.startBy) {
    together = await slot.renderGroup(unit.labels, unit.page, options).catch(() => [])
  }
  const results: UnitResult[] = []
  for (const [i, label] of unit.labels.entries()) {
    const done = together[i]
    results.push(done ? { ok: true, r: done } : await alone(slot, label, unit.sizes[i], options))
  }
  return results
}

async function alone(slot: Slot, label: Input, page: PageSize | undefined, options: OneOptions & { includeCancelled: boolean; startBy: number; runMs: number }): Promise<UnitResult> {
  try {
    if (label.status === 'cancelled' && !options.includeCancelled) throw new CancelledWaybillError(label.name)
    if (Date.now() >= options.startBy) throw new RenderLimitError('timeout', `Label ${label.name} was not started: the run took its whole time (${options.runMs} ms).`)
    const html = label.status === 'cancelled' ? markCancelled(label.html) : label.html
    const timeoutMs = Math.min(options.timeoutMs, Math.max(1000, options.startBy - Date.now()))
    return { ok: true, r: await slot.render({ ...label, html }, { ...options, timeoutMs }, page) }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) }
  }
}

/** Adds a unit's pages to the PDF in label order, copying from each source PDF once (a group's fonts stay shared). */
export function joinUnit(out: PdfOut, results: UnitResult[]): void {
  const wanted = new Map<PDFDocument, number[]>()
  for (const res of results) if (res.ok) wanted.set(res.r.pdf, [...(wanted.get(res.r.pdf) ?? []), ...res.r.pageIndices])
  const written = new Map<PDFDocument, Map<number, number>>()
  for (const [doc, indices] of wanted) {
    const refs = out.copy(doc, indices)
    written.set(doc, new Map(indices.map((at, k) => [at, refs[k]!])))
  }
  for (const res of results) if (res.ok) out.append(res.r.pageIndices.map((at) => written.get(res.r.pdf)!.get(at)!))
}
