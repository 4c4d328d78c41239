/**
 * The project side of the engine service, through the contract handlers, on real media made
 * with ffmpeg + espeak-ng (helper A's fixtures): create → add media (probe, hash, sidecar
 * segmentation) → list → edit/undo/redo → export → import, with project.changed events.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineService, type EngineService } from '../../../src-main/engine/service'
import { validateRequest, type ProjectInfo } from '../../../src-main/contract/contract'
import { makeSpeechVideo, type SpeechVideo } from '../../helpers/media-fixtures'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fws-service-'))
let svc: EngineService
let video: SpeechVideo
const events: (ProjectInfo | null)[] = []

beforeAll(async () => {
  video = await makeSpeechVideo(tmp, { name: 'interview ü 1.mp4', sidecar: 'srt' })
  svc = createEngineService()
  svc.on('project.changed', (p) => events.push(p))
})
afterAll(async () => {
  await svc?.dispose()
  rmSync(tmp, { recursive: true, force: true })
})

/** Calls a handler the way the IPC layer does: validate the payload, then call. */
async function call<N extends keyof EngineService['handlers']>(name: N, payload?: unknown) {
  const p = validateRequest(name, payload)
  return (svc.handlers[name] as (p: unknown) => ReturnType<EngineService['handlers'][N]>)(p)
}

