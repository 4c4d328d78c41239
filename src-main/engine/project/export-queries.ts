/**
 * The export query: every utterance (or one media's) with its values, latest predictions and the
 * latest live correction per field, as the exchange formats and corpus builders read them.
 */
import type Database from 'better-sqlite3'
import { isHuman } from './rows'
import type { MediaTable } from './media-table'
import { latestPredictions, listUtterances, orderedRecords } from './utterance-table'

/** Everything an export needs about one utterance: values, predictions, who corrected what, when. */
export interface ExportRecord {
  mediaId: string
  mediaPath: string
  mediaName: string
  utteranceId: string
  index: number
  start: number
  end: number
  source: string
  boundsProvenance: string
  transcript: string
  /** null: empty and never written by anyone. */
  transcriptProvenance: string | null
  emotion: string | null
  emotionProvenance: string | null
  emotionPrediction: {
    label: string
    probabilities: Record<string, number>
    modelVersion: string
    createdAt: string
  } | null
  translation: string | null
  translationProvenance: string | null
  translationPrediction: { text: string; modelVersion: string; createdAt: string } | null
  /** Latest live correction per field: annotator and ISO time. */
  corrections: Partial<
    Record<
      'emotion' | 'transcript' | 'translation' | 'bounds',
      { annotator: string; at: string; provenance: string }
    >
  >
  /** True when any value of the utterance was set by a human (corrected or accepted). */
  corrected: boolean
}

/**
 * Every utterance (or one media's) with values, predictions and correction metadata.
 * `onlyCorrected`: only utterances with at least one human-set value, and in them only the
 * human-set emotion and translation (an unreviewed one is left out: value and provenance null;
 * the model's output stays under its prediction, labelled as such), so a correction export
 * never passes a machine value off as gold. Transcripts keep their (stated) provenance.
 */
export function exportRecords(
  db: Database.Database,
  media: MediaTable,
  opts: { mediaId?: string; onlyCorrected?: boolean } = {},
): ExportRecord[] {
  const rows = listUtterances(db, opts.mediaId)
  const medias = new Map(media.list().map((m) => [m.id, m]))
  const ids = rows.map((r) => r.id)
  const preds = latestPredictions(db, opts.mediaId ? ids : undefined)
  const recs = new Map(orderedRecords(db, opts.mediaId).map((r) => [r.id, r]))
  // Latest live correction per (utterance, field); split/merge count as bounds edits.
  const meta = new Map<string, ExportRecord['corrections']>()
  for (const c of db
    .prepare(
      'SELECT utterance_id, field, annotator, created_at, provenance FROM corrections WHERE undone = 0 ORDER BY id',
    )
    .all() as {
    utterance_id: string
    field: string
    annotator: string
    created_at: number
    provenance: string
  }[]) {
    const field = c.field === 'split' || c.field === 'merge' ? 'bounds' : c.field
    if (field !== 'emotion' && field !== 'transcript' && field !== 'translation' && field !== 'bounds')
      continue
    const m = meta.get(c.utterance_id) ?? {}
    m[field] = {
      annotator: c.annotator,
      at: new Date(c.created_at).toISOString(),
      provenance: c.provenance,
    }
    meta.set(c.utterance_id, m)
  }
  const out: ExportRecord[] = []
  for (const r of rows) {
    const rec = recs.get(r.id)!
    const p = preds.get(r.id)
    const media = medias.get(r.mediaId)!
    const corrected =
      isHuman(rec.emotion_prov) ||
      isHuman(rec.translation_prov) ||
      isHuman(rec.transcript_prov) ||
      isHuman(rec.bounds_prov)
    if (opts.onlyCorrected && !corrected) continue
    const pe = p?.emotion
    const pt = p?.translation
    const gold = <T>(value: T, prov: string | null): [T | null, string | null] =>
      !opts.onlyCorrected || isHuman(prov) ? [value, prov] : [null, null]
    const [emotion, emotionProvenance] = gold(r.emotion, r.emotionProvenance)
    const [translation, translationProvenance] = gold(r.translation, r.translationProvenance)
    out.push({
      mediaId: r.mediaId,
      mediaPath: media.path,
      mediaName: media.name,
      utteranceId: r.id,
      index: r.index,
      start: r.start,
      end: r.end,
      source: r.source,
      boundsProvenance: rec.bounds_prov,
      transcript: r.transcript,
      transcriptProvenance: r.transcriptProvenance,
      emotion,
      emotionProvenance,
      emotionPrediction:
        pe && pe.label != null
          ? {
              label: pe.label,
              probabilities: pe.probabilities ? (JSON.parse(pe.probabilities) as Record<string, number>) : {},
              modelVersion: pe.model_version,
              createdAt: new Date(pe.created_at).toISOString(),
            }
          : null,
      translation,
      translationProvenance,
      translationPrediction:
        pt && pt.translation != null
          ? {
              text: pt.translation,
              modelVersion: pt.model_version,
              createdAt: new Date(pt.created_at).toISOString(),
            }
          : null,
      corrections: meta.get(r.id) ?? {},
      corrected,
    })
  }
  return out
}
