/**
 * The jobs side of the engine service, through the contract handlers: inference on a project's
 * media (worker threads, predictions written into the project, jobs.update snapshots, project.changed),
 * cancel, and fine-tuning on corrections. Models are tiny real ones trained in setup and installed
 * as the defaults through FWS_RESOURCES; there is deliberately no translation model, so the job
 * must report that model as missing rather than invent translations.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineService, type EngineService } from '../../../src-main/engine/service'
import { validateRequest, type JobSnapshot } from '../../../src-main/contract/contract'
import { makeSpeechVideo, type SpeechVideo } from '../../helpers/media-fixtures'
import { trainTinyEmotionModel } from '../pipeline/helpers/tiny-models'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-service-jobs-'))
let svc: EngineService
let video: SpeechVideo
let labels: string[]
const updates: JobSnapshot[] = []
let changed = 0

beforeAll(async () => {
  process.env.FWS_RESOURCES = path.join(tmp, 'resources')
  process.env.FWS_CACHE_DIR = path.join(tmp, 'cache')
  mkdirSync(path.join(tmp, 'resources', 'models'), { recursive: true })
  ;[video, labels] = await Promise.all([
    makeSpeechVideo(tmp, { name: 'talk.mp4', sidecar: 'srt' }),
    trainTinyEmotionModel(path.join(tmp, 'resources', 'models', 'emotion-meld')),
  ])
  svc = createEngineService()
  svc.on('jobs.update', (s) => updates.push(s))
  svc.on('project.changed', () => changed++)
}, 180_000)
afterAll(async () => {
  await svc?.dispose()
  rmSync(tmp, { recursive: true, force: true })
})

async function call<N extends keyof EngineService['handlers']>(name: N, payload?: unknown) {
  const p = validateRequest(name, payload)
  return (svc.handlers[name] as (p: unknown) => ReturnType<EngineService['handlers'][N]>)(p)
}

async function waitFor(id: string, timeoutMs = 120_000): Promise<JobSnapshot> {
  const t0 = Date.now()
  for (;;) {
    const s = (await call('jobs.list')).find((j) => j.id === id)
    if (s && ['done', 'failed', 'cancelled'].includes(s.status)) return s
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} did not finish: ${JSON.stringify(s)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('engine service: jobs', () => {
  it('refuses jobs without an open project', async () => {
    await expect(call('jobs.startInference', { mediaIds: ['m_x'] })).rejects.toThrow(/no project is open/)
    await expect(call('jobs.startFinetune', { baseModel: 'emotion' })).rejects.toThrow(/no project is open/)
    expect(await call('jobs.list')).toEqual([])
  })

  it('runs inference on project media: predictions land in the project, snapshots stream, translation is reported missing', async () => {
    await call('project.create', { path: path.join(tmp, 'p.fwsproj') })
    const [m] = await call('media.add', { paths: [video.file] })
    await expect(call('jobs.startInference', { mediaIds: ['m_unknown'] })).rejects.toThrow(
      /not in the open project/,
    )
    const changedBefore = changed
    const first = await call('jobs.startInference', { mediaIds: [m!.id], fps: 1 })
    expect(first).toMatchObject({ kind: 'inference', items: [{ name: 'talk.mp4' }] })
    const end = await waitFor(first.id)
    expect(end.status).toBe('done')
    expect(end.progress).toBe(1)
    const result = end.result as { totals: { done: number }; missingModels: string[] }
    expect(result.totals.done).toBe(1)
    expect(result.missingModels.join(' ')).toMatch(/translation model is missing/)
    const mine = updates.filter((u) => u.id === first.id)
    expect(mine[0]!.status).toBe('queued')
    expect(mine.some((u) => u.status === 'running' && u.progress > 0 && u.progress < 1)).toBe(true)
    expect(mine.at(-1)!.status).toBe('done')
    expect(changed).toBeGreaterThan(changedBefore)

    const rows = await call('utterances.list', { mediaId: m!.id })
    expect(rows).toHaveLength(video.speech.length)
    for (const r of rows) {
      expect(r.prediction).not.toBeNull()
      expect(labels).toContain(r.prediction!.label)
      expect(r.prediction!.modelVersion).toBe('emotion-tiny-test@0.0.1')
      expect(r.translation).toBeNull()
    }
  }, 150_000)

  it('cancels a running inference job', async () => {
    const [m] = await call('media.list')
    const s = await call('jobs.startInference', { mediaIds: [m!.id], fps: 4 })
    await new Promise((r) => setTimeout(r, 300))
    await call('jobs.cancel', { jobId: s.id })
    const end = await waitFor(s.id)
    expect(end.status).toBe('cancelled')
    await expect(call('jobs.cancel', { jobId: 'nope' })).rejects.toThrow(/no job/)
  }, 60_000)

  it('fine-tunes the emotion model on corrections into the project folder', async () => {
    // The translator is fine-tuned the same way when there is one (test/engine/jobs/finetune-translation.test.ts).
    await expect(call('jobs.startFinetune', { baseModel: 'translation' })).rejects.toThrow(
      /translation model is missing/,
    )
    const rows = await call('utterances.list', {})
    for (const [i, r] of rows.entries())
      await call('edits.apply', { kind: 'label', utteranceId: r.id, emotion: labels[i % 2] })
    const s = await call('jobs.startFinetune', { baseModel: 'emotion', epochs: 1, heldOutFraction: 0.3 })
    const end = await waitFor(s.id, 150_000)
    expect(end.error).toBeNull()
    expect(end.status).toBe('done')
    const r = end.result as {
      manifest: { parent: { name: string; version: string; weightsSha256: string }; data: { role: string }[] }
      out: string
      used: number
    }
    expect(r.manifest.parent).toMatchObject({ name: 'emotion-tiny-test', version: '0.0.1' })
    expect(r.manifest.parent.weightsSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(r.manifest.data.at(-1)!.role).toBe('finetune')
    expect(r.out.startsWith(path.join(tmp, 'models'))).toBe(true)
    expect(r.used).toBe(rows.length)
  }, 180_000)

  it('refuses inference and fine-tuning on a model whose weights.bin has a flipped byte, naming the file', async () => {
    const w = path.join(tmp, 'resources', 'models', 'emotion-meld', 'weights.bin')
    const good = readFileSync(w)
    const bad = Buffer.from(good)
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0x01
    writeFileSync(w, bad)
    try {
      const [m] = await call('media.list')
      await expect(call('jobs.startInference', { mediaIds: [m!.id] })).rejects.toThrow(
        /emotion-meld: weights\.bin does not match the manifest/,
      )
      await expect(call('jobs.startFinetune', { baseModel: 'emotion', epochs: 1 })).rejects.toThrow(
        /emotion-meld: weights\.bin does not match the manifest/,
      )
    } finally {
      writeFileSync(w, good)
    }
  })
})
