/**
 * `wx-getorder/render`: labels to PNG, print-ready PDF and a label printer's own language (TSPL,
 * ZPL) in a sealed Chromium. Its own entry
 * point, so the main one needs no browser: install `playwright-core` and `pdf-lib` (optional peer
 * dependencies; `pngjs` too for printer output) and a Chromium (`apt-get install chromium fonts-noto-cjk`) to use it.
 *
 * @example
 * import { renderLabel } from 'wx-getorder/render'
 * const { pdf } = await renderLabel(order.printHtml!, { outDir: 'out', name: order.orderId, printType: 1 })
 */
export {
  renderLabel,
  renderLabels,
  markCancelled,
  pageSizeFor,
  safeFileName,
  LabelRenderError,
  CancelledWaybillError,
  RenderLimitError,
  DEFAULT_CHROMIUM,
  INSTALL_HINT,
  DEFAULT_SIZES,
  type RenderOptions,
  type RenderLabelsOptions,
  type Rendered,
  type RenderedLabels,
  type LabelToRender,
  type LabelOutcome,
  type NotPrinted,
  type PageSize,
  type SealOptions,
  type PrintedLabel,
} from './render'
export { printerOutput, DEFAULT_DPI, PRINTER_FORMATS, type PrinterFormat, type PrinterOutput, type PrinterOutputOptions } from '../print/output'
export { toBitmap, type Bitmap } from '../print/bitmap'
export { tsplLabel } from '../print/tspl'
export { zplLabel, type ZplEncoding } from '../print/zpl'
export { escposLabel } from '../print/escpos'
export { readEscpos, readTspl, readZpl, type ReadLabel } from '../print/read'
export { parsePrinter, openPrinter, PrinterFailure, type PrinterTarget, type PrinterSink } from '../print/printer'
