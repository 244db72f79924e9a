// The station's state: the orders on the desk, their label pictures, and the print jobs. The
// label's HTML stays here; the page gets pictures (PNGs from the sealed renderer) and words.
import * as fs from 'fs'
import * as path from 'path'
import { failureCode, type LabelToRender, renderLabels } from '../../src/render/render'
import { printerOutput } from '../../src/print/output'
import { type FetchFrom, fetchOrders } from '../fetchOrders'
import { outputOptions, type PrinterSettings } from '../printerOptions'
import type { OrderStatus } from '../../src/types'

/** What the page shows of an order. */
export type RowState = 'ready' | 'cancelled' | 'no-label' | 'failed'

export interface Row {
  id: number
  orderId: string
  deliveryId: string
  state: RowState
  /** the order's status as WeChat gave it */
  status?: OrderStatus
  /** why it cannot print: the error's code and message */
  problem?: { code: string; message: string }
  /** a picture of the label is ready at /api/orders/<id>/label.png */
  picture: 'pending' | 'ready' | 'failed'
  printed: number
  lastPrint?: { at: string; ok: boolean; code?: string; message?: string }
}

export interface Job {
  id: number
  rows: number[]
  state: 'running' | 'done' | 'failed'
  done: number
  total: number
  printed: number
  notPrinted: { row: number; orderId: string; code: string; message: string }[]
  pdf?: string
  printer?: { target: string; sent: number; problem?: string }
  message?: string
}

export interface DeskOptions {
  outDir: string
  from: FetchFrom
  /** the printer every job also goes to (its settings as `readPrinterOptions` gives them) */
  printer?: PrinterSettings
  /** pixels per CSS pixel of the pictures (default 1.5: a label about 570 px wide) */
  pictureScale?: number
}

/** The desk: orders in, pictures made, jobs run one at a time (there is one printer). */
export class Desk {
  readonly rows: Row[] = []
  readonly jobs: Job[] = []
  private readonly html = new Map<number, string>()
  private readonly pictures = new Map<number, string>()
  private printing: Promise<void> = Promise.resolve()

  constructor(private readonly options: DeskOptions) {
    fs.mkdirSync(path.join(options.outDir, 'pictures'), { recursive: true })
  }

  /** Fetches orders and puts them on the desk; their pictures are made after. */
  async add(orders: { orderId: string; deliveryId: string }[]): Promise<Row[]> {
    const fetched = await fetchOrders({ orders }, this.options.from)
    if (!fetched.ok) throw new Error(fetched.problem)
    const added = fetched.items.map((item, i) => {
      const row: Row = { id: this.rows.length, orderId: item.orderId, deliveryId: orders[i]?.deliveryId ?? '', state: 'failed', picture: 'failed', printed: 0 }
      if (item.ok) {
        row.state = item.status === 'cancelled' ? 'cancelled' : 'ready'
        row.status = item.status
        row.picture = 'pending'
        this.html.set(row.id, item.html)
      } else {
        row.state = item.noLabel ? 'no-label' : 'failed'
        row.problem = { code: item.code, message: item.message }
      }
      this.rows.push(row)
      return row
    })
    void this.makePictures(added.filter((r) => r.picture === 'pending'))
    return added
  }

  /** The printer jobs also go to, as the operator named it (`--printer`), if any. */
  get printerName(): string | undefined {
    const p = this.options.printer
    return p?.printer ? `${p.printer.spec} (${p.formats[0]!.toUpperCase()}, ${p.dpi} dpi)` : undefined
  }

  picture(id: number): string | undefined {
    return this.pictures.get(id)
  }

  /**
   * The pictures, in the sealed renderer, each shown as soon as it is made (a day's few hundred
   * orders take a while); a cancelled waybill's shows the stamp it would print with.
   */
  private async makePictures(rows: Row[]) {
    if (rows.length === 0) return
    const dir = path.join(this.options.outDir, 'pictures')
    const labels: LabelToRender[] = rows.map((r) => ({ name: `row-${r.id}`, html: this.html.get(r.id)!, ...(r.status ? { status: r.status } : {}) }))
    try {
      const done = await renderLabels(labels, {
        outDir: dir,
        pdfName: `pictures-${rows[0]!.id}.pdf`,
        includeCancelled: true,
        failurePage: false,
        scale: this.options.pictureScale ?? 1.5,
        onPrinted: (printed) => {
          const row = rows[printed.index]!
          const file = path.join(dir, `row-${row.id}.png`)
          fs.writeFileSync(file, printed.png)
          this.pictures.set(row.id, file)
          row.picture = 'ready'
        },
      })
      fs.rmSync(done.pdf, { force: true })
    } catch {
      // No Chromium, say: the pictures made stay, the rest say so; printing reports its own error.
    } finally {
      for (const row of rows) if (row.picture === 'pending') row.picture = 'failed'
    }
  }

  /** Starts printing the rows: a PDF for download, and the printer's bytes when one is set. */
  print(ids: number[]): Job {
    const rows = [...new Set(ids)].map((id) => this.rows[id]).filter((r): r is Row => r !== undefined)
    const job: Job = { id: this.jobs.length + 1, rows: rows.map((r) => r.id), state: 'running', done: 0, total: rows.length, printed: 0, notPrinted: [] }
    this.jobs.push(job)
    this.printing = this.printing.then(() => this.run(job, rows)).catch(() => undefined)
    return job
  }

  private async run(job: Job, rows: Row[]) {
    const outDir = path.join(this.options.outDir, `job-${job.id}`)
    const printable = rows.filter((r) => r.state === 'ready')
    for (const r of rows.filter((r) => r.state !== 'ready')) {
      const code = r.state === 'cancelled' ? 'CANCELLED' : (r.problem?.code ?? 'NOT_PRINTABLE')
      job.notPrinted.push({ row: r.id, orderId: r.orderId, code, message: r.state === 'cancelled' ? 'The waybill is cancelled: a parcel shipped under it is lost.' : (r.problem?.message ?? '') })
      job.done++
    }
    const p = this.options.printer
    try {
      const device = p ? await printerOutput(outputOptions(p, outDir)) : undefined
      const labels = printable.map((r) => ({ name: r.orderId, html: this.html.get(r.id)!, ...(r.status ? { status: r.status } : {}) }))
      const base = job.done
      const done = await renderLabels(labels, {
        outDir,
        failurePage: false,
        onProgress: (n) => (job.done = base + n),
        ...(device ? { scale: device.scale, onPrinted: device.onPrinted } : {}),
      })
      job.pdf = done.pdf
      done.labels.forEach((outcome, i) => {
        const row = printable[i]!
        const at = new Date().toISOString()
        if (outcome.ok) {
          row.printed++
          job.printed++
          row.lastPrint = { at, ok: true }
        } else {
          const code = failureCode(outcome.limit)
          row.lastPrint = { at, ok: false, code, message: outcome.error }
          job.notPrinted.push({ row: row.id, orderId: row.orderId, code, message: outcome.error })
        }
      })
      if (device && p) {
        job.printer = { target: p.printer?.spec ?? '', sent: 0 }
        try {
          job.printer.sent = (await device.finish()).sent
        } catch (err) {
          job.printer.problem = err instanceof Error ? err.message : String(err)
        }
      }
      job.state = 'done'
    } catch (err) {
      job.state = 'failed'
      job.message = err instanceof Error ? err.message : String(err)
    }
  }
}
