import * as fs from 'fs'

/** At most this many problems are listed, one line each. */
const MAX_PROBLEMS = 20

/**
 * A batch file, as `npm start -- --batch` and `npm run label -- --batch` read it: a JSON array of
 * `{ orderId, deliveryId, waybillId? }`, or an object with that array as `orders`. What is wrong
 * with it is said one line a problem, naming the item; the function still validates the orders.
 */
export function readBatchFile(file: string): { ok: true; orders: unknown[] } | { ok: false; problem: string } {
  let parsed: unknown
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
  } catch (err) {
    return { ok: false, problem: `Cannot read the batch file ${file}: ${(err as Error).message}` }
  }
  const orders = Array.isArray(parsed)
    ? parsed
    : typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { orders?: unknown }).orders)
      ? (parsed as { orders: unknown[] }).orders
      : undefined
  if (orders === undefined) {
    return { ok: false, problem: `${file}: not a batch: expected a JSON array of { orderId, deliveryId, waybillId? } (or an object with that array as "orders").` }
  }
  if (orders.length === 0) return { ok: false, problem: `${file}: the batch is empty.` }
  const problems: string[] = []
  orders.forEach((o, i) => {
    const at = `${file}: item ${i + 1}`
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return void problems.push(`${at} is not an object { orderId, deliveryId, waybillId? }.`)
    const item = o as Record<string, unknown>
    for (const key of ['orderId', 'deliveryId'] as const) {
      if (typeof item[key] !== 'string' || item[key] === '') problems.push(`${at} has no ${key} (a non-empty string).`)
    }
    if (item.waybillId !== undefined && typeof item.waybillId !== 'string') problems.push(`${at}: waybillId is not a string.`)
    const unknown = Object.keys(item).filter((k) => k !== 'orderId' && k !== 'deliveryId' && k !== 'waybillId')
    if (unknown.length > 0) problems.push(`${at} has ${unknown.map((k) => JSON.stringify(k)).join(', ')}: an order takes only orderId, deliveryId and waybillId.`)
  })
  if (problems.length > 0) {
    const more = problems.length > MAX_PROBLEMS ? [`… and ${problems.length - MAX_PROBLEMS} more.`] : []
    return { ok: false, problem: [...problems.slice(0, MAX_PROBLEMS), ...more].join('\n') }
  }
  return { ok: true, orders }
}
