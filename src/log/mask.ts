/** Enough of an openid to tell two callers apart in logs, never the whole of it. */
export function maskOpenid(openid: string | undefined): string | undefined {
  if (openid === undefined) return undefined
  if (openid.length <= 8) return '***'
  return `${openid.slice(0, 4)}***${openid.slice(-2)}`
}
