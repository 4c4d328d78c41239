/**
 * Snapshots of a training run's weights and their averaging (Vaswani et al. 2017 average the last
 * checkpoints of a run). Owns the snapshot folders `<dir>/step-NNNNNNN/` (bare tensor files,
 * tensor-file.ts), pruning to the newest N, and the element-wise mean of several.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { NamedTensor } from './tensor-file'
import { readTensorFile, writeDirAtomic, writeTensorFile } from './tensor-file'

const SNAPSHOT_DIR = /^step-(\d+)$/

/** The snapshot folders in `dir` (written by writeSnapshot), oldest first. */
export function listSnapshots(dir: string): Array<{ step: number; dir: string }> {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .map((name) => ({ m: SNAPSHOT_DIR.exec(name), name }))
    .filter((e): e is { m: RegExpExecArray; name: string } => e.m !== null)
    .map((e) => ({ step: Number(e.m[1]), dir: join(dir, e.name) }))
    .sort((a, b) => a.step - b.step)
}

/** Keeps the weights of training step `step` as `<dir>/step-NNNNNNN/`; prunes all but the newest `keep`. */
export function writeSnapshot(dir: string, step: number, weights: NamedTensor[], keep: number): void {
  writeDirAtomic(join(dir, `step-${String(step).padStart(7, '0')}`), (tmp) => writeTensorFile(tmp, weights))
  const all = listSnapshots(dir)
  for (const old of all.slice(0, Math.max(0, all.length - keep)))
    rmSync(old.dir, { recursive: true, force: true })
}

/** Element-wise mean of the weights in snapshot folders `dirs`; all must hold the same names and shapes. */
export function averageSnapshots(dirs: string[]): NamedTensor[] {
  if (dirs.length === 0) throw new Error('no snapshots to average')
  const sum = new Map<string, NamedTensor>()
  for (const dir of dirs) {
    const w = readTensorFile(dir)
    if (sum.size > 0 && (w.length !== sum.size || w.some((t) => !sum.has(t.name))))
      throw new Error(`${dir} holds other weights than ${dirs[0]}: snapshots of different models`)
    for (const t of w) {
      const acc = sum.get(t.name)
      if (!acc) sum.set(t.name, { name: t.name, shape: t.shape, data: Float32Array.from(t.data) })
      else if (acc.data.length !== t.data.length)
        throw new Error(`${dir}: weight "${t.name}" has another shape`)
      else for (let i = 0; i < t.data.length; i++) acc.data[i]! += t.data[i]!
    }
  }
  for (const acc of sum.values()) for (let i = 0; i < acc.data.length; i++) acc.data[i]! /= dirs.length
  return [...sum.values()]
}
