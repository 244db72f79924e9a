// npm run station: the print station, a local web page over the same fetch and the same sealed
// renderer as npm run label. See HELP.
import { randomBytes } from 'crypto'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { parseArgs } from 'util'
import { readBatchFile } from '../src/harness/batchFile'
import { DEFAULT_DPI } from '../src/print/output'
import { run, usage } from './cli'
import { readPrinterOptions } from './printerOptions'
import { Desk } from './station/desk'
import { startStation } from './station/server'

const HELP = `npm run station -- [--batch <orders.json>] [options]

A page for the people who print: every order with its status and a picture of its label,
cancelled waybills marked, what did not print and why; select labels and print them (a PDF to
download, or straight to a label printer with --printer), with progress; print again.

  --batch <file>        orders to start with (as npm run label -- --batch; e.g. examples/orders.json);
                        more can be typed into the page
  --port <n>            the port (default 8130; 0 picks a free one)
  --host <addr>         the interface (default 127.0.0.1). Any other needs the access token the
                        station prints: the page's address carries it once
  --printer <target>    print to a label printer: tcp://host:9100 or file:/dev/usb/lp0
  --format <f>          the printer's language: tspl (default), zpl or escpos
  --dpi <n>             the printer's resolution (default ${DEFAULT_DPI})
  --zpl-encoding <e>    z64 (the default) or hex, for Zebra firmware without :Z64:
  --live --env <envId>  fetch from the function deployed in a CloudBase environment
  --scenario <name>     a fault to play on the fake gateway
  --out <dir>           keep pictures and print jobs here (default: a temporary folder, removed
                        when the station stops: labels are personal data)
  --help
`

async function main(): Promise<number> {
  const { values: o } = parseArgs({
    options: {
      batch: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      printer: { type: 'string' },
      format: { type: 'string' },
      dpi: { type: 'string' },
      'zpl-encoding': { type: 'string' },
      live: { type: 'boolean' },
      env: { type: 'string' },
      scenario: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (o.help) return (process.stdout.write(HELP), 0)
  const port = o.port === undefined ? 8130 : Number(o.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usage('--port takes a port number (0 for any free one).')
  const host = o.host ?? '127.0.0.1'
  const printer = readPrinterOptions(o, 'printer')
  if (!printer.ok) return usage(printer.problem)
  const orders = o.batch === undefined ? [] : readBatchFile(o.batch)
  if (!Array.isArray(orders) && !orders.ok) return usage(orders.problem)
  const temporary = o.out === undefined
  const outDir = o.out !== undefined ? path.resolve(o.out) : fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-station-'))
  const desk = new Desk({ outDir, from: { scenario: o.scenario, live: o.live, env: o.env }, ...(printer.value ? { printer: printer.value } : {}) })
  if (!Array.isArray(orders)) await desk.add(orders.orders as { orderId: string; deliveryId: string }[])
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1'
  const station = await startStation({ desk, host, port, ...(loopback ? {} : { token: randomBytes(18).toString('base64url') }) })
  process.stdout.write(`print station: ${station.url}\n`)
  if (!loopback) process.stdout.write(`(listening on ${host}: the address above carries the access token; give it only to those who print)\n`)
  process.stdout.write(`${desk.rows.length} orders; ${printer.value ? `printing to ${desk.printerName}` : 'printing to PDF downloads'}. Ctrl-C stops it.\n`)
  return new Promise<number>((resolve) => {
    const stop = () => {
      void station.close().then(() => {
        if (temporary) fs.rmSync(outDir, { recursive: true, force: true })
        resolve(0)
      })
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

run(main, 1)
