/**
 * An environment read, parsed again only when one of the variables it reads changed since the
 * last good read. The environment is still read on every invocation (a test or a console edit
 * may change it); only a good read is kept, since an error is a fresh object each time that the
 * caller may change.
 */
export function lastGoodRead<R extends { ok: boolean }>(names: readonly string[], parse: (env: Record<string, string | undefined>) => R): (env: Record<string, string | undefined>) => R {
  let lastKey: string | undefined
  let lastGood: R | undefined
  return (env) => {
    let key = ''
    // Unset is not the text "undefined"; an environment value never holds a NUL.
    for (const name of names) key += env[name] === undefined ? '-\u0000' : `+${env[name]}\u0000`
    if (key === lastKey && lastGood !== undefined) return lastGood
    const read = parse(env)
    if (read.ok) {
      lastKey = key
      lastGood = read
    }
    return read
  }
}
