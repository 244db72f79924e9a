// The orders a print run prints: fetched through the function (the local harness, or with --live
// the deployed one), each with its label's HTML, stored labels downloaded. npm run label and
// npm run station both fetch here.
import * as path from 'path'
import { identityEnv } from '../src/harness/bootstrap'
import { invokeOnce } from '../src/harness/invoke'
import { DEMO_ADMIN } from '../src/harness/owners'
import type { BatchItem, Order, OrderStatus } from '../src/types'
import { liveTarget } from './live'

const ROOT = path.resolve(__dirname, '..')

/** Where the orders come from: a fault on the fake gateway, or the deployed function. */
export type FetchFrom = { scenario?: string | undefined; live?: boolean | undefined; env?: string | undefined }

export type Fetched = { ok: true; orderId: string; html: string; status: OrderStatus } | { ok: false; orderId: string; code: string; message: string; noLabel?: true }

/** Fetches orders through the function (harness or live), labels inline, stored ones downloaded. */
export async function fetchOrders(event: Record<string, unknown>, o: FetchFrom): Promise<{ ok: true; items: Fetched[] } | { ok: false; problem: string }> {
  let invoked: Awaited<ReturnType<typeof invokeOnce>>
  const live = o.live ? liveTarget(o.env ?? process.env.ENV_ID) : undefined
  if (live && !live.ok) return { ok: false, problem: live.problem }
  try {
    invoked = await invokeOnce({
      functionDir: path.join(ROOT, 'cloudfunctions', 'getOrder'),
      event,
      env: { ...identityEnv({ openid: DEMO_ADMIN }), ADMIN_OPENIDS: DEMO_ADMIN },
      timeoutSec: 10,
      hold: true,
      ...(o.scenario !== undefined ? { scenario: o.scenario } : {}),
      ...(live?.ok ? { live: live.target } : {}),
    })
  } catch (err) {
    // The fetch failed (the runtime could not start, say): exit 2, as documented, not a stack.
    return { ok: false, problem: `Fetching the orders failed: ${err instanceof Error ? err.message : String(err)}` }
  }
  if (!invoked.ok) return { ok: false, problem: invoked.problem }
  try {
    const result = invoked.run.result
    if (!result) return { ok: false, problem: `The function printed no result:\n${invoked.run.stderr || invoked.run.stdout}` }
    if (!result.ok) return { ok: false, problem: `getOrder failed: ${result.error.code}: ${result.error.message}${result.error.hint ? `\nhint: ${result.error.hint}` : ''}` }
    const items: BatchItem[] = 'order' in result ? [{ ok: true, order: result.order, warnings: result.warnings }] : result.orders
    const fetched: Fetched[] = []
    for (const item of items) {
      if (!item.ok) fetched.push({ ok: false, orderId: item.orderId, code: item.error.code, message: item.error.message })
      else
        fetched.push(
          await labelOf(
            item.order,
            item.warnings.map((w) => w.code),
          ),
        )
    }
    return { ok: true, items: fetched }
  } finally {
    await invoked.close()
  }
}

async function labelOf(order: Order, warnings: string[]): Promise<Fetched> {
  if (order.printHtml !== null) return { ok: true, orderId: order.orderId, html: order.printHtml, status: order.status }
  if (order.printHtmlFile) {
    const res = await fetch(order.printHtmlFile.tempFileURL, { signal: AbortSignal.timeout(15_000) })
    if (res.ok) return { ok: true, orderId: order.orderId, html: await res.text(), status: order.status }
    return { ok: false, orderId: order.orderId, code: 'DOWNLOAD_FAILED', message: `The stored label could not be downloaded (HTTP ${res.status}).` }
  }
  const code = warnings.find((w) => w.startsWith('PRINT_HTML')) ?? 'PRINT_HTML_MISSING'
  return { ok: false, orderId: order.orderId, code, message: 'The order has no printable label.', noLabel: true }
}
