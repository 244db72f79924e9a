/**
 * A waybill's Code 128 barcode as inline SVG markup, drawn by bwip-js (an optional peer
 * dependency; without it the demo labels keep their decorative bars). Stretched to its box, so the
 * label's layout does not depend on the code's length.
 *
 * @example
 * code128Svg('SF1300000015838') // '<svg viewBox="0 0 290 69" preserveAspectRatio="none" …'
 */
export function code128Svg(text: string): string | undefined {
  let bwip: { toSVG(options: { bcid: string; text: string; height: number }): string }
  try {
    bwip = require('bwip-js') as typeof bwip
  } catch {
    return undefined
  }
  return bwip.toSVG({ bcid: 'code128', text, height: 12 }).replace('<svg ', '<svg preserveAspectRatio="none" style="display:block;width:100%;height:100%" ')
}
