/**
 * A throwaway redis-server for the queue tests: on a free loopback port, in its own temp folder,
 * stopped by the test. With `persist`, it keeps an append-only file (fsync always) so `restart()`
 * comes back with the queue as it was, as a production Redis for BullMQ should. Fails with a
 * clear message when redis-server is not installed (scripts/setup.sh installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface TestRedis {
  url: string
  port: number
  /** Stops the server (SIGTERM; with persistence the AOF is complete) and starts it again on the same port. */
  restart(opts?: { downMs?: number }): Promise<void>
  stop(): Promise<void>
}

export function requireRedisServer(): string {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (r.error || r.status !== 0)
    throw new Error(
      'redis-server is not installed: the queue tests need a real Redis (apt-get install redis-server; scripts/setup.sh does it)',
    )
  return r.stdout.trim()
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

export async function startRedis(opts: { persist?: boolean } = {}): Promise<TestRedis> {
  requireRedisServer()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fws-redis-'))
  const port = await freePort()
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    ...(opts.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  ]
  let child: ChildProcess
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      child = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start on port ${port}:\n${out}`)),
        15_000,
      )
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.on('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited (${code}):\n${out}`))
      })
    })
  const stopChild = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart(o = {}) {
      await stopChild()
      await new Promise((r) => setTimeout(r, o.downMs ?? 1000))
      await launch()
    },
    async stop() {
      await stopChild()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
