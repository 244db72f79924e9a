import { spawn, spawnSync } from 'child_process'
import * as net from 'net'

export const haveRedis = spawnSync('redis-server', ['--version']).status === 0
if (!haveRedis && process.env.CI) throw new Error('CI must have redis-server: .ci/run installs it')

/** Debian's redis-server on a free loopback port, nothing persisted; stop() ends it. */
export async function startRedis(): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' })
  const deadline = Date.now() + 10_000
  for (;;) {
    if (await answers(port)) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not start on 127.0.0.1:${port}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1')
    c.once('connect', () => {
      c.write('PING\r\n')
      c.once('data', (d) => {
        c.destroy()
        resolve(d.toString().startsWith('+PONG'))
      })
    })
    c.once('error', () => resolve(false))
  })
}
