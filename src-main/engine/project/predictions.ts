/**
 * Model outputs in the project file: validating and recording predictions (re-running the same
 * model version on an utterance replaces its earlier output). Predictions are not corrections:
 * they are not in the undo history.
 */
import type Database from 'better-sqlite3'
import { EditError } from './edits'
import { writeTransaction } from './connection'

/**
 * One model output to record (the batch inference job writes these). `task: 'emotion'` needs
 * `probabilities` (label → p; `label` defaults to the argmax); `task: 'translation'` needs `translation`.
 */
export interface PredictionWrite {
  utteranceId: string
  task: 'emotion' | 'translation'
  modelVersion: string
  probabilities?: Record<string, number>
  label?: string
  /** Emotion: the model ran but had no evidence; why (then no label and no probabilities). */
  noEvidence?: string
  translation?: string
}

/** Records model outputs in one write transaction; returns the number of rows written. */
export function writePredictions(db: Database.Database, rows: PredictionWrite[]): number {
  const now = Date.now()
  const stmt = db.prepare(
    `INSERT INTO predictions(utterance_id, task, model_version, label, probabilities, translation, no_evidence, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(utterance_id, task, model_version) DO UPDATE SET
       label = excluded.label, probabilities = excluded.probabilities,
       translation = excluded.translation, no_evidence = excluded.no_evidence, created_at = excluded.created_at`,
  )
  const exists = db.prepare('SELECT 1 FROM utterances WHERE id = ?')
  writeTransaction(db, () => {
    for (const p of rows) {
      if (!p.modelVersion) throw new EditError('prediction without a model version')
      if (!exists.get(p.utteranceId))
        throw new EditError(`prediction for unknown utterance "${p.utteranceId}"`)
      if (p.task === 'emotion' && p.noEvidence) {
        stmt.run(p.utteranceId, 'emotion', p.modelVersion, null, null, null, p.noEvidence, now)
      } else if (p.task === 'emotion') {
        const probs = p.probabilities
        if (!probs || !Object.keys(probs).length)
          throw new EditError(`emotion prediction for ${p.utteranceId} has no probabilities`)
        for (const [k, v] of Object.entries(probs))
          if (!Number.isFinite(v) || v < 0 || v > 1)
            throw new EditError(`probability of "${k}" for ${p.utteranceId} is not in [0, 1]: ${v}`)
        const label = p.label ?? Object.entries(probs).sort((a, b) => b[1] - a[1])[0][0]
        stmt.run(p.utteranceId, 'emotion', p.modelVersion, label, JSON.stringify(probs), null, null, now)
      } else {
        if (typeof p.translation !== 'string')
          throw new EditError(`translation prediction for ${p.utteranceId} has no text`)
        stmt.run(p.utteranceId, 'translation', p.modelVersion, null, null, p.translation, null, now)
      }
    }
  })
  return rows.length
}
