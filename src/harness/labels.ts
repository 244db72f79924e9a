import * as iconv from 'iconv-lite'

export interface LabelSpec {
  orderId: string
  deliveryId: string
  waybillId: string
  carrier: string
  sender: { name: string; phone: string; address: string }
  receiver: { name: string; phone: string; address: string }
  goods: string
  /** 1: one-part label (100×150 mm), 0: two-part (100×180 mm) */
  printType: 0 | 1
  charset?: 'utf-8' | 'gbk'
  /** extra rows of goods detail, to make a large label */
  padRows?: number
  /**
   * 'goods' (the default): short rows, a third Chinese; 'markup': styled rows, mostly ASCII;
   * 'template': a carrier template as real labels are made, table markup with inline styles and
   * two barcodes as `data:image/png;base64` images of about 10 KB each (mostly ASCII); 'cjk':
   * paragraphs of Chinese text with hardly any markup (about 90% of the bytes non-ASCII)
   */
  padStyle?: 'goods' | 'markup' | 'template' | 'cjk'
  /** the waybill's barcode as SVG markup (a real Code 128), in place of the decorative bars */
  barcode?: string
}

const CJK_LINES = [
  '商品明细：精装图书一套，共三册，含书签与收藏证书，外包装为硬质纸盒，请轻拿轻放，避免挤压受潮。',
  '收件地址：广东省广州市天河区珠江新城华夏路某号某大厦某层，工作日九点至十八点收货，节假日请先电话联系。',
  '备注说明：易碎物品，已加装气泡膜与泡沫护角；如外包装破损，请当面验货后再签收，并拍照留存凭证。',
  '寄件信息：北京市朝阳区建国路某号某中心某座，联系人王先生，退换货请附原始单据及完整配件。',
]

/**
 * A label shaped like the ones carriers return: a fixed-size page, a barcode block, sender and
 * receiver, with Chinese text. Deterministic for a given spec.
 */
export function labelHtml(spec: LabelSpec): string {
  const height = spec.printType === 1 ? 150 : 180
  const rows: string[] = []
  for (let i = 0; i < (spec.padRows ?? 0); i++) {
    rows.push(
      spec.padStyle === 'template'
        ? `<tr style="height:5mm;border-bottom:1px solid #000;font-size:9pt"><td style="width:8mm;text-align:right;padding:0 1mm;border-right:1px solid #000">${i + 1}</td><td style="text-align:left;padding-left:1mm">SKU-${String(i).padStart(6, '0')} ${i % 4 === 0 ? '易碎品 轻放' : 'standard'}</td><td style="width:10mm;text-align:center">${(i % 9) + 1}</td></tr>`
        : spec.padStyle === 'cjk'
          ? `<p>${CJK_LINES[i % CJK_LINES.length]}</p>`
          : spec.padStyle === 'markup'
            ? `<tr class="row row-${i % 2 ? 'odd' : 'even'}" style="height:6mm;border-bottom:1px dashed #333"><td class="cell cell-index" style="width:8mm;text-align:right;padding:0 1mm">${i + 1}</td><td class="cell cell-name" style="text-align:left;font-family:monospace">SKU-${String(i).padStart(6, '0')} 规格</td><td class="cell cell-qty" style="width:10mm;text-align:center">${(i % 9) + 1}</td></tr>`
            : `<tr><td>${i + 1}</td><td>商品明细 第${i + 1}行 规格 ${spec.goods}</td><td>${(i % 9) + 1}</td></tr>`,
    )
  }
  const bars =
    spec.padStyle === 'template'
      ? [1, 2].map((n) => `<img style="width:80mm;height:15mm" alt="barcode ${n}" src="data:image/png;base64,${pseudoPng(`${spec.waybillId}/${n}`, 7500)}">`).join('')
      : spec.barcode !== undefined
        ? `<b class="code">${spec.barcode}</b>`
        : Array.from(spec.waybillId, (ch) => `<i style="width:${(ch.charCodeAt(0) % 3) + 1}px"></i>`).join('')
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="${spec.charset ?? 'utf-8'}">
<title>${spec.carrier}电子面单 ${spec.waybillId}</title>
<style>
@page { size: 100mm ${height}mm; margin: 0; }
html, body { margin: 0; padding: 0; }
body { box-sizing: border-box; width: 100mm; height: ${height}mm; padding: 2mm; overflow: hidden; font-family: "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", sans-serif; font-size: 11pt; color: #000; }
.box { border: 1px solid #000; margin: 0 0 2mm; padding: 2mm; }
.carrier { font-size: 20pt; font-weight: bold; }
.barcode { display: flex; height: 14mm; gap: 1px; margin: 2mm 0; }
.barcode i { display: block; background: #000; height: 100%; }
.barcode .code { display: block; width: 80mm; height: 100%; margin: 0 auto; }
.big { font-size: 16pt; font-weight: bold; }
table { width: 100%; border-collapse: collapse; font-size: 8pt; }
td { border: 1px solid #000; padding: 1px 2px; }
</style>
</head>
<body>
<div class="box"><span class="carrier">${spec.carrier}</span> 标准快递 <span class="big">${spec.deliveryId}</span></div>
<div class="box"><div class="barcode">${bars}</div><div>运单号：${spec.waybillId}</div></div>
<div class="box"><div class="big">收 ${spec.receiver.name} ${spec.receiver.phone}</div><div>${spec.receiver.address}</div></div>
<div class="box"><div>寄 ${spec.sender.name} ${spec.sender.phone}</div><div>${spec.sender.address}</div></div>
<div class="box"><div>订单号：${spec.orderId}</div><div>物品：${spec.goods}</div>${rows.length ? `<table>${rows.join('')}</table>` : ''}</div>
<div class="box">签收人：__________ 时间：____年__月__日</div>
</body>
</html>
`
}

/** The label as the API sends it: base64 of its bytes in the declared charset. */
export function labelBase64(spec: LabelSpec): string {
  const html = labelHtml(spec)
  const bytes = spec.charset === 'gbk' ? iconv.encode(html, 'gb18030') : Buffer.from(html, 'utf8')
  return bytes.toString('base64')
}

/** A PNG-sized run of bytes, deterministic from `seed`, as base64 (a barcode image stands in). */
function pseudoPng(seed: string, bytes: number): string {
  let x = 2166136261
  for (const ch of seed) x = Math.imul(x ^ ch.charCodeAt(0), 16777619)
  const out = Buffer.alloc(bytes)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(out)
  for (let i = 8; i < bytes; i++) {
    x = Math.imul(x ^ (x >>> 15), 2246822507) + i
    out[i] = x >>> 24
  }
  return out.toString('base64')
}
