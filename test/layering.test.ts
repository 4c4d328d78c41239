// The layering rules (.dependency-cruiser.cjs, run by `npm run lint`): the source as it is passes,
// and a tree with one deliberately backward import fails with the rule that forbids it.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '..')
const depcruise = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')
const config = path.join(root, '.dependency-cruiser.cjs')
const tmp = mkdtempSync(path.join(tmpdir(), 'fws-layering-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function cruise(cwd: string, ...dirs: string[]) {
  return run(process.execPath, [depcruise, ...dirs, '--config', config, '--output-type', 'err'], {
    cwd,
    timeout: 120_000,
  }).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
  )
}

/** A small tree laid out like the repository: `files` maps paths to their imports. */
function tree(name: string, files: Record<string, string[]>): string {
  const dir = path.join(tmp, name)
  for (const [file, imports] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    const lines = imports.map((p, i) => `import * as m${i} from '${p}'\nvoid m${i}`)
    writeFileSync(path.join(dir, file), [...lines, 'export const x = 1', ''].join('\n'))
  }
  return dir
}

describe('layering', () => {
  it('the repository passes', async () => {
    const r = await cruise(root, 'src-main', 'src-renderer')
    expect(r.out).not.toMatch(/error/)
    expect(r.code).toBe(0)
  })

  it('a backward import fails: media importing the pipeline', async () => {
    const dir = tree('backward', {
      'src-main/engine/media/probe.ts': ['../pipeline/batch'],
      'src-main/engine/pipeline/batch.ts': ['../media/probe'],
    })
    const r = await cruise(dir, 'src-main')
    expect(r.code).not.toBe(0)
    expect(r.out).toMatch(
      /engine-media-layer: src-main\/engine\/media\/probe\.ts → src-main\/engine\/pipeline\/batch\.ts/,
    )
    expect(r.out).toMatch(/no-folder-cycles/)
  })

  it('the engine may not import a face, nor the renderer reach past the contract', async () => {
    const dir = tree('faces', {
      'src-main/engine/project/store.ts': ['../../cli/output'],
      'src-main/cli/output.ts': [],
      'src-renderer/src/App.ts': ['../../src-main/engine/project/store'],
    })
    const r = await cruise(dir, 'src-main', 'src-renderer')
    expect(r.out).toMatch(
      /engine-imports-no-face: src-main\/engine\/project\/store\.ts → src-main\/cli\/output\.ts/,
    )
    expect(r.out).toMatch(
      /renderer-only-the-contract: src-renderer\/src\/App\.ts → src-main\/engine\/project\/store\.ts/,
    )
  })
})
