/**
 * Picks the field a caller probably meant: `order_id`, `orderID` and `OrderId` all fold to
 * `orderid`; otherwise the closest name within two edits.
 */
export function suggestField(key: string, known: readonly string[]): string | undefined {
  const folded = fold(key)
  const exact = known.find((k) => fold(k) === folded)
  if (exact !== undefined) return exact
  let best: string | undefined
  let bestDistance = 3
  for (const k of known) {
    const d = editDistance(folded, fold(k), bestDistance)
    if (d < bestDistance) {
      best = k
      bestDistance = d
    }
  }
  return best
}

function fold(s: string): string {
  return s.toLowerCase().replace(/[_\-\s]/g, '')
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost)
      cur.push(v)
      if (v < rowMin) rowMin = v
    }
    if (rowMin >= limit) return limit
    prev = cur
  }
  return Math.min(prev[b.length]!, limit)
}
