// npm start: the main job. Starts the fake CloudBase gateway on loopback, runs the committed
// cloudfunctions/getOrder under the CloudBase CLI's own runtime with the real wx-server-sdk,
// prints a readable summary and writes the decoded label to out/<orderId>.html.
import * as fs from 'fs'
import * as path from 'path'
import { parseArgs } from 'util'
import { demoOrders, SCENARIOS } from '../src/harness/backend'
import { readBatchFile } from '../src/harness/batchFile'
import { identityEnv } from '../src/harness/bootstrap'
import { DEMO_MERCHANT, invokeOnce } from '../src/harness/invoke'
import { liveTarget } from './live'
import { DEMO_ADMIN, DEMO_OWNERS_COLLECTION, DEMO_USER, demoOwnerRecords, OWNERSHIP_ENV } from '../src/harness/owners'
import type { BatchItem, Order, Result, Warning } from '../src/types'
import { run, usage } from './cli'

const ROOT = path.resolve(__dirname, '..')

const HELP = `npm start -- [options]

Runs cloudfunctions/getOrder as the cloud would (the CloudBase CLI's runtime, the real
wx-server-sdk) against a fake CloudBase gateway on 127.0.0.1, and shows what it returns.

Order
  --order <id>            order id (default: the demo SF order 01234567890123456789)
  --carrier <id>          delivery id, e.g. SF, YTO, ZTO (default: the demo order's)
  --waybill <id>          waybill id (default: the demo order's)
  --print-type <0|1>      1 = one-part label, 0 = two-part
  --print-html-as <mode>  text | file | none (default text)
  --batch <file.json>     a batch: a JSON array of {orderId, deliveryId, waybillId?}, e.g.
                          examples/orders.json; read as the demo admin unless --caller says who
Caller
  --caller <openid>       the caller's OPENID (default: a demo user, recorded as the owner
                          of every demo order; anyone else is refused under ACCESS_POLICY=own)
  --admin                 make the caller an admin (ADMIN_OPENIDS)
  --openid <openid>       the event's openid (read for someone else; admins only)
  --server                call with no OPENID, with TRUST_SERVER_CALLERS=1 (source scf
                          unless --source says otherwise)
  --source <chain>        the platform's source chain, e.g. wx_client, wx_client,scf,
                          wx_http, wx_trigger, tcb_http (default wx_client with an OPENID)
  --from-openid <openid>  a cross-account call: the calling account's user
  --from-appid <appid>    a cross-account call: the calling account's AppID
Upstream
  --scenario <name>       a fault to play (see --list)
  --timeout <seconds>     the function's timeout (default 3)
  --transport <t>         cloud (default: the cloud call, through the fake CloudBase gateway),
                          https (the HTTPS API with a stable_token, against a fake WeChat
                          API server on 127.0.0.1), or component (a third-party platform:
                          wxComponent receives the ticket and the merchant's authorization
                          pushes, then getOrder reads with the merchant's token; read as
                          the demo admin unless a caller is chosen)
  --authorizer <appid>    with --transport component: the merchant (default wxDEMOMERCHANT0001)
  --live --env <envId>    call the function deployed in a CloudBase environment (through
                          the management API's invoke, as tcb fn invoke does), with the CLI
                          login or TENCENTCLOUD_SECRETID/SECRETKEY; the call carries no
                          OPENID, so the deployment must trust server callers
Output
  --json                  print the raw result as JSON
  --out <dir>             where labels are written (default out/)
  --list                  list the demo orders and scenarios
  --help                  this text
`

