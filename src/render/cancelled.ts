/** A cancelled waybill asked to print without `includeCancelled`: nothing is written for it. */
export class CancelledWaybillError extends Error {
  override readonly name = 'CancelledWaybillError'
  constructor(label: string) {
    super(`The waybill of ${label} is cancelled: not printed, since a parcel shipped under it is lost. Print it marked with includeCancelled (--include-cancelled).`)
  }
}

/**
 * The label with 已取消 / CANCELLED across it, on every page it prints to: our own markup, fixed
 * over the label, so no label style can hide it (the highest z-index, no pointer events).
 */
export function markCancelled(html: string): string {
  const mark =
    '<div style="position:fixed;left:0;top:0;width:100%;height:100%;display:flex;align-items:center;justify-content:center;pointer-events:none;z-index:2147483647;opacity:1;visibility:visible">' +
    '<div style="transform:rotate(-30deg);border:1.2mm solid #d00000;color:#d00000;background:rgba(255,255,255,0.75);font:bold 11mm/1.2 \'Noto Sans CJK SC\',sans-serif;padding:2mm 5mm;text-align:center;white-space:nowrap">已取消<br>CANCELLED</div></div>'
  const at = html.toLowerCase().lastIndexOf('</body>')
  return at < 0 ? html + mark : html.slice(0, at) + mark + html.slice(at)
}
