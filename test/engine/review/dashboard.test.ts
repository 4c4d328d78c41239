import { describe, expect, it } from 'vitest'
import type { MediaInfo, UtteranceRow } from '../../../src-main/contract/contract'
import { computeDashboard } from '../../../src-main/engine/review/dashboard'

const media = (id: string): MediaInfo => ({
  id,
  path: `/x/${id}.mp4`,
  name: `${id}.mp4`,
  durationSec: 10,
  hasAudio: true,
  hasVideo: true,
  utteranceCount: 0,
})
function row(
  i: number,
  mediaId: string,
  pred: Record<string, number> | null,
  human: { emotion: string; prov: 'corrected' | 'accepted' } | null,
): UtteranceRow {
  const label = pred ? Object.entries(pred).sort((a, b) => b[1] - a[1])[0]![0] : null
  return {
    id: `u${i}`,
    mediaId,
    index: i,
    start: i,
    end: i + 1,
    transcript: '',
    transcriptProvenance: 'imported',
    emotion: human?.emotion ?? null,
    emotionProvenance: human?.prov ?? (pred ? 'model' : null),
    prediction: pred ? { label: label!, probabilities: pred, uncertainty: 0, modelVersion: 'v' } : null,
    emotionNoEvidence: null,
    translation: null,
    translationProvenance: null,
    source: 'srt',
  }
}

describe('computeDashboard', () => {
  it('counts reviewed rows per media, labels, the confusion of model vs human, confidence bins', () => {
    const rows = [
      row(0, 'a', { joy: 0.9, anger: 0.1 }, { emotion: 'joy', prov: 'accepted' }),
      row(1, 'a', { joy: 0.55, anger: 0.45 }, { emotion: 'anger', prov: 'corrected' }),
      row(2, 'a', { anger: 0.75, joy: 0.25 }, null),
      row(3, 'b', { anger: 0.95, joy: 0.05 }, { emotion: 'sadness', prov: 'corrected' }),
      row(4, 'b', null, { emotion: 'joy', prov: 'corrected' }),
    ]
    const d = computeDashboard([media('a'), media('b')], rows)
    expect(d.media).toEqual([
      { mediaId: 'a', name: 'a.mp4', reviewed: 2, total: 3 },
      { mediaId: 'b', name: 'b.mp4', reviewed: 2, total: 2 },
    ])
    expect(d.reviewed).toBe(4)
    expect(d.total).toBe(5)
    expect(d.labels).toEqual([
      { label: 'anger', model: 2, corrected: 1, accepted: 0 },
      { label: 'joy', model: 2, corrected: 1, accepted: 1 },
      { label: 'sadness', model: 0, corrected: 1, accepted: 0 },
    ])
    // Only reviewed rows with a prediction: (joy→joy), (joy→anger), (anger→sadness).
    expect(d.confusion.labels).toEqual(['anger', 'joy', 'sadness'])
    expect(d.confusion.counts).toEqual([
      [0, 0, 1],
      [1, 1, 0],
      [0, 0, 0],
    ])
    expect(d.confidence.bins).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0, 2])
    expect(d.confidence.reviewed).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 2])
  })
})
