/**
 * One flat record per line. Values are strings, numbers or booleans: the CloudBase logger
 * accepts only flat records, and flat records are what log search indexes best.
 */
export type LogRecord = Record<string, string | number | boolean | undefined>

export interface Logger {
  info(record: LogRecord): void
  error(record: LogRecord): void
}

/** JSON lines to stdout/stderr, for everywhere but the cloud. */
export const jsonLogger: Logger = {
  info: (r) => process.stdout.write(`${JSON.stringify({ level: 'info', ...r })}\n`),
  error: (r) => process.stderr.write(`${JSON.stringify({ level: 'error', ...r })}\n`),
}

/** Drops everything: for library users who log on their own. */
export const silentLogger: Logger = { info: () => {}, error: () => {} }

/** Keeps every record, for tests. */
export function memoryLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = []
  return { records, info: (r) => records.push({ level: 'info', ...r }), error: (r) => records.push({ level: 'error', ...r }) }
}

/** Adapts `cloud.logger()` (string values only) to our Logger. */
export function cloudLogger(cloudLog: { info(o: object): void; error(o: object): void }): Logger {
  const flat = (r: LogRecord) => {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = String(v)
    return out
  }
  return { info: (r) => cloudLog.info(flat(r)), error: (r) => cloudLog.error(flat(r)) }
}
