/**
 * Crash-safe drafts for inline text edits: what the user types is written to localStorage on every
 * keystroke and removed only after the engine acknowledged the edit as durable. A crash, reload or
 * close before that leaves the draft to be offered again next time the row is edited.
 */

const PREFIX = 'fws.draft.'

export type DraftField = 'transcript' | 'translation'

function key(project: string, utteranceId: string, field: DraftField): string {
  return `${PREFIX}${project}\u0000${utteranceId}\u0000${field}`
}

export function saveDraft(project: string, utteranceId: string, field: DraftField, text: string): void {
  try {
    localStorage.setItem(key(project, utteranceId, field), JSON.stringify({ text, at: Date.now() }))
  } catch {
    /* storage unavailable: the edit itself still goes to the engine */
  }
}

export function loadDraft(project: string, utteranceId: string, field: DraftField): string | null {
  try {
    const raw = localStorage.getItem(key(project, utteranceId, field))
    if (!raw) return null
    const v = JSON.parse(raw) as { text?: unknown }
    return typeof v.text === 'string' ? v.text : null
  } catch {
    return null
  }
}

export function clearDraft(project: string, utteranceId: string, field: DraftField): void {
  try {
    localStorage.removeItem(key(project, utteranceId, field))
  } catch {
    /* nothing to clear */
  }
}

/** Drafts left over for a project (shown as "unsaved drafts recovered"). */
export function listDrafts(project: string): { utteranceId: string; field: DraftField; text: string }[] {
  const out: { utteranceId: string; field: DraftField; text: string }[] = []
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)
      if (!k?.startsWith(PREFIX)) continue
      const [p, id, field] = k.slice(PREFIX.length).split('\u0000')
      if (p !== project || !id || (field !== 'transcript' && field !== 'translation')) continue
      const text = loadDraft(project, id, field)
      if (text != null) out.push({ utteranceId: id, field, text })
    }
  } catch {
    /* none */
  }
  return out
}
