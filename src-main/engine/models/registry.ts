/**
 * Lists the model folders under a models directory (the shipped defaults in resources/models)
 * and reads each manifest's identifying fields. Full manifest validation before weights are read
 * belongs to the checkpoint loader; this module only answers "which models are here".
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { ModelInfo } from './types'
import { defaultModelsDir } from '../paths'

export function listModels(dir = defaultModelsDir()): ModelInfo[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort()
    .map((name) => describeModel(path.join(dir, name)))
}

export function describeModel(modelDir: string): ModelInfo {
  const name = path.basename(modelDir)
  const manifestPath = path.join(modelDir, 'manifest.json')
  const base = { name, dir: modelDir, task: 'emotion' as const, fusion: 'unknown', version: 'unknown' }
  if (!existsSync(manifestPath)) return { ...base, present: false, problem: 'no manifest.json' }
  try {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>
    const task = m.task === 'translation' ? 'translation' : 'emotion'
    return {
      ...base,
      task,
      fusion: typeof m.fusion === 'string' ? m.fusion : 'unknown',
      version: typeof m.version === 'string' ? m.version : 'unknown',
      present: existsSync(path.join(modelDir, 'model.json')),
      problem: existsSync(path.join(modelDir, 'model.json')) ? null : 'manifest without model.json',
    }
  } catch (err) {
    return { ...base, present: false, problem: `manifest.json is not valid JSON: ${(err as Error).message}` }
  }
}
