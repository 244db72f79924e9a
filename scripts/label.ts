// npm run label: renders labels to print-ready PDF (and PNG) in a sealed headless Chromium.
//   npm run label -- <orderId | path/to/label.html>   one label: out/<name>.png and out/<name>.pdf
//   npm run label -- --batch orders.json              the day's labels: one PDF, a page per label
import * as fs from 'fs'
import * as path from 'path'
import { parseArgs } from 'util'
import { demoOrders } from '../src/harness/backend'
import { readBatchFile } from '../src/harness/batchFile'
import { type Fetched, fetchOrders } from './fetchOrders'
import {
  CancelledWaybillError,
  DEFAULT_CHROMIUM,
  DEFAULT_SIZES,
  failureCode,
  LabelRenderError,
  type LabelToRender,
  RenderLimitError,
  renderLabel,
  renderLabels,
  safeFileName,
} from '../src/render/render'
import type { OrderStatus } from '../src/types'
import { DEFAULT_DPI, printerOutput } from '../src/print/output'
import { PrinterFailure } from '../src/print/printer'
import { outputOptions, type PrinterSettings, readPrinterOptions } from './printerOptions'
import { run, usage } from './cli'

const ROOT = path.resolve(__dirname, '..')
/** Exit codes: all printed; some did not print; bad usage or fetch failed; no Chromium; a runaway label; a cancelled waybill; no label; the printer failed. */
const EXIT = { ok: 0, someFailed: 1, usage: 2, noChromium: 3, runaway: 4, cancelled: 5, noLabel: 6, printer: 7 } as const

const HELP = `npm run label -- <orderId | path/to/label.html> [options]
npm run label -- --batch <orders.json> [options]

Renders waybill labels at their own size in a sealed headless Chromium (Debian's chromium
package, ${DEFAULT_CHROMIUM}): the page may reach no network of any kind, and runs no script
unless --allow-scripts.

One label writes <out>/<name>.png and <out>/<name>.pdf. A batch (the same file as npm start --
--batch, e.g. examples/orders.json: a JSON array of {orderId, deliveryId, waybillId?}) writes one
PDF, <out>/labels.pdf, a page per label in input order at that label's size, and lists the orders
that did not print in <out>/not-printed.txt (and on stderr). Orders are fetched through the local harness, or with --live
--env <envId> from a real environment.

  --carrier <id>        delivery id for one order (default: the demo order's, else SF)
  --print-type <0|1>    picks the default size when a label's CSS has no @page size:
                        1 = one-part ${DEFAULT_SIZES[1].widthMm}×${DEFAULT_SIZES[1].heightMm} mm, 0 = two-part ${DEFAULT_SIZES[0].widthMm}×${DEFAULT_SIZES[0].heightMm} mm (default 0)
  --size <W>x<H>        page size in mm when a label's CSS has none, e.g. 76x130
  --png                 batch: also write <out>/<NNN>-<orderId>.png for each label (NNN: its
                        position in the file, so an order listed twice prints twice)
  --failure-page        batch: also list what did not print on a last page of the PDF
  --include-cancelled   print cancelled waybills too, marked 已取消 / CANCELLED across the
                        label (by default they are not printed: a parcel shipped under one is lost)
  --format <f>          also write the labels in a thermal printer's own language, beside the
                        PDF (<out>/labels.<f>; one label: <out>/<name>.<f>): tspl for TSC,
                        Gprinter 佳博, Xprinter 芯烨 and HPRT 汉印, zpl for Zebra, escpos for
                        ESC/POS raster; one bitmap per PDF page at the label's size, 1-bit by
                        threshold. Several: --format tspl,zpl
  --dpi <n>             the printer's resolution for --format (default ${DEFAULT_DPI}; 300 for 300 dpi models)
  --printer <target>    send the --format bytes to a printer as well: tcp://host:9100 (a raw
                        port) or file:/dev/usb/lp0 (a device); the file is written all the same
  --zpl-encoding <e>    z64 (deflated, the default) or hex, for firmware without :Z64:
  --max-pages <n>       pages one label may print to (default 5)
  --timeout <s>         seconds one label may take (default 20)
  --concurrency <n>     batch: pages rendered at once (default: one per core, 2 to 4)
  --allow-scripts       run the label's scripts (still no network, still bounded)
  --scenario <name>     a fault to play on the fake gateway
  --live --env <envId>  fetch from the function deployed in a CloudBase environment (the
                        management API's invoke; it calls with no OPENID, so the deployment
                        must trust server callers: TRUST_SERVER_CALLERS=1)
  --out <dir>           where the files go (default out/)
  --chromium <path>     the Chromium binary (default ${DEFAULT_CHROMIUM})
  --help

Exit codes: 0 all printed, 1 some did not print, 2 bad usage or fetch failed, 3 no Chromium,
4 a label ran away (over --max-pages, --timeout or the largest page), 5 the one order's waybill
is cancelled (nothing written; --include-cancelled prints it marked), 6 the one order has no label,
7 the printer could not be reached or did not take the job (the files are written).
An order whose status is unknown prints, with a warning on stderr.
`

