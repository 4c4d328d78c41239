/**
 * Packaging step: flips Electron's fuses in a packaged app's Electron binary, so the shipped app
 * cannot be turned into a plain Node.js runtime or have code injected through the environment.
 * Run after packaging, before signing:
 *
 *   npx tsx scripts/flip-fuses.ts <path to the packaged app's Electron executable>
 *
 * Needs the @electron/fuses package (not a dependency yet: `npm i -D @electron/fuses`); without it
 * this script stops with that instruction rather than shipping unfused. The two asar fuses require
 * the app to be packaged as an asar archive with integrity (electron-builder / Electron Forge do;
 * native modules such as better-sqlite3 and onnxruntime-node go to app.asar.unpacked).
 */
import { existsSync } from 'node:fs'

/** Fuse name (FuseV1Options) → wanted state, each with the reason. */
const FUSES: Record<string, boolean> = {
  // ELECTRON_RUN_AS_NODE would make the app binary a Node.js runtime for anyone.
  RunAsNode: false,
  // Cookies on disk are encrypted with an OS-level key.
  EnableCookieEncryption: true,
  // NODE_OPTIONS / --inspect would let the environment inject code or a debugger.
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  // Only the signed app.asar is loaded, and its content is checked against the embedded hash.
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  LoadBrowserProcessSpecificV8Snapshot: false,
  // The renderer is served from app://, so file:// needs no special privileges.
  GrantFileProtocolExtraPrivileges: false,
}

interface FusesModule {
  FuseVersion: { V1: string | number }
  FuseV1Options: Record<string, number>
  flipFuses(
    electronPath: string,
    config: Record<string | number, unknown> & { version: unknown },
  ): Promise<unknown>
}

async function main(): Promise<void> {
  const electronPath = process.argv[2]
  if (!electronPath || !existsSync(electronPath)) {
    process.stderr.write('usage: npx tsx scripts/flip-fuses.ts <packaged Electron executable>\n')
    process.exit(2)
  }
  const spec = '@electron/fuses'
  let fuses: FusesModule
  try {
    fuses = (await import(spec)) as FusesModule
  } catch {
    process.stderr.write(
      'flip-fuses: the @electron/fuses package is missing; add it with `npm i -D @electron/fuses`.\n',
    )
    process.exit(1)
  }
  const config: Record<string | number, unknown> & { version: unknown } = {
    version: fuses.FuseVersion.V1,
    resetAdHocDarwinSignature: process.platform === 'darwin' && process.arch === 'arm64',
  }
  for (const [name, on] of Object.entries(FUSES)) {
    const key = fuses.FuseV1Options[name]
    if (key === undefined)
      throw new Error(`@electron/fuses has no fuse ${name}: update the package or this list`)
    config[key] = on
  }
  await fuses.flipFuses(electronPath, config)
  process.stdout.write(`fuses set on ${electronPath}: ${JSON.stringify(FUSES)}\n`)
}

await main()
