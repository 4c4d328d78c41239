import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { registerProbe } from '../../src-main/cli/commands/probe'
import { registerSegment } from '../../src-main/cli/commands/segment'
import { makeBadFiles, makeSpeechVideo, toSrt, type SpeechVideo } from '../helpers/media-fixtures'
import { runFws } from '../helpers/fws-cli'

/** Run fws in a child process (the real entry point, exit codes included). */
const fws = (...args: string[]) => runFws(args, { timeoutMs: 60_000 })

/** Run a command in-process through the same registration main.ts uses (fast: no tsx start-up). */
async function inProcess(...args: string[]): Promise<string> {
  const program = new Command().exitOverride()
  registerProbe(program)
  registerSegment(program)
  let out = ''
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  })
  try {
    await program.parseAsync(['node', 'fws', ...args])
  } finally {
    spy.mockRestore()
  }
  return out
}

let dir: string
let video: SpeechVideo
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fws-cli-seg-'))
  video = await makeSpeechVideo(dir, { name: 'my clip ü.mp4', sidecar: 'srt' })
  await makeBadFiles(path.join(dir, 'bad'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('fws probe / fws segment', () => {
  it('probe --json prints the probe; plain output is readable', async () => {
    expect(JSON.parse(await inProcess('probe', video.file, '--json'))).toMatchObject({
      file: video.file,
      video: { width: 320, height: 240 },
      audio: { codec: 'aac' },
    })
    expect(await inProcess('probe', video.file)).toMatch(/video: #0 h264 320×240 @ 25 fps/)
  })

  it('segment --json prints {id,start,end,text,source} from the sidecar; --vad forces VAD', async () => {
    const utts = JSON.parse(await inProcess('segment', video.file, '--json')) as Record<string, unknown>[]
    expect(utts).toHaveLength(video.speech.length)
    expect(Object.keys(utts[0]!)).toEqual(['id', 'start', 'end', 'text', 'source'])
    expect(utts[0]).toMatchObject({ id: 'u0001', text: video.speech[0]!.text, source: 'srt' })
    const vu = JSON.parse(await inProcess('segment', video.file, '--vad', '--json', '--max-length', '2')) as {
      start: number
      end: number
      source: string
    }[]
    expect(vu.length).toBeGreaterThan(video.speech.length)
    expect(vu.every((u) => u.source === 'vad' && u.end - u.start <= 2.1)).toBe(true)
    await expect(
      inProcess('segment', video.file, '--subs', path.join(dir, 'bad', 'malformed.srt')),
    ).rejects.toThrow(/malformed\.srt, line 6: cannot read the time line/)
  })

  it('segment says how many cues it dropped and why', async () => {
    const subs = path.join(dir, 'dropping.srt')
    await writeFile(
      subs,
      toSrt([
        { start: 1, end: 2, text: 'kept' },
        { start: 3, end: 2, text: 'reversed' },
        { start: video.durationSec + 5, end: video.durationSec + 6, text: 'after the end' },
      ]),
    )
    const out = await inProcess('segment', video.file, '--subs', subs)
    expect(out).toMatch(/^1 utterance\(s\) from srt/)
    expect(out).toContain('dropped 2 cue(s): reversed 1, after-media-end 1')
  })

  it('bad input through the real entry point: the message names the file, exit code 2', async () => {
    const r = await fws('segment', path.join(dir, 'bad', 'notes.mp4'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`fws: ${path.join(dir, 'bad', 'notes.mp4')} is not a media file`)
  })
})
