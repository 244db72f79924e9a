import { createHash } from 'crypto'

/**
 * A name that is safe as a file name in `outDir`: no path separators, no `..`, no control
 * characters, at most 100 characters. Order ids are the merchant's and may hold any of these.
 */
export function safeFileName(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._\-\u4e00-\u9fff]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 100)
  return cleaned === '' ? '_' : cleaned
}

/** A PDF's file name: safe, and ending in `.pdf` whatever the length of `name`. */
export function pdfFileName(name: string): string {
  return `${safeFileName(name.replace(/\.pdf$/i, '')).slice(0, 96)}.pdf`
}

/**
 * One file name per label, unique by construction: the safe form of the name when it is the name
 * itself and no other label's, else that form with a hash of the label's position and whole name,
 * so `ORDER/1`, `ORDER?1` and `ORDER 1` (all `ORDER_1`) or two long names cut alike never share a file.
 */
export function uniqueFileNames(names: readonly string[]): string[] {
  const counts = new Map<string, number>()
  for (const n of names) counts.set(safeFileName(n), (counts.get(safeFileName(n)) ?? 0) + 1)
  return names.map((n, i) => {
    const safe = safeFileName(n)
    if (safe === n && counts.get(safe) === 1) return safe
    return `${safe.slice(0, 88)}-${createHash('sha256').update(`${i}\u0000${n}`).digest('hex').slice(0, 10)}`
  })
}
