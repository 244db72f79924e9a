import type { PDFDocument } from 'pdf-lib'
import type { PrintType } from '../types'
import type { PageSize } from './page'

/** What one label is rendered with. */
export interface OneLabel {
  name: string
  html: string
  printType?: PrintType
}

export interface OneOptions {
  size?: { widthMm: number; heightMm: number }
  allowScripts: boolean
  maxPages: number
  timeoutMs: number
  /** capture the label as a PNG (in print media: what the PDF shows) */
  png: boolean
  loadPdf(bytes: Uint8Array): Promise<PDFDocument>
  /** device pixels per CSS pixel the pictures are taken at (the slot's) */
  scale?: number
  /** milliseconds spent per step, summed over labels (for the bench) */
  timings?: Map<string, number> | undefined
}

/** Runs one step, adding its time to `timings` when there are any. */
export async function timed<T>(timings: Map<string, number> | undefined, name: string, step: () => Promise<T>): Promise<T> {
  if (!timings) return step()
  const started = performance.now()
  try {
    return await step()
  } finally {
    timings.set(name, (timings.get(name) ?? 0) + performance.now() - started)
  }
}

export interface OneRendered {
  page: PageSize
  /** the PDF the label's pages are in: its own, or its group's */
  pdf: PDFDocument
  /** the label's pages in `pdf` */
  pageIndices: number[]
  /** the label's first page as a picture */
  png?: Buffer
  /** each of its pages as a picture */
  pngs?: Buffer[]
}
