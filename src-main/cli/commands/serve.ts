/**
 * `fws serve [--port N] [--project DIR]`: browser mode. Serves the built renderer and the typed API
 * on 127.0.0.1 with a per-run token, prints the URL to open, and runs until SIGINT, SIGTERM or
 * SIGHUP (then it closes cleanly and exits with 130, 143 or 129).
 */
import path from 'node:path'
import type { Command } from 'commander'
import { createEngineService } from '../../engine/service'
import { packageRoot } from '../../engine/paths'
import { startServe } from '../../serve/server'
import { CliError, onStopSignals, SIGNAL_EXIT, type StopSignal } from '../output'

interface ServeOpts {
  port: string
  project?: string
  create?: boolean
  renderer?: string
  json?: boolean
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the workstation UI to a local browser (127.0.0.1 only, token-protected)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--project <dir>', 'open this project at start')
    .option('--create', 'create the --project if it does not exist')
    .option('--renderer <dir>', 'built renderer folder (default: out/renderer)')
    .option('--json', 'print {url, port} as one JSON line instead of text (for scripts and tests)')
    .action(async (opts: ServeOpts) => {
      const port = Number(opts.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError(`--port must be an integer between 0 and 65535, got "${opts.port}"`)
      const rendererDir = path.resolve(opts.renderer ?? path.join(packageRoot(), 'out', 'renderer'))
      const service = createEngineService()
      if (opts.project) {
        const p = { path: path.resolve(opts.project) }
        await (opts.create ? service.handlers['project.create'](p) : service.handlers['project.open'](p))
      }
      let handle
      try {
        handle = await startServe({
          service,
          rendererDir,
          port,
          log: (l) => process.stderr.write(`fws serve: ${l}\n`),
        })
      } catch (err) {
        await service.dispose()
        throw new CliError((err as Error).message)
      }
      if (opts.json) process.stdout.write(JSON.stringify({ url: handle.url, port: handle.port }) + '\n')
      else
        process.stdout.write(
          `Fusion Workstation is serving on ${handle.origin} (127.0.0.1 only).\nOpen this URL (it carries this run's access token):\n\n  ${handle.url}\n\nPress Ctrl+C to stop.\n`,
        )
      // SIGINT, SIGTERM and SIGHUP all close the server and the open project (its WAL checkpointed);
      // the exit code then says which signal it was.
      let stop!: ReturnType<typeof onStopSignals>
      const sig = await new Promise<StopSignal>((resolve) => (stop = onStopSignals(resolve)))
      try {
        await handle.close()
        await service.dispose()
      } finally {
        stop.off()
      }
      process.exitCode = SIGNAL_EXIT[sig]
    })
}
