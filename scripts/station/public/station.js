// The print station's page: plain DOM, no dependencies. It only ever shows pictures of labels
// (PNGs the station made in its sealed renderer) and words; the label's HTML never comes here.
'use strict'

const STATES = {
  ready: ['可打印', 'ready'],
  cancelled: ['已取消 CANCELLED', 'cancelled'],
  'no-label': ['无面单 no label', 'bad'],
  failed: ['获取失败 not fetched', 'bad'],
}
const selected = new Set()
let rows = []
let polling = null

const $ = (id) => document.getElementById(id)
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props)
  for (const child of children) node.append(child)
  return node
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const data = await res.json()
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`)
  return data
}

function card(row) {
  const [word, tone] = STATES[row.state]
  const printable = row.state === 'ready'
  const box = el('input', { type: 'checkbox', checked: selected.has(row.id), disabled: !printable, id: `pick-${row.id}` })
  box.addEventListener('change', () => {
    if (box.checked) selected.add(row.id)
    else selected.delete(row.id)
    draw()
  })
  const badges = el('div', {}, el('span', { className: `badge ${tone}`, textContent: word }))
  if (row.printed > 0) badges.append(' ', el('span', { className: 'badge printed', textContent: `已打印 printed ×${row.printed}` }))
  if (row.lastPrint && !row.lastPrint.ok) badges.append(' ', el('span', { className: 'badge bad', textContent: `打印失败 ${row.lastPrint.code}` }))
  const picture = el('div', { className: 'picture' })
  if (row.picture === 'ready') picture.append(el('img', { src: `/api/orders/${row.id}/label.png`, alt: `面单 label ${row.orderId}${row.state === 'cancelled' ? '（已取消）' : ''}` }))
  else picture.textContent = row.picture === 'pending' ? '正在生成面单图… rendering…' : '无面单图 no picture'
  const node = el(
    'article',
    { className: `card ${row.state}${selected.has(row.id) ? ' selected' : ''}` },
    el('label', { htmlFor: box.id }, box, `${row.orderId}`),
    el('div', { className: 'en', textContent: row.deliveryId }),
    badges,
    picture,
  )
  const why = row.problem
    ? `${row.problem.code}: ${row.problem.message}`
    : row.state === 'cancelled'
      ? '运单已取消，不打印（按此单发货会丢件）。 The waybill is cancelled: not printed.'
      : row.lastPrint && !row.lastPrint.ok
        ? row.lastPrint.message
        : ''
  if (why) node.append(el('p', { className: 'why', textContent: why }))
  if (row.printed > 0 || (row.lastPrint && !row.lastPrint.ok)) {
    const again = el('button', { type: 'button', textContent: '再次打印 Print again' })
    again.addEventListener('click', () => print([row.id]))
    node.append(again)
  }
  return node
}

function draw() {
  const printable = rows.filter((r) => r.state === 'ready').length
  const cancelled = rows.filter((r) => r.state === 'cancelled').length
  const failed = rows.length - printable - cancelled
  $('summary').textContent = `${rows.length} 个订单 orders · ${printable} 可打印 printable · ${cancelled} 已取消 cancelled · ${failed} 无法打印 cannot print · 已选 ${selected.size} selected`
  $('orders').replaceChildren(...rows.map(card))
  $('print').disabled = selected.size === 0
}

async function load() {
  try {
    const data = await api('/api/orders')
    rows = data.rows
    $('printer').textContent = data.printer ? `打印机 Printer: ${data.printer}` : '打印为 PDF（下载）Prints to a PDF download'
    draw()
    if (rows.some((r) => r.picture === 'pending')) setTimeout(load, 700)
  } catch (err) {
    $('summary').textContent = `读取失败 Could not load: ${err.message}`
  }
}

async function print(ids) {
  if (ids.length === 0) return
  $('print').disabled = true
  $('job').hidden = false
  $('job-pdf').hidden = true
  try {
    const { job } = await api('/api/print', { rows: ids })
    follow(job.id)
  } catch (err) {
    $('job-text').textContent = `打印失败 ${err.message}`
  }
}

function follow(id) {
  clearTimeout(polling)
  const step = async () => {
    const { job } = await api(`/api/jobs/${id}`)
    $('job-progress').max = Math.max(1, job.total)
    $('job-progress').value = job.done
    $('job-text').textContent =
      job.state === 'running'
        ? `正在打印 Printing ${job.done}/${job.total}…`
        : job.state === 'failed'
          ? `打印失败 Print failed: ${job.message}`
          : `已打印 ${job.printed} 张 Printed ${job.printed} of ${job.total}${job.printer ? (job.printer.problem ? ` · 打印机出错 printer failed: ${job.printer.problem}` : ` · 已发送到打印机 sent to ${job.printer.target}`) : ''}`
    if (job.pdf) {
      $('job-pdf').href = job.pdf
      $('job-pdf').hidden = false
    }
    $('not-printed').hidden = job.notPrinted.length === 0
    $('not-printed-list').replaceChildren(...job.notPrinted.map((n) => el('li', { textContent: `${n.orderId} — ${n.code}: ${n.message}` })))
    if (job.state === 'running') polling = setTimeout(step, 400)
    else {
      selected.clear()
      await load()
    }
  }
  step().catch((err) => ($('job-text').textContent = err.message))
}

$('select-all').addEventListener('click', () => {
  for (const r of rows) if (r.state === 'ready') selected.add(r.id)
  draw()
})
$('select-none').addEventListener('click', () => {
  selected.clear()
  draw()
})
$('print').addEventListener('click', () => print([...selected]))
$('add').addEventListener('click', async () => {
  $('add-text').textContent = '正在读取… fetching…'
  try {
    const { rows: added } = await api('/api/orders', { text: $('typed').value })
    $('typed').value = ''
    $('add-text').textContent = `已添加 ${added.length} 个 added`
    await load()
  } catch (err) {
    $('add-text').textContent = err.message
  }
})
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return
  if (e.key === 'a') $('select-all').click()
  if (e.key === 'p' && !$('print').disabled) $('print').click()
})
load()
