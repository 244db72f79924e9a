import { UpstreamError } from '../errors/upstream'

/**
 * POST JSON and read JSON back with Node's own fetch. Every error it builds names `label` (a
 * path), never the URL, since the URL carries the access token.
 */
export async function postJson(url: string, body: unknown, signal: AbortSignal, label: string): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    })
  } catch (err) {
    if (signal.aborted) throw new UpstreamError('timeout', `The HTTPS call to ${label} did not finish inside the time budget.`)
    throw new UpstreamError('network', `The HTTPS call to ${label} failed: ${causeOf(err)}.`)
  }
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    if (signal.aborted) throw new UpstreamError('timeout', `The HTTPS answer from ${label} did not arrive inside the time budget.`)
    throw new UpstreamError('network', `Reading the HTTPS answer from ${label} failed: ${causeOf(err)}.`)
  }
  if (res.status >= 500) {
    throw new UpstreamError('network', `The HTTPS call to ${label} answered HTTP ${res.status}.`, { httpStatus: res.status })
  }
  if (res.status !== 200) {
    throw new UpstreamError('bad-json', `The HTTPS call to ${label} answered HTTP ${res.status}.`, { httpStatus: res.status })
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new UpstreamError('bad-json', 'The upstream answer is not JSON.')
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } })?.cause
  if (cause && typeof cause.code === 'string') return cause.code
  return err instanceof Error ? err.name : 'unknown error'
}