describe('engine service: project side', () => {
  it('says clearly when no project is open', async () => {
    expect(await call('project.current')).toBeNull()
    await expect(call('media.list')).rejects.toThrow(/no project is open/)
    await expect(call('edits.undo')).rejects.toThrow(/no project is open/)
  })

  it('creates a project, adds real media segmented from its sidecar, edits, exports and imports', async () => {
    const file = path.join(tmp, 'proj.fwsproj')
    const info = await call('project.create', { path: file })
    expect(info).toMatchObject({ path: file, mediaCount: 0, canUndo: false })
    const [m] = await call('media.add', { paths: [video.file] })
    expect(m).toMatchObject({ name: 'interview ü 1.mp4', hasAudio: true, hasVideo: true })
    expect(m.durationSec).toBeCloseTo(video.durationSec, 0)
    expect(m.utteranceCount).toBe(video.speech.length)
    expect(svc.mediaFile(m.id)).toBe(video.file)
    expect(svc.mediaFile('m_nope')).toBeNull()
    // Same content again: not added twice.
    expect((await call('media.add', { paths: [video.file] }))[0].id).toBe(m.id)
    // A text file renamed .mp4 is refused with the probe's specific error.
    const fake = path.join(tmp, 'fake.mp4')
    writeFileSync(fake, 'hello, not a video\n')
    await expect(call('media.add', { paths: [fake] })).rejects.toThrow(/not a (media|video)/)

    const rows = await call('utterances.list', { mediaId: m.id })
    expect(rows.map((r) => [r.start, r.end])).toEqual(
      video.speech.map((s) => [Math.round(s.start * 1000) / 1000, Math.round(s.end * 1000) / 1000]),
    )
    expect(rows[0]).toMatchObject({
      transcript: video.speech[0].text,
      transcriptProvenance: 'imported',
      source: 'srt',
    })

    const before = events.length
    const r1 = await call('edits.apply', {
      kind: 'transcript',
      utteranceId: rows[0].id,
      text: 'Corrected, “quoted”',
    })
    expect(r1.changed[0].transcriptProvenance).toBe('corrected')
    await call('edits.apply', { kind: 'label', utteranceId: rows[1].id, emotion: 'joy' })
    await call('edits.apply', {
      kind: 'split',
      utteranceId: rows[2].id,
      at: (rows[2].start + rows[2].end) / 2,
    })
    expect(await call('utterances.list', { mediaId: m.id })).toHaveLength(rows.length + 1)
    expect(events.length).toBe(before + 3)
    expect(events.at(-1)).toMatchObject({ canUndo: true, canRedo: false, utteranceCount: rows.length + 1 })
    const u = await call('edits.undo')
    expect(u?.removed).toHaveLength(2) // a split makes two new utterances
    expect((await call('project.current'))?.canRedo).toBe(true)
    await call('edits.redo')
    await call('edits.undo')
    await expect(
      call('edits.apply', { kind: 'label', utteranceId: rows[1].id, emotion: 'bored' }),
    ).rejects.toThrow(/unknown emotion label/)

    // Export relative to the project folder (browser mode) and absolute.
    const vtt = await call('exchange.export', { format: 'vtt', out: 'out/sub.vtt', mediaId: m.id })
    expect(vtt.files).toEqual([path.join(tmp, 'out', 'sub.vtt')])
    expect(readFileSync(vtt.files[0], 'utf8')).toContain('Corrected, “quoted”')
    await expect(call('exchange.export', { format: 'csv', out: '../escape.csv' })).rejects.toThrow(
      /leaves the project folder/,
    )
    await expect(
      call('exchange.importSegmentation', { mediaId: m.id, path: '../../etc/passwd' }),
    ).rejects.toThrow(/leaves the project folder/)
    const eaf = await call('exchange.export', { format: 'eaf', out: path.join(tmp, 'x.eaf') })
    expect(readFileSync(eaf.files[0], 'utf8')).toContain('RELATIVE_MEDIA_URL="./interview ü 1.mp4"')
    const corrected = await call('exchange.export', { format: 'jsonl', out: 'c.jsonl', onlyCorrected: true })
    expect(corrected.records).toBe(2)

    const srt = path.join(tmp, 'new.srt')
    writeFileSync(
      srt,
      '1\n00:00:01,000 --> 00:00:02,500\nÉtape un\n\n2\n00:00:03,000 --> 00:00:04,000\nzwei\n',
    )
    const imported = await call('exchange.importSegmentation', { mediaId: m.id, path: srt })
    expect(imported.map((r) => [r.start, r.end, r.transcript])).toEqual([
      [1, 2.5, 'Étape un'],
      [3, 4, 'zwei'],
    ])
    await call('edits.undo')
    expect(await call('utterances.list', { mediaId: m.id })).toHaveLength(rows.length)

    // Re-open: everything is there; a failed open keeps the current project.
    await call('project.close')
    expect(await call('project.current')).toBeNull()
    const reopened = await call('project.open', { path: file })
    expect(reopened).toMatchObject({ mediaCount: 1, utteranceCount: rows.length, canUndo: true })
    await expect(call('project.open', { path: fake })).rejects.toThrow(/not a Fusion Workstation project/)
    expect((await call('project.current'))?.path).toBe(file)
  })

  it('refuses a bad project path with a specific error at once and keeps the open project', async () => {
    const dir = path.join(tmp, 'bad-paths')
    mkdirSync(dir)
    const fifo = path.join(dir, 'pipe.fws')
    execFileSync('mkfifo', [fifo])
    const text = path.join(dir, 'notes.fws')
    writeFileSync(text, 'not a project')
    const dangling = path.join(dir, 'gone.fws')
    symlinkSync(path.join(dir, 'nowhere'), dangling)
    const open = (await call('project.current'))!.path

    const t0 = Date.now()
    await expect(call('project.open', { path: path.join(dir, 'missing.fws') })).rejects.toMatchObject({
      code: 'not-found',
    })
    await expect(call('project.open', { path: fifo })).rejects.toThrow(/not a file/)
    await expect(call('project.open', { path: dir })).rejects.toThrow(/not a file/)
    await expect(call('project.open', { path: text })).rejects.toThrow(/not a Fusion Workstation project/)
    await expect(call('project.create', { path: text })).rejects.toThrow(/a file already exists/)
    await expect(call('project.create', { path: dangling })).rejects.toThrow(/a file already exists/)
    expect(Date.now() - t0).toBeLessThan(3000)
    expect((await call('project.current'))?.path).toBe(open)
    expect(readFileSync(text, 'utf8')).toBe('not a project')
  })
})
