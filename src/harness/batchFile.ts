import * as fs from 'fs'

/**
 * A batch file, as `npm start -- --batch` and `npm run label -- --batch` read it: a JSON array of
 * `{ orderId, deliveryId, waybillId? }`, or an object with that array as `orders`. The function
 * validates the orders themselves; this only reads the file.
 */
export function readBatchFile(file: string): { ok: true; orders: unknown } | { ok: false; problem: string } {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
    return { ok: true, orders: Array.isArray(parsed) ? parsed : (parsed as { orders?: unknown } | null)?.orders }
  } catch (err) {
    return { ok: false, problem: `Cannot read the batch file ${file}: ${(err as Error).message}` }
  }
}
