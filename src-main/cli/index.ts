/** Entry point of the `fws` binary (built to out/cli/fws.js; run from source by bin/fws.mjs in development). */
import { main } from './main'

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`fws: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  },
)
