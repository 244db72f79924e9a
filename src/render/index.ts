/**
 * `wx-getorder/render`: labels to PNG and print-ready PDF in a sealed Chromium. Its own entry
 * point, so the main one needs no browser: install `playwright-core` and `pdf-lib` (optional peer
 * dependencies) and a Chromium (`apt-get install chromium fonts-noto-cjk`) to use it.
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
} from './render'
