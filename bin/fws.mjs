#!/usr/bin/env node
// Launches the fws CLI: the built bundle when present (npm run build), else the TypeScript source via tsx.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const built = path.join(root, 'out', 'cli', 'fws.js')
if (existsSync(built) && !process.env.FWS_FROM_SOURCE) {
  await import(pathToFileURL(built).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(path.join(root, 'src-main', 'cli', 'index.ts')).href)
}
