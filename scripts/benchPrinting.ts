// The bench's printing rows (npm run bench -- --only=printing): distinct labels into one PDF,
// against each label in a browser context of its own (how every label was rendered before 0.9,
// and how a label with scripts still is), with where the time went; the same 60 labels end to end
// through npm run label -- --batch; and the peak memory of 1000 labels.
import { execFileSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { performance } from 'perf_hooks'
import { bulkOrder } from '../src/harness/backend'
import { labelHtml } from '../src/harness/labels'
import { DEFAULT_CHROMIUM, renderLabels } from '../src/render/render'
import { ROOT } from './artifact'
import type { Row } from './benchRow'

/** `DEMO-BULK-0001` … as the harness serves them: each label its own order, waybill and barcode. */
export function bulkLabels(n: number): { name: string; html: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `DEMO-BULK-${String(i + 1).padStart(4, '0')}`
    return { name: id, html: labelHtml(bulkOrder(id, 'SF')!.label!) }
  })
}

async function timedRun(n: number, perLabelContext: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-bench-print-'))
  const timings = new Map<string, number>()
  const started = performance.now()
  const r = await renderLabels(bulkLabels(n), { outDir: dir, pdfName: 'all.pdf', timings, ...(perLabelContext ? { allowScripts: true } : {}) })
  const seconds = (performance.now() - started) / 1000
  fs.rmSync(dir, { recursive: true, force: true })
  if (r.labels.some((l) => !l.ok)) throw new Error('a bulk label did not render in the bench')
  return { seconds, rate: n / seconds, perLabel: new Map([...timings].map(([k, v]) => [k, v / n])) }
}

export async function printingRows(quick: boolean): Promise<Row[]> {
  if (!fs.existsSync(DEFAULT_CHROMIUM)) return [{ name: 'labels to one PDF', ours: 'skipped: no Chromium', baseline: '—', ratio: '—', target: '—', holds: '—' }]
  const rows: Row[] = []
  const n = quick ? 20 : 100
  const ours = await timedRun(n, false)
  const base = await timedRun(quick ? 8 : 30, true)
  rows.push({
    name: `${n} distinct labels to one PDF (labels/s)`,
    ours: `${ours.rate.toFixed(1)} (${ours.seconds.toFixed(1)} s)`,
    baseline: `${base.rate.toFixed(2)} (a context per label)`,
    ratio: `${(ours.rate / base.rate).toFixed(1)}× faster`,
    target: '≥ 5 labels/s',
    holds: ours.rate >= 5 ? 'yes' : 'NO',
  })
  // Steps overlap (two or more labels at once), so they add up to more than the wall time.
  for (const step of new Set([...base.perLabel.keys(), ...ours.perLabel.keys()])) {
    const a = ours.perLabel.get(step)
    const b = base.perLabel.get(step)
    rows.push({
      name: `  step: ${step} (ms per label)`,
      ours: a === undefined ? '—' : a.toFixed(0),
      baseline: b === undefined ? '—' : b.toFixed(0),
      ratio: a !== undefined && b !== undefined && a > 0 ? (b / a).toFixed(1) : '—',
      target: '—',
      holds: '—',
    })
  }
  rows.push(endToEnd(quick ? 20 : 60))
  if (!quick) rows.push(peakRss(1000))
  return rows
}

/** `npm run label -- --batch` of DEMO-BULK-0001 … n, the fetch through the harness included. */
function endToEnd(n: number): Row {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-bench-e2e-'))
  const file = path.join(dir, 'orders.json')
  fs.writeFileSync(file, JSON.stringify(bulkLabels(n).map((l) => ({ orderId: l.name, deliveryId: 'SF' }))))
  const started = performance.now()
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'scripts', 'label.ts'), '--batch', file, '--out', dir], { cwd: ROOT, stdio: 'ignore' })
  const seconds = (performance.now() - started) / 1000
  const pages = (fs.readFileSync(path.join(dir, 'labels.pdf'), 'latin1').match(/\/Type \/Page\b/g) ?? []).length
  fs.rmSync(dir, { recursive: true, force: true })
  const rate = n / seconds
  return {
    name: `${n} distinct labels end to end, npm run label -- --batch (labels/s)`,
    ours: `${rate.toFixed(1)} (${seconds.toFixed(1)} s, ${pages} pages)`,
    baseline: '—',
    ratio: '—',
    target: '≥ 4 labels/s',
    holds: rate >= 4 && pages === n ? 'yes' : 'NO',
  }
}

/**
 * Memory of n labels into one PDF, in a process of its own capped at a 160 MB heap: the live heap
 * (after a full collection) at a fifth of the run and at its end, and the peak RSS. Bounded means
 * the run finishes under the cap and the heap does not grow with the labels.
 */
function peakRss(n: number): Row {
  const script = `const { bulkLabels } = require('./scripts/benchPrinting'); const { renderLabels } = require('./src/render/render');
const fs = require('fs'); const dir = fs.mkdtempSync(require('path').join(require('os').tmpdir(), 'getorder-bench-rss-'));
const live = () => (global.gc(), process.memoryUsage().heapUsed); const heap = {}; const started = Date.now();
renderLabels(bulkLabels(${n}), { outDir: dir, pdfName: 'all.pdf', onProgress: (d) => { if (d === ${n / 5}) heap.early = live() } }).then((r) => {
  heap.end = live(); const size = fs.statSync(r.pdf).size; fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ ok: r.labels.filter((l) => l.ok).length, size, ms: Date.now() - started, maxRssKb: process.resourceUsage().maxRSS, heap }))
})`
  const out = execFileSync(process.execPath, ['--max-old-space-size=160', '--expose-gc', '-r', 'ts-node/register/transpile-only', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 })
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { ok: number; size: number; ms: number; maxRssKb: number; heap: { early: number; end: number } }
  const mb = (b: number) => (b / 1024 / 1024).toFixed(0)
  const growth = r.heap.end / r.heap.early
  return {
    name: `memory of ${n} distinct labels to one PDF (Node, heap capped at 160 MB)`,
    ours: `live heap ${mb(r.heap.end)} MB at the end, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB (${r.ok} labels, ${(r.size / 1024 / 1024).toFixed(1)} MB PDF, ${(r.ms / 1000).toFixed(0)} s)`,
    baseline: `live heap ${mb(r.heap.early)} MB at label ${n / 5}`,
    ratio: `${growth.toFixed(2)}× from label ${n / 5} to ${n}`,
    target: 'finishes under the cap; heap growth ≤ 1.25×',
    holds: r.ok === n && growth <= 1.25 ? 'yes' : 'NO',
  }
}
