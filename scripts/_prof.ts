import { renderLabels } from '../src/render/render'
import { bulkOrder } from '../src/harness/backend'
import { labelHtml } from '../src/harness/labels'
async function main() {
  const n = Number(process.argv[2] ?? 60)
  const labels = Array.from({ length: n }, (_, i) => {
    const o = bulkOrder('DEMO-BULK-' + String(i + 1).padStart(4, '0'), 'SF')!
    return { name: o.order_id, html: labelHtml(o.label!) }
  })
  const t = performance.now()
  const r = await renderLabels(labels, { outDir: '/tmp/prof', pdfName: 'p.pdf', concurrency: Number(process.argv[3] ?? 4) })
  console.log(n, ((performance.now() - t) / 1000).toFixed(2), 's', r.labels.filter((l) => !l.ok).length, 'failed')
}
main()