async function main(): Promise<number> {
  const { values: o } = parseArgs({
    options: {
      order: { type: 'string' },
      carrier: { type: 'string' },
      waybill: { type: 'string' },
      'print-type': { type: 'string' },
      'print-html-as': { type: 'string' },
      batch: { type: 'string' },
      caller: { type: 'string' },
      admin: { type: 'boolean' },
      openid: { type: 'string' },
      server: { type: 'boolean' },
      source: { type: 'string' },
      'from-openid': { type: 'string' },
      'from-appid': { type: 'string' },
      scenario: { type: 'string' },
      timeout: { type: 'string' },
      live: { type: 'boolean' },
      transport: { type: 'string' },
      authorizer: { type: 'string' },
      env: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (o.help) return (print(HELP), 0)
  if (o.list) return (printList(), 0)

  const event = buildEvent(o)
  if (typeof event === 'string') return fail(event)
  if (o.authorizer !== undefined && o.transport !== 'component') return fail('--authorizer applies with --transport component.')
  const component = o.transport === 'component'
  if (component) event.authorizerAppid = o.authorizer ?? DEMO_MERCHANT
  // Reading for a merchant is, like a batch, for admins and trusted servers.
  const batch = 'orders' in event || component
  const noOpenid = o.server || o['from-openid'] !== undefined || o['from-appid'] !== undefined
  // A batch is for admins and trusted servers. With no caller chosen it reads as the demo admin,
  // and says so; a caller the user chose stays who it is, and is refused like anyone else.
  const batchAsDemoAdmin = batch && !noOpenid && o.caller === undefined && !o.admin
  const callerOpenid = noOpenid ? o.caller : (o.caller ?? (o.admin || batchAsDemoAdmin ? DEMO_ADMIN : DEMO_USER))
  const env: Record<string, string> = identityEnv({
    ...(callerOpenid !== undefined ? { openid: callerOpenid, appid: 'wxDEMO0000000000' } : {}),
    ...(o.source !== undefined ? { source: o.source } : {}),
    ...(o['from-openid'] !== undefined ? { fromOpenid: o['from-openid'] } : {}),
    ...(o['from-appid'] !== undefined ? { fromAppid: o['from-appid'] } : {}),
  })
  if (callerOpenid !== undefined && (o.admin || batchAsDemoAdmin)) env.ADMIN_OPENIDS = callerOpenid
  if (batchAsDemoAdmin && !o.live)
    print(
      `${component ? 'component' : 'batch'}: read as the demo admin (ADMIN_OPENIDS), since ${component ? 'reading for a merchant is' : 'batches are'} for admins and trusted servers; --caller <openid> tries someone else`,
    )
  if (o.server) env.TRUST_SERVER_CALLERS = '1'
  // The demo user owns the demo orders, as a merchant's order flow would record: users read their
  // own orders (ACCESS_POLICY=own), and `--caller <someone else>` shows the refusal.
  if (process.env.ACCESS_POLICY === undefined) Object.assign(env, OWNERSHIP_ENV)
  for (const k of [
    'ADMIN_OPENIDS',
    'ACCESS_POLICY',
    'ORDER_OWNERS_COLLECTION',
    'TRUST_SERVER_CALLERS',
    'TRUSTED_SOURCES',
    'TRUSTED_FROM_APPIDS',
    'LABEL_TTL_HOURS',
    'LABEL_RECORDS_COLLECTION',
    'WX_TRANSPORT',
    'WX_API_BASE',
    'WX_APPID',
    'WX_APPSECRET',
  ]) {
    if (process.env[k] !== undefined && env[k] === undefined) env[k] = process.env[k]!
  }
  const timeoutSec = o.timeout === undefined ? 3 : Number(o.timeout)
  if (!(timeoutSec > 0)) return fail('--timeout takes a number of seconds.')

  const live = o.live ? liveTarget(o.env ?? process.env.ENV_ID) : undefined
  if (live && !live.ok) return fail(live.problem)
  if (live && (o.caller !== undefined || o.admin || o.openid !== undefined || o.source !== undefined || o['from-openid'] !== undefined || o['from-appid'] !== undefined)) {
    return fail('--live calls the deployed function through the management API, which carries no caller: --caller, --admin, --openid, --source and --from-* do not apply.')
  }
  if (live?.ok) print(`live: invoking the ${live.target.where}, with no OPENID (as a server: the deployment needs TRUST_SERVER_CALLERS=1)`)
  const invoked = await invokeOnce({
    functionDir: path.join(ROOT, 'cloudfunctions', 'getOrder'),
    event,
    env,
    timeoutSec,
    ...(o.scenario !== undefined ? { scenario: String(o.scenario) } : {}),
    ...(o.transport !== undefined ? { transport: String(o.transport) } : {}),
    ...(o.authorizer !== undefined ? { authorizer: String(o.authorizer) } : {}),
    ...(live?.ok ? { live: live.target } : {}),
    // Stored labels are downloaded from their temp URLs, which the fake gateway serves.
    hold: true,
    owners: { collection: DEMO_OWNERS_COLLECTION, records: demoOwnerRecords(DEMO_USER) },
  })
  if (!invoked.ok) return fail(invoked.problem)
  try {
    return await report(invoked, o)
  } finally {
    await invoked.close()
  }
}

async function report(
  invoked: Extract<Awaited<ReturnType<typeof invokeOnce>>, { ok: true }>,
  o: { json?: boolean | undefined; out?: string | undefined; batch?: string | undefined },
): Promise<number> {
  const { run, via, where } = invoked
  if (!run.result) {
    process.stderr.write(run.stdout + run.stderr)
    return fail('The function printed no result (its output is above).')
  }
  const result = run.result
  if (o.json) {
    print(JSON.stringify(result, null, 2))
    return result.ok ? 0 : 1
  }
  const log = run.logs.find((l) => l.msg === 'getOrder')
  print(`getOrder via ${via} on the ${where}`)
  print(`  ${result.ok ? 'ok' : 'failed'} in ${run.ms} ms (function ${String(log?.ms ?? '?')} ms, ${String(log?.attempts ?? '?')} upstream attempt(s)), request ${result.requestId}`)
  print(`  caller     ${String(log?.role ?? '?')} via source ${String(log?.source ?? '?')}${log?.caller ? ` (${String(log.caller)})` : ''}`)
  if (!result.ok) {
    printError(result.error)
    if (result.error.code === 'PERMISSION_DENIED' && o.batch) print('  (a batch needs an admin or a trusted server: add --admin, or --server)')
    return 1
  }
  const outDir = path.resolve(o.out ?? path.join(ROOT, 'out'))
  if ('order' in result) {
    await printOrder(result.order, result.warnings, outDir)
  } else {
    for (const [i, item] of result.orders.entries()) await printItem(item, i, outDir)
  }
  return 0
}

type Opts = Record<string, string | boolean | undefined>

function buildEvent(o: Opts): Record<string, unknown> | string {
  const printHtmlAs = o['print-html-as']
  if (printHtmlAs !== undefined && !['text', 'file', 'none'].includes(String(printHtmlAs))) {
    return '--print-html-as takes text, file or none.'
  }
  if (o.batch) {
    const file = readBatchFile(String(o.batch))
    if (!file.ok) return file.problem
    return { orders: file.orders, ...(printHtmlAs ? { printHtmlAs } : {}) }
  }
  const orderId = String(o.order ?? '01234567890123456789')
  const demo = demoOrders().find((d) => d.order_id === orderId && (o.carrier === undefined || d.delivery_id === o.carrier))
  const event: Record<string, unknown> = { orderId, deliveryId: o.carrier ?? demo?.delivery_id ?? 'SF' }
  const waybill = o.waybill ?? demo?.waybill_id
  if (waybill !== undefined) event.waybillId = waybill
  if (o['print-type'] !== undefined) event.printType = Number(o['print-type'])
  if (o.openid !== undefined) event.openid = o.openid
  if (printHtmlAs) event.printHtmlAs = printHtmlAs
  return event
}

async function printOrder(order: Order, warnings: Warning[], outDir: string) {
  print(`  order      ${order.orderId} (${order.deliveryId}), waybill ${order.waybillId ?? '(none)'}`)
  print(`  status     ${order.status}${order.statusCode === null ? '' : ` (order_status ${order.statusCode})`}`)
  if (order.waybillDataList.length) {
    print('  waybill data')
    const width = Math.max(...order.waybillDataList.map((e) => e.key.length))
    for (const e of order.waybillDataList) print(`    ${e.key.padEnd(width)}  ${e.value}`)
  } else {
    print('  waybill data  (none)')
  }
  const file = path.join(outDir, `${order.orderId.replace(/[^A-Za-z0-9_-]/g, '_')}.html`)
  const shown = path.relative(process.cwd(), file) || file
  if (order.printHtml !== null) {
    fs.mkdirSync(outDir, { recursive: true })
    fs.writeFileSync(file, order.printHtml)
    print(`  label      ${Buffer.byteLength(order.printHtml)} bytes of HTML, written to ${shown}`)
  } else if (order.printHtmlFile) {
    const stored = order.printHtmlFile
    const hours = (Date.parse(stored.expiresAt) - Date.now()) / 3_600_000
    print(`  label      stored in cloud storage as ${stored.fileID} (${stored.bytes} bytes)`)
    print(`             deleted at ${stored.expiresAt} (in ${hours.toFixed(1)} h; LABEL_TTL_HOURS), URL valid until then at most`)
    try {
      const res = await fetch(order.printHtmlFile.tempFileURL, { signal: AbortSignal.timeout(10_000) })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      fs.mkdirSync(outDir, { recursive: true })
      fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()))
      print(`             downloaded from its temporary URL to ${shown}`)
    } catch (err) {
      print(`             temporary URL ${order.printHtmlFile.tempFileURL} (not downloaded: ${(err as Error).message})`)
    }
  } else {
    print('  label      (none)')
  }
  print(`  warnings   ${warnings.length ? '' : 'none'}`)
  for (const w of warnings) print(`    ${w.code}: ${w.message}`)
}

async function printItem(item: BatchItem, i: number, outDir: string) {
  if (!item.ok) {
    print(`  [${i}] ${item.orderId} (${item.deliveryId}) failed: ${item.error.code}: ${item.error.message}`)
    return
  }
  print(`  [${i}]`)
  await printOrder(item.order, item.warnings, outDir)
}

function printError(error: Extract<Result, { ok: false }>['error']) {
  print(`  ${error.code}${error.field ? ` (${error.field})` : ''}: ${error.message}`)
  if (error.hint) print(`  hint: ${error.hint}`)
  if (error.wxErrCode !== undefined) print(`  upstream: errcode ${error.wxErrCode}${error.wxErrMsg ? `, ${error.wxErrMsg}` : ''}`)
  print(`  retryable: ${error.retryable}`)
}

function printList() {
  print('Demo orders (--order, --carrier):')
  for (const d of demoOrders()) {
    const label = d.label ? `${d.label.charset === 'gbk' ? 'GBK' : 'UTF-8'} label${d.label.padRows ? ', large' : ''}` : d.printHtml ? 'not a label' : 'no label'
    print(`  ${d.order_id.padEnd(22)} ${d.delivery_id.padEnd(4)} status ${d.order_status}  ${label}`)
  }
  print('\nScenarios (--scenario):')
  for (const [name, what] of Object.entries(SCENARIOS)) print(`  ${name.padEnd(18)} ${what}`)
}

function print(s: string) {
  process.stdout.write(`${s}\n`)
}

const fail = (message: string) => usage(message, 'See npm start -- --help.')

run(main, 2)
