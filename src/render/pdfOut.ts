import * as fs from 'fs'
import type { PDFDocument } from 'pdf-lib'

type PdfLib = typeof import('pdf-lib')

/** Object numbers kept for the end: the catalog and the one page tree every page hangs from. */
const CATALOG = 1
const PAGES = 2

/**
 * A PDF written to its file as pages come, so a run of a thousand labels holds one group's PDF
 * in memory, not every object of the document as pdf-lib's own `save` needs. Pages are copied with pdf-lib's object copier into a context of their own whose
 * numbering continues the file's, written out at once, and hung from one page tree at the end.
 * Plain cross-reference table, no object streams: the plainest PDF, which every driver reads.
 */
export class PdfOut {
  private readonly fd: number
  private offset = 0
  private readonly offsets: number[] = []
  private readonly kids: number[] = []
  private next = PAGES + 1

  constructor(
    readonly file: string,
    private readonly lib: PdfLib,
  ) {
    this.fd = fs.openSync(file, 'w')
    this.write(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'))
  }

  /** Pages joined so far. */
  get pages(): number {
    return this.kids.length
  }

  /**
   * Writes pages of `src` (and everything they use, once for all of them: a group's fonts stay
   * shared) and returns their object numbers, to be put in order with `append`.
   */
  copy(src: PDFDocument, indices: number[]): number[] {
    const { PDFContext, PDFObjectCopier, PDFName, PDFRef } = this.lib
    const context = PDFContext.create()
    context.largestObjectNumber = this.next - 1
    const copier = PDFObjectCopier.for(src.context, context)
    const refs = indices.map((i) => {
      const page = copier.copy(src.getPage(i).node)
      page.set(PDFName.of('Parent'), PDFRef.of(PAGES))
      return context.register(page).objectNumber
    })
    const objects = new Map(context.enumerateIndirectObjects().map(([ref, object]) => [ref.objectNumber, object]))
    for (let n = this.next; n <= context.largestObjectNumber; n++) {
      const object = objects.get(n)
      // A reference the source left dangling still gets its number: as null, as PDF has it.
      this.object(n, object ? bytesOf(object) : Buffer.from('null'))
    }
    this.next = context.largestObjectNumber + 1
    return refs
  }

  /** Hangs written pages from the page tree, in this order. */
  append(refs: number[]): void {
    this.kids.push(...refs)
  }

  /** Writes the page tree, the catalog, the cross-reference table and the trailer; closes the file. */
  finish(): void {
    this.object(PAGES, Buffer.from(`<< /Type /Pages /Kids [${this.kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${this.kids.length} >>`))
    this.object(CATALOG, Buffer.from(`<< /Type /Catalog /Pages ${PAGES} 0 R >>`))
    const size = this.next
    const start = this.offset
    const rows = [`xref\n0 ${size}\n`, '0000000000 65535 f \n']
    for (let n = 1; n < size; n++) rows.push(`${String(this.offsets[n]).padStart(10, '0')} 00000 n \n`)
    rows.push(`trailer\n<< /Size ${size} /Root ${CATALOG} 0 R >>\nstartxref\n${start}\n%%EOF\n`)
    this.write(Buffer.from(rows.join(''), 'latin1'))
    fs.closeSync(this.fd)
  }

  /** Closes the file without finishing it (the run failed). */
  abandon(): void {
    fs.closeSync(this.fd)
  }

  private object(n: number, body: Uint8Array) {
    this.offsets[n] = this.offset
    this.write(Buffer.concat([Buffer.from(`${n} 0 obj\n`), body, Buffer.from('\nendobj\n')]))
  }

  private write(bytes: Buffer) {
    fs.writeSync(this.fd, bytes)
    this.offset += bytes.length
  }
}

function bytesOf(object: { sizeInBytes(): number; copyBytesInto(buffer: Uint8Array, offset: number): number }): Uint8Array {
  const buffer = new Uint8Array(object.sizeInBytes())
  object.copyBytesInto(buffer, 0)
  return buffer
}
