import { describe, expect, it } from 'vitest'
import { bar, createProgressDisplay, formatDuration } from '../../src-main/cli/batch-progress'
import type { JobSnapshot } from '../../src-main/contract/contract'

const snap = (over: Partial<JobSnapshot>): JobSnapshot => ({
  id: 'j',
  kind: 'inference',
  label: 'batch',
  status: 'running',
  progress: 0.5,
  stage: 'features · a',
  items: [
    { name: 'a', status: 'running', progress: 0.5, error: null },
    { name: 'b', status: 'failed', progress: 1, error: 'empty' },
  ],
  startedAt: 0,
  endedAt: null,
  etaSec: 75,
  error: null,
  result: null,
  ...over,
})

describe('batch progress display', () => {
  it('formats bars and durations', () => {
    expect(bar(0.5, 10)).toBe('[#####.....]')
    expect(bar(2, 4)).toBe('[####]')
    expect(formatDuration(75)).toBe('01:15')
    expect(formatDuration(3725)).toBe('1:02:05')
    expect(formatDuration(null)).toBe('--:--')
  })

  it('draws per-file and total bars with stage and ETA on a terminal, redrawing in place', () => {
    let out = ''
    let now = 0
    const d = createProgressDisplay(
      'tty',
      (s) => (out += s),
      () => now,
    )
    d.onEvent({ type: 'file-start', index: 0, name: 'a', file: '/x/a.mp4' })
    now += 200
    d.onEvent({
      type: 'file-progress',
      index: 0,
      name: 'a',
      stage: 'features',
      fraction: 0.5,
      fileFraction: 0.45,
    })
    now += 200
    d.onSnapshot(snap({}))
    expect(out).toMatch(/\[#{9}\.{11}\]\s+45% features\s+a/)
    expect(out).toMatch(/total \[#{14}\.{14}\]\s+50%\s+1\/2 files \(1 failed\).*ETA 01:15/)
    expect(out).toContain('\x1b[') // cursor moves: the block is redrawn, not appended
    now += 200
    d.onEvent({
      type: 'file-failed',
      index: 0,
      name: 'a',
      error: 'no audio',
      code: 'NO_AUDIO',
      previous: false,
    })
    expect(out).toContain('✘ a: no audio')
  })

  it('prints JSON lines, throttling progress but never file results', () => {
    const lines: string[] = []
    let now = 0
    const d = createProgressDisplay(
      'json',
      (s) => lines.push(s),
      () => now,
    )
    for (let i = 0; i < 10; i++) {
      now += 10
      d.onEvent({
        type: 'file-progress',
        index: 0,
        name: 'a',
        stage: 'features',
        fraction: i / 10,
        fileFraction: i / 10,
      })
    }
    d.onEvent({
      type: 'file-done',
      index: 0,
      name: 'a',
      utterances: 3,
      noEvidence: 0,
      skipped: false,
      seconds: 1,
    })
    const parsed = lines.map((l) => JSON.parse(l) as { type: string })
    expect(parsed.filter((p) => p.type === 'file-progress')).toHaveLength(1)
    expect(parsed.at(-1)).toMatchObject({ type: 'file-done', name: 'a', utterances: 3 })
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true)
  })
})
