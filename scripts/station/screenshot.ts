// Makes docs/station.png, the README's picture of the print station: examples/orders.json on the
// desk, the printable labels selected and printed, in Debian's Chromium at a laptop's 1366 px.
//   npx ts-node --transpile-only scripts/station/screenshot.ts [out.png]
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { chromium } from 'playwright-core'
import { readBatchFile } from '../../src/harness/batchFile'
import { DEFAULT_CHROMIUM } from '../../src/render/render'
import { Desk } from './desk'
import { startStation } from './server'

async function main() {
  const root = path.resolve(__dirname, '..', '..')
  const out = path.resolve(process.argv[2] ?? path.join(root, 'docs', 'station.png'))
  const batch = readBatchFile(path.join(root, 'examples', 'orders.json'))
  if (!batch.ok) throw new Error(batch.problem)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-station-shot-'))
  const desk = new Desk({ outDir: dir, from: {} })
  await desk.add(batch.orders as { orderId: string; deliveryId: string }[])
  const station = await startStation({ desk, host: '127.0.0.1', port: 0 })
  const browser = await chromium.launch({ executablePath: DEFAULT_CHROMIUM })
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 860 } })
    await page.goto(station.url)
    await page.waitForFunction(() => document.querySelectorAll('.card img').length === 4)
    await page.keyboard.press('a')
    await page.keyboard.press('p')
    await page.waitForFunction(() => document.querySelector('#job-text')?.textContent?.startsWith('已打印'))
    await page.waitForFunction(() => document.querySelectorAll('.card img').length === 4 && Array.from(document.images).every((i) => i.complete))
    await page.screenshot({ path: out })
    process.stdout.write(`${path.relative(process.cwd(), out)}\n`)
  } finally {
    await browser.close()
    await station.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
