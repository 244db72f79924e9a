// npm run label -- <orderId | path/to/label.html>: renders a label to out/<name>.png and a
// print-ready out/<name>.pdf in headless Chromium.
import * as fs from 'fs'
import * as path from 'path'
import { parseArgs } from 'util'
import { demoOrders } from '../src/harness/backend'
import { identityEnv } from '../src/harness/bootstrap'
import { invokeOnce } from '../src/harness/invoke'
import { DEFAULT_CHROMIUM, DEFAULT_SIZES, LabelRenderError, renderLabel } from '../src/render/render'

const ROOT = path.resolve(__dirname, '..')
const ADMIN = 'oDEMO-admin-000000000001'
const HELP = `npm run label -- <orderId | path/to/label.html> [options]

Renders a waybill label to <out>/<name>.png and a print-ready <out>/<name>.pdf at the label's own
size, in headless Chromium (Debian's chromium package, ${DEFAULT_CHROMIUM}).

An order id is fetched through the local harness (the function under the CLI's runtime against
the fake gateway), or with --live --env <envId> from a real environment; a .html file is rendered
as it is.

  --carrier <id>        delivery id (default: the demo order's, else SF)
  --print-type <0|1>    picks the default size when the label's CSS has no @page size:
                        1 = one-part ${DEFAULT_SIZES[1].widthMm}×${DEFAULT_SIZES[1].heightMm} mm, 0 = two-part ${DEFAULT_SIZES[0].widthMm}×${DEFAULT_SIZES[0].heightMm} mm (default 0)
  --size <W>x<H>        page size in mm when the label's CSS has none, e.g. 76x130
  --scenario <name>     a fault to play on the fake gateway
  --live --env <envId>  fetch from a real CloudBase environment
  --out <dir>           where the files go (default out/)
  --chromium <path>     the Chromium binary (default ${DEFAULT_CHROMIUM})
  --help
`

async function main(): Promise<number> {
  const { values: o, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      carrier: { type: 'string' },
      'print-type': { type: 'string' },
      size: { type: 'string' },
      scenario: { type: 'string' },
      live: { type: 'boolean' },
      env: { type: 'string' },
      out: { type: 'string' },
      chromium: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (o.help) return out(HELP), 0
  const target = positionals[0]
  if (!target) return fail('Name an order id or a .html file.')
  const printType = o['print-type'] === undefined ? undefined : Number(o['print-type'])
  if (printType !== undefined && printType !== 0 && printType !== 1) return fail('--print-type takes 0 or 1.')
  let size: { widthMm: number; heightMm: number } | undefined
  if (o.size !== undefined) {
    const m = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(o.size)
    if (!m) return fail('--size takes <width>x<height> in millimetres, e.g. 100x150.')
    size = { widthMm: Number(m[1]), heightMm: Number(m[2]) }
  }

  let html: string
  let name: string
  if (target.endsWith('.html') && fs.existsSync(target)) {
    html = fs.readFileSync(target, 'utf8')
    name = path.basename(target, '.html')
  } else {
    const demo = demoOrders().find((d) => d.order_id === target)
    const event = { orderId: target, deliveryId: o.carrier ?? demo?.delivery_id ?? 'SF', ...(printType !== undefined ? { printType } : {}) }
    const invoked = await invokeOnce({
      functionDir: path.join(ROOT, 'cloudfunctions', 'getOrder'),
      event,
      env: { ...identityEnv({ openid: ADMIN }), ADMIN_OPENIDS: ADMIN },
      timeoutSec: 10,
      ...(o.scenario !== undefined ? { scenario: o.scenario } : {}),
      ...(o.live ? { live: o.env ?? '' } : {}),
    })
    if (!invoked.ok) return fail(invoked.problem)
    const result = invoked.run.result
    if (!result) return fail(`The function printed no result:\n${invoked.run.stderr || invoked.run.stdout}`)
    if (!result.ok) return fail(`getOrder failed: ${result.error.code}: ${result.error.message}${result.error.hint ? `\nhint: ${result.error.hint}` : ''}`)
    if (!('order' in result)) return fail('getOrder answered a batch.')
    const order = result.order
    if (order.printHtml !== null) html = order.printHtml
    else if (order.printHtmlFile) html = await (await fetch(order.printHtmlFile.tempFileURL)).text()
    else return fail(`Order ${target} has no label: ${result.warnings.map((w) => w.message).join(' ') || 'no print_html'}`)
    name = target.replace(/[^A-Za-z0-9_-]/g, '_')
  }

  try {
    const r = await renderLabel(html, {
      outDir: path.resolve(o.out ?? path.join(ROOT, 'out')),
      name,
      ...(size ? { size } : {}),
      ...(printType !== undefined ? { printType: printType as 0 | 1 } : {}),
      ...(o.chromium ? { executablePath: o.chromium } : {}),
    })
    const from = { css: "the label's CSS @page", option: '--size', default: `the default for ${printType === 1 ? 'one' : 'two'}-part labels` }[r.page.source]
    out(`label ${name}: ${r.page.widthMm.toFixed(1)} × ${r.page.heightMm.toFixed(1)} mm (from ${from})`)
    out(`  png  ${path.relative(process.cwd(), r.png)} (${r.pixels.width} × ${r.pixels.height} px)`)
    out(`  pdf  ${path.relative(process.cwd(), r.pdf)}`)
    return 0
  } catch (err) {
    if (err instanceof LabelRenderError) {
      process.stderr.write(`${err.message}\n${err.hint}\n`)
      return 3
    }
    throw err
  }
}

function out(s: string) {
  process.stdout.write(`${s}\n`)
}
function fail(message: string): number {
  process.stderr.write(`${message}\n`)
  return 2
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
