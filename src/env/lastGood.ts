/**
 * An environment read, parsed again only when one of the variables it reads changed since the
 * last good read. The environment is still read on every invocation (a test or a console edit
 * may change it), each variable once: `process.env` is a native lookup per read, the costliest
 * part of a small label's invocation on Node 18. Only a good read is kept, since an error is a
 * fresh object each time that the caller may change.
 */
export function lastGoodRead<R extends { ok: boolean }>(names: readonly string[], parse: (env: Record<string, string | undefined>) => R): (env: Record<string, string | undefined>) => R {
  const last: (string | undefined)[] = new Array<string | undefined>(names.length)
  let lastGood: R | undefined
  const now: (string | undefined)[] = new Array<string | undefined>(names.length)
  return (env) => {
    let same = lastGood !== undefined
    for (let i = 0; i < names.length; i++) {
      const v = env[names[i]!]
      now[i] = v
      if (v !== last[i]) same = false
    }
    if (same) return lastGood!
    // Parsed from the values just read, so the parse and the comparison see the same environment.
    const snapshot: Record<string, string | undefined> = {}
    for (let i = 0; i < names.length; i++) if (now[i] !== undefined) snapshot[names[i]!] = now[i]
    const read = parse(snapshot)
    if (read.ok) {
      for (let i = 0; i < names.length; i++) last[i] = now[i]
      lastGood = read
    }
    return read
  }
}
