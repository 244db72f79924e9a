import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import * as pdfLib from 'pdf-lib'
import { PdfOut } from './pdfOut'

const { PDFDocument, StandardFonts } = pdfLib

async function source(texts: string[], size: [number, number]) {
  const doc = await PDFDocument.create()
  const font = await doc.embedFont(StandardFonts.Helvetica)
  for (const t of texts) doc.addPage(size).drawText(t, { x: 10, y: 10, size: 12, font })
  return PDFDocument.load(await doc.save())
}

test('pages from several PDFs, in the order appended, in a file every offset of which is right', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-pdfout-')), 'out.pdf')
  const a = await source(['a1', 'a2', 'a3'], [283.46, 425.2])
  const b = await source(['b1'], [283.46, 510.24])
  const out = new PdfOut(file, pdfLib)
  const fromA = out.copy(a, [0, 1, 2])
  const fromB = out.copy(b, [0])
  // Interleaved, as a group's pages are with a label printed alone between them.
  out.append([fromA[0]!, fromB[0]!, fromA[1]!, fromA[2]!])
  out.finish()
  expect(out.pages).toBe(4)

  const bytes = fs.readFileSync(file)
  const text = bytes.toString('latin1')
  // The cross-reference table points at each object's own header.
  const xrefAt = Number(/startxref\n(\d+)/.exec(text)![1])
  expect(text.slice(xrefAt, xrefAt + 4)).toBe('xref')
  const [, count] = /^xref\n0 (\d+)\n/.exec(text.slice(xrefAt))!
  const rows = text
    .slice(xrefAt)
    .split('\n')
    .slice(3, 2 + Number(count))
  rows.forEach((row, i) => expect(text.slice(Number(row.slice(0, 10)), Number(row.slice(0, 10)) + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`))

  const read = await PDFDocument.load(bytes)
  expect(read.getPageCount()).toBe(4)
  expect(read.getPages().map((p) => Math.round(p.getHeight()))).toEqual([425, 510, 425, 425])
  // The font of A's pages is written once, however many of them are copied.
  expect((text.match(/\/BaseFont \/Helvetica/g) ?? []).length).toBe(2)
})

test('abandoned, the file is closed and can be removed', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'getorder-pdfout-')), 'out.pdf')
  const out = new PdfOut(file, pdfLib)
  out.abandon()
  expect(fs.readFileSync(file, 'latin1').startsWith('%PDF-1.7')).toBe(true)
  fs.rmSync(file)
  expect(fs.existsSync(file)).toBe(false)
})
