/**
 * Packaging step: flips Electron's fuses in a packaged app's Electron binary, so the shipped app
 * cannot be turned into a plain Node.js runtime or have code injected through the environment.
 * Run after packaging, before signing:
 *
 *   npx tsx scripts/flip-fuses.ts <path to the packaged app's Electron executable>
 *
 * Every fuse of the wire is set (strictlyRequireAllFuses), so a newer Electron with a fuse this list
 * does not know stops the build instead of shipping it in its default state. The two asar fuses require
 * the app to be packaged as an asar archive with integrity (electron-builder / Electron Forge do;
 * native modules such as better-sqlite3 and onnxruntime-node go to app.asar.unpacked).
 */
import { existsSync } from 'node:fs'
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses'

/** Every fuse (FuseV1Options) → wanted state, each with the reason. */
const FUSES: Record<keyof typeof FuseV1Options, boolean> = {
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

async function main(): Promise<void> {
  const electronPath = process.argv[2]
  if (!electronPath || !existsSync(electronPath)) {
    process.stderr.write('usage: npx tsx scripts/flip-fuses.ts <packaged Electron executable>\n')
    process.exit(2)
  }
  await flipFuses(electronPath, {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: process.platform === 'darwin' && process.arch === 'arm64',
    strictlyRequireAllFuses: true,
    ...(Object.fromEntries(
      Object.entries(FUSES).map(([name, on]) => [FuseV1Options[name as keyof typeof FuseV1Options], on]),
    ) as Record<FuseV1Options, boolean>),
  })
  process.stdout.write(`fuses set on ${electronPath}: ${JSON.stringify(FUSES)}\n`)
}

await main()