async function main(): Promise<number> {
  const { values: o, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      batch: { type: 'string' },
      carrier: { type: 'string' },
      'print-type': { type: 'string' },
      size: { type: 'string' },
      png: { type: 'boolean' },
      'max-pages': { type: 'string' },
      format: { type: 'string' },
      dpi: { type: 'string' },
      printer: { type: 'string' },
      'zpl-encoding': { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
      'allow-scripts': { type: 'boolean' },
      'include-cancelled': { type: 'boolean' },
      'failure-page': { type: 'boolean' },
      scenario: { type: 'string' },
      live: { type: 'boolean' },
      env: { type: 'string' },
      out: { type: 'string' },
      chromium: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (o.help) return (out(HELP), EXIT.ok)
  const printType = o['print-type'] === undefined ? undefined : Number(o['print-type'])
  if (printType !== undefined && printType !== 0 && printType !== 1) return fail('--print-type takes 0 or 1.')
  let size: { widthMm: number; heightMm: number } | undefined
  if (o.size !== undefined) {
    const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(o.size)
    if (!m) return fail('--size takes <width>x<height> in millimetres, e.g. 76x130.')
    size = { widthMm: Number(m[1]), heightMm: Number(m[2]) }
  }
  const positive = (v: string | undefined) => (v === undefined ? undefined : Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : NaN)
  const maxPages = positive(o['max-pages'])
  const timeoutSec = positive(o.timeout)
  const concurrency = positive(o.concurrency)
  if ([maxPages, timeoutSec, concurrency].some((n) => Number.isNaN(n))) return fail('--max-pages, --timeout and --concurrency take whole positive numbers.')
  const seal = {
    ...(size ? { size } : {}),
    ...(o.chromium ? { executablePath: o.chromium } : {}),
    ...(o['allow-scripts'] ? { allowScripts: true } : {}),
    ...(o['include-cancelled'] ? { includeCancelled: true } : {}),
    ...(maxPages !== undefined ? { maxPages } : {}),
    ...(timeoutSec !== undefined ? { labelTimeoutMs: timeoutSec * 1000 } : {}),
  }
  const outDir = path.resolve(o.out ?? path.join(ROOT, 'out'))
  const printing = readPrinterOptions(o, 'files')
  if (!printing.ok) return fail(printing.problem)

  try {
    if (o.batch !== undefined)
      return await batch(o.batch, { ...seal, outDir, png: o.png === true, failurePage: o['failure-page'] === true, ...(concurrency !== undefined ? { concurrency } : {}) }, o, printing.value)
    return await single(positionals[0], { ...seal, outDir, ...(printType !== undefined ? { printType: printType as 0 | 1 } : {}) }, o, printing.value)
  } catch (err) {
    if (err instanceof PrinterFailure) {
      process.stderr.write(`${err.message}\n`)
      return EXIT.printer
    }
    if (err instanceof LabelRenderError) {
      process.stderr.write(`${err.message}\n${err.hint}\n`)
      return EXIT.noChromium
    }
    if (err instanceof RenderLimitError) {
      process.stderr.write(`${err.message}\n`)
      return EXIT.runaway
    }
    if (err instanceof CancelledWaybillError) {
      process.stderr.write(`${err.message}\n`)
      return EXIT.cancelled
    }
    throw err
  }
}

type Opts = { carrier?: string | undefined; scenario?: string | undefined; live?: boolean | undefined; env?: string | undefined; 'print-type'?: string | undefined }

async function single(
  target: string | undefined,
  options: Parameters<typeof renderLabel>[1] extends infer R ? Omit<R & object, 'name'> : never,
  o: Opts,
  printing: PrinterSettings | undefined,
): Promise<number> {
  if (!target) return fail('Name an order id or a .html file, or pass --batch <orders.json>.')
  let html: string
  let name: string
  let status: OrderStatus | undefined
  if (target.endsWith('.html') && fs.existsSync(target)) {
    html = fs.readFileSync(target, 'utf8')
    name = path.basename(target, '.html')
  } else {
    const demo = demoOrders().find((d) => d.order_id === target)
    const event = { orderId: target, deliveryId: o.carrier ?? demo?.delivery_id ?? 'SF', ...(o['print-type'] !== undefined ? { printType: Number(o['print-type']) } : {}) }
    const fetched = await fetchOrders(event, o)
    if (!fetched.ok) return fail(fetched.problem)
    const item = fetched.items[0]!
    if (!item.ok && item.noLabel) {
      process.stderr.write(`${target}: no label to print: ${item.code}: ${item.message}\n`)
      return EXIT.noLabel
    }
    if (!item.ok) return fail(`getOrder failed: ${item.code}: ${item.message}`)
    // Checked before Chromium starts: nothing is written for a cancelled waybill.
    if (item.status === 'cancelled' && options.includeCancelled !== true) throw new CancelledWaybillError(target)
    warnUnknown(item)
    html = item.html
    status = item.status
    name = safeFileName(target)
  }
  const device = printing ? await openOutput(printing, options.outDir, name) : undefined
  const r = await renderLabel(html, { ...options, name, ...(status !== undefined ? { status } : {}), ...(device ? { scale: device.scale, onPrinted: device.onPrinted } : {}) })
  const from = { css: "the label's CSS @page", option: '--size', default: `the default for ${options.printType === 1 ? 'one' : 'two'}-part labels` }[r.page.source]
  out(`label ${name}: ${r.page.widthMm.toFixed(1)} × ${r.page.heightMm.toFixed(1)} mm (from ${from})`)
  out(`  png  ${path.relative(process.cwd(), r.png)} (${r.pixels.width} × ${r.pixels.height} px)`)
  out(`  pdf  ${path.relative(process.cwd(), r.pdf)}`)
  if (device) await finishOutput(device, printing!)
  return EXIT.ok
}

async function batch(file: string, options: Omit<Parameters<typeof renderLabels>[1], 'failures' | 'onProgress'>, o: Opts, printing: PrinterSettings | undefined): Promise<number> {
  const read = readBatchFile(file)
  if (!read.ok) return fail(read.problem)
  const fetched = await fetchOrders({ orders: read.orders }, o)
  if (!fetched.ok) return fail(fetched.problem)
  const labels: LabelToRender[] = []
  const failures: { name: string; code: string; message: string }[] = []
  fetched.items.forEach((item, i) => {
    // Two copies of one order print twice: each input position is a page, named apart.
    const name = `${String(i + 1).padStart(3, '0')}-${safeFileName(item.orderId)}`
    if (item.ok) {
      warnUnknown(item)
      labels.push({ name, html: item.html, status: item.status })
    } else failures.push({ name: item.orderId, code: item.code, message: item.message })
  })
  const device = printing ? await openOutput(printing, options.outDir, 'labels') : undefined
  const progress = progressBar(labels.length)
  const r = await renderLabels(labels, { ...options, failures, onProgress: progress.update, ...(device ? { scale: device.scale, onPrinted: device.onPrinted } : {}) })
  progress.done()
  const notRendered = r.labels.filter((l) => !l.ok)
  out(`${r.labels.length - notRendered.length} of ${fetched.items.length} labels printed to ${path.relative(process.cwd(), r.pdf)} (${r.pages} pages)`)
  const notPrinted = [...failures, ...notRendered.map((l) => ({ name: l.name, code: l.ok ? '' : failureCode(l.limit), message: l.ok ? '' : l.error }))]
  // The list goes beside the PDF, not on a label sheet (a thermal printer feeds a whole label for it).
  const list = path.join(options.outDir, 'not-printed.txt')
  if (notPrinted.length > 0) {
    fs.writeFileSync(list, notPrinted.map((f) => `${f.name}\t${f.code}\t${f.message}\n`).join(''))
    out(`${notPrinted.length} not printed, listed in ${path.relative(process.cwd(), list)}${options.failurePage ? ' and on the last page of the PDF' : ''}`)
  } else fs.rmSync(list, { force: true })
  for (const f of notPrinted) process.stderr.write(`not printed: ${f.name} ${f.code}: ${f.message}\n`)
  if (device) await finishOutput(device, printing!)
  return failures.length + notRendered.length === 0 ? EXIT.ok : EXIT.someFailed
}

/** An order whose status WeChat did not say prints, with a word on stderr to check it first. */
function warnUnknown(item: Extract<Fetched, { ok: true }>) {
  if (item.status === 'unknown') process.stderr.write(`warning: ${item.orderId}: the order's status is unknown; check it is not cancelled before shipping.\n`)
}

/** A progress bar on a terminal, for more than a handful of labels; nothing elsewhere. */
function progressBar(total: number) {
  const tty = process.stderr.isTTY === true && total > 5
  const draw = (done: number) => {
    const width = 30
    const filled = Math.round((done / Math.max(1, total)) * width)
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} labels`)
  }
  return {
    update: (done: number) => (tty ? draw(done) : undefined),
    done: () => (tty ? process.stderr.write('\n') : undefined),
  }
}

function openOutput(p: PrinterSettings, outDir: string, base: string) {
  return printerOutput(outputOptions(p, outDir, base))
}

/** Closes the files and the printer; a printer that failed throws PrinterFailure (exit 7), the files written. */
async function finishOutput(device: Awaited<ReturnType<typeof printerOutput>>, p: PrinterSettings) {
  const done = await device.finish()
  for (const f of done.files) out(`  ${path.extname(f).slice(1).padEnd(4)} ${path.relative(process.cwd(), f)} (${done.labels} labels at ${p.dpi} dpi)`)
  if (p.printer) out(`  sent ${done.sent} bytes to ${p.printer.spec}`)
}

function out(s: string) {
  process.stdout.write(`${s}\n`)
}
const fail = (message: string) => usage(message)

run(main, 1)
