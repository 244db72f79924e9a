import * as fs from 'fs'
import * as net from 'net'

/** The printer could not be reached, or stopped taking the job. */
export class PrinterFailure extends Error {
  override readonly name = 'PrinterFailure'
}

/** Where printer bytes go besides the file: a raw TCP port (9100, "JetDirect") or a device file. */
export type PrinterTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'file'; path: string }

/**
 * `tcp://host:port` or `file:/dev/usb/lp0` (a path after `file:`), else a message saying what is
 * accepted.
 *
 * @example
 * parsePrinter('tcp://192.168.1.50:9100') // { ok: true, target: { kind: 'tcp', host: '192.168.1.50', port: 9100 } }
 */
export function parsePrinter(spec: string): { ok: true; target: PrinterTarget } | { ok: false; problem: string } {
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(spec)
  if (tcp && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536) return { ok: true, target: { kind: 'tcp', host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) } }
  const file = /^file:(\/[^\0]+)$/.exec(spec)
  if (file) return { ok: true, target: { kind: 'file', path: file[1]! } }
  return { ok: false, problem: `--printer takes tcp://host:port (a raw port, usually 9100) or file:/path (a device such as /dev/usb/lp0), not ${JSON.stringify(spec.slice(0, 80))}.` }
}

/** An open connection to a printer: bytes go in order; `close` resolves once all were handed over. */
export interface PrinterSink {
  write(bytes: Buffer): Promise<void>
  close(): Promise<void>
  /** bytes handed to the printer so far */
  readonly sent: number
}

/**
 * Opens one connection for the whole job, every wait bounded by `timeoutMs`: connecting, each
 * write's drain, and the close. A printer that stops reading fails the job with a message, not a hang.
 */
export async function openPrinter(target: PrinterTarget, timeoutMs = 15_000): Promise<PrinterSink> {
  const stream = target.kind === 'tcp' ? await connect(target.host, target.port, timeoutMs) : fs.createWriteStream(target.path, { flags: 'w' })
  const where = target.kind === 'tcp' ? `${target.host}:${target.port}` : target.path
  let failed: Error | undefined
  stream.on('error', (err: Error) => {
    failed ??= new PrinterFailure(`The printer at ${where} failed: ${err.message}`)
  })
  let sent = 0
  const bounded = (what: string, wait: (done: () => void) => void) =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed)
      const timer = setTimeout(() => reject(new PrinterFailure(`The printer at ${where} did not ${what} within ${timeoutMs} ms.`)), timeoutMs)
      const onError = () => (clearTimeout(timer), reject(failed))
      stream.once('error', onError)
      wait(() => {
        clearTimeout(timer)
        stream.off('error', onError)
        resolve()
      })
    })
  return {
    get sent() {
      return sent
    },
    async write(bytes) {
      await bounded('take the data', (done) => {
        if (stream.write(bytes)) done()
        else stream.once('drain', done)
      })
      sent += bytes.length
    },
    async close() {
      await bounded('finish', (done) => stream.end(done))
      if (target.kind === 'tcp') (stream as net.Socket).destroy()
    },
  }
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new PrinterFailure(`The printer at ${host}:${port} did not answer within ${timeoutMs} ms.`))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve(socket)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(new PrinterFailure(`The printer at ${host}:${port} could not be reached: ${err.message}`))
    })
  })
}
