/**
 * What an undo or redo changed, in words: compares the rows before and after and names the
 * utterances and fields ("#3 emotion joy → neutral", "#4 split", "#2 bounds 0:01.00–0:03.84 →
 * 0:01.20–0:03.84"), so the notice says what was undone rather than only that something was.
 */
import type { UtteranceRow } from '@contract/contract'
import { formatTime } from './format'

const MAX_PARTS = 3

function label(r: UtteranceRow): string {
  const v = r.emotion ?? null
  const p = r.emotionProvenance
  if (v && (p === 'corrected' || p === 'accepted')) return `${v} (${p})`
  return r.prediction ? `${r.prediction.label} (model)` : 'no label'
}
const bounds = (r: UtteranceRow) => `${formatTime(r.start, 2)}–${formatTime(r.end, 2)}`
const quote = (s: string) => `“${s.length > 24 ? s.slice(0, 23) + '…' : s}”`

/** One phrase per changed utterance (at most a few, then "and N more"); '' when nothing differs. */
export function describeChange(before: readonly UtteranceRow[], after: readonly UtteranceRow[]): string {
  const old = new Map(before.map((r) => [r.id, r]))
  const now = new Map(after.map((r) => [r.id, r]))
  const parts: string[] = []
  const created = after.filter((r) => !old.has(r.id))
  const removed = before.filter((r) => !now.has(r.id))
  if (created.length && removed.length)
    parts.push(
      created.length > removed.length
        ? `#${removed[0]!.index + 1} split in ${created.length + (now.has(removed[0]!.id) ? 1 : 0)}`
        : `#${removed[0]!.index + 1} merged back`,
    )
  else if (created.length) parts.push(`#${created[0]!.index + 1} split (a part restored)`)
  else if (removed.length) parts.push(`#${removed[0]!.index + 1} merged (a part removed)`)
  for (const r of after) {
    const o = old.get(r.id)
    if (!o || o === r) continue
    const what: string[] = []
    if (label(o) !== label(r)) what.push(`emotion ${label(o)} → ${label(r)}`)
    if (o.start !== r.start || o.end !== r.end) what.push(`bounds ${bounds(o)} → ${bounds(r)}`)
    if (o.transcript !== r.transcript) what.push(`transcript ${quote(o.transcript)} → ${quote(r.transcript)}`)
    if ((o.translation ?? '') !== (r.translation ?? ''))
      what.push(`translation ${quote(o.translation ?? '')} → ${quote(r.translation ?? '')}`)
    if (what.length) parts.push(`#${r.index + 1} ${what.join(', ')}`)
  }
  if (parts.length <= MAX_PARTS) return parts.join('; ')
  return `${parts.slice(0, MAX_PARTS).join('; ')} and ${parts.length - MAX_PARTS} more`
}
