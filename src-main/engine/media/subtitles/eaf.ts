/**
 * ELAN annotation files (.eaf) → tiers and cues, pure over a string. Owns a small reader for the
 * EAF XML subset (TIME_ORDER, TIER, ALIGNABLE_ANNOTATION, REF_ANNOTATION), the interpolation of
 * unaligned time slots, and the choice of the transcript tier when the caller names none.
 * ELAN files are machine-written XML, so a regex scanner is enough; what does not fit the schema
 * is a BAD_SUBTITLE error naming the line.
 */
import { badSubtitle, decodeEntities, normalizeNewlines, stripTags, type Cue, type ParseOptions } from './cue'

export interface EafTier {
  id: string
  participant: string | null
  linguisticType: string | null
  /** Parent tier id (dependent tiers), or null for a top-level tier. */
  parent: string | null
  /** Annotations carry their own times (ALIGNABLE) rather than referring to a parent's. */
  alignable: boolean
  cues: Cue[]
}

export interface EafParseOptions extends ParseOptions {
  /** Tier id(s) to use; default: the transcript tier(s) chosen by pickTranscriptTiers. */
  tier?: string | string[]
}

function attrs(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of s.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
    out[m[1]!] = decodeEntities(m[2] ?? m[3] ?? '')
  return out
}

function lineAt(text: string, offset: number): number {
  let n = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++
  return n
}

function valueOf(inner: string): string {
  const m = /<ANNOTATION_VALUE\s*(?:\/>|>([\s\S]*?)<\/ANNOTATION_VALUE>)/.exec(inner)
  if (!m || m[1] === undefined) return ''
  const raw = m[1].replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_a, c: string) => c.replace(/&/g, '&amp;'))
  return decodeEntities(raw)
}

/** Every tier of an EAF document with its cues (times in seconds). */
export function parseEafTiers(text: string, opts: ParseOptions = {}): EafTier[] {
  // Comments blanked with the same length so offsets (and line numbers) stay right.
  const src = normalizeNewlines(text).replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '))
  if (!/<ANNOTATION_DOCUMENT[\s>]/.test(src))
    throw badSubtitle(opts.file, 1, 'not an ELAN file (no <ANNOTATION_DOCUMENT> element)')
  // Time slots, in document order; unaligned ones (no TIME_VALUE) are interpolated below.
  const slotIds: string[] = []
  const slotTimes: (number | null)[] = []
  for (const m of src.matchAll(/<TIME_SLOT\b([^>]*?)\/?>/g)) {
    const a = attrs(m[1]!)
    if (!a.TIME_SLOT_ID) throw badSubtitle(opts.file, lineAt(src, m.index), 'a TIME_SLOT has no TIME_SLOT_ID')
    let t: number | null = null
    if (a.TIME_VALUE !== undefined) {
      t = Number(a.TIME_VALUE)
      if (!Number.isFinite(t) || t < 0)
        throw badSubtitle(
          opts.file,
          lineAt(src, m.index),
          `time slot ${a.TIME_SLOT_ID} has an invalid TIME_VALUE "${a.TIME_VALUE}"`,
        )
      t /= 1000
    }
    slotIds.push(a.TIME_SLOT_ID)
    slotTimes.push(t)
  }
  for (let i = 0; i < slotTimes.length; i++) {
    if (slotTimes[i] !== null) continue
    let j = i
    while (j < slotTimes.length && slotTimes[j] === null) j++
    const before = i > 0 ? slotTimes[i - 1]! : 0
    const after = j < slotTimes.length ? slotTimes[j]! : before
    for (let k = i; k < j; k++) slotTimes[k] = before + ((after - before) * (k - i + 1)) / (j - i + 1)
    i = j
  }
  const slot = new Map(slotIds.map((id, i) => [id, slotTimes[i]!]))

  const tiers: EafTier[] = []
  const byAnnotation = new Map<string, { start: number; end: number }>()
  const pendingRefs: { tier: EafTier; ref: string; text: string; line: number; id?: string }[] = []
  for (const tm of src.matchAll(/<TIER\b([^>]*?)(\/>|>([\s\S]*?)<\/TIER>)/g)) {
    const a = attrs(tm[1]!)
    const tierLine = lineAt(src, tm.index)
    if (!a.TIER_ID) throw badSubtitle(opts.file, tierLine, 'a TIER has no TIER_ID')
    const tier: EafTier = {
      id: a.TIER_ID,
      participant: a.PARTICIPANT || null,
      linguisticType: a.LINGUISTIC_TYPE_REF || null,
      parent: a.PARENT_REF || null,
      alignable: true,
      cues: [],
    }
    const body = tm[3] ?? ''
    const bodyOffset = tm.index + tm[0].length - body.length - (tm[3] !== undefined ? '</TIER>'.length : 0)
    let refs = 0
    for (const am of body.matchAll(/<(ALIGNABLE_ANNOTATION|REF_ANNOTATION)\b([^>]*)>([\s\S]*?)<\/\1>/g)) {
      const aa = attrs(am[2]!)
      const line = lineAt(src, bodyOffset + am.index)
      const textValue = valueOf(am[3]!)
      if (am[1] === 'ALIGNABLE_ANNOTATION') {
        const s = slot.get(aa.TIME_SLOT_REF1 ?? '')
        const e = slot.get(aa.TIME_SLOT_REF2 ?? '')
        if (s === undefined || e === undefined)
          throw badSubtitle(
            opts.file,
            line,
            `annotation ${aa.ANNOTATION_ID ?? '?'} refers to a time slot that does not exist (${s === undefined ? aa.TIME_SLOT_REF1 : aa.TIME_SLOT_REF2})`,
          )
        const cue: Cue = { start: s, end: e, text: opts.keepTags ? textValue.trim() : stripTags(textValue) }
        if (tier.participant) cue.speaker = tier.participant
        tier.cues.push(cue)
        if (aa.ANNOTATION_ID) byAnnotation.set(aa.ANNOTATION_ID, { start: s, end: e })
      } else {
        refs++
        pendingRefs.push({ tier, ref: aa.ANNOTATION_REF ?? '', text: textValue, line, id: aa.ANNOTATION_ID })
        if (aa.ANNOTATION_ID) byAnnotation.set(aa.ANNOTATION_ID, { start: NaN, end: NaN })
      }
    }
    if (refs > 0 && tier.cues.length === 0) tier.alignable = false
    tiers.push(tier)
  }
  // Symbolic (REF) annotations take their parent's times; chains resolve in a few passes.
  let unresolved = pendingRefs
  for (let pass = 0; pass < 8 && unresolved.length; pass++) {
    const next: typeof unresolved = []
    for (const p of unresolved) {
      const parent = byAnnotation.get(p.ref)
      if (!parent)
        throw badSubtitle(
          opts.file,
          p.line,
          `annotation refers to annotation "${p.ref}", which does not exist`,
        )
      if (Number.isNaN(parent.start)) {
        next.push(p)
        continue
      }
      const cue: Cue = {
        start: parent.start,
        end: parent.end,
        text: opts.keepTags ? p.text.trim() : stripTags(p.text),
      }
      if (p.tier.participant) cue.speaker = p.tier.participant
      p.tier.cues.push(cue)
      if (p.id) byAnnotation.set(p.id, { start: parent.start, end: parent.end })
    }
    unresolved = next
  }
  for (const t of tiers) t.cues.sort((a, b) => a.start - b.start || a.end - b.end)
  return tiers
}

const TRANSCRIPT = /transcri|utteranc|orthogra|sentence|^text$|^words?$|default|speech/i

/**
 * The tier(s) holding the transcript: top-level tiers whose id or linguistic type says transcript
 * (one per participant when several speakers have one), else the top-level tier with the most
 * annotations.
 */
export function pickTranscriptTiers(tiers: EafTier[]): EafTier[] {
  const top = tiers.filter((t) => !t.parent && t.cues.length)
  const named = top.filter((t) => TRANSCRIPT.test(t.id) || TRANSCRIPT.test(t.linguisticType ?? ''))
  if (named.length) {
    // Several speakers each with a transcription tier: use them all; else the fullest one.
    const participants = new Set(named.map((t) => t.participant ?? t.id))
    if (participants.size === named.length && named.length > 1) return named
    return [named.reduce((a, b) => (b.cues.length > a.cues.length ? b : a))]
  }
  const pool = top.length ? top : tiers.filter((t) => t.cues.length)
  if (!pool.length) return []
  return [pool.reduce((a, b) => (b.cues.length > a.cues.length ? b : a))]
}

/** Parse an EAF document into the cues of the chosen tier(s) (see pickTranscriptTiers), sorted by start. */
export function parseEaf(text: string, opts: EafParseOptions = {}): Cue[] {
  const tiers = parseEafTiers(text, opts)
  let chosen: EafTier[]
  if (opts.tier !== undefined) {
    const want = Array.isArray(opts.tier) ? opts.tier : [opts.tier]
    chosen = want.map((id) => {
      const t = tiers.find((x) => x.id === id)
      if (!t)
        throw badSubtitle(
          opts.file,
          1,
          `there is no tier "${id}" (tiers: ${tiers.map((x) => x.id).join(', ') || 'none'})`,
        )
      return t
    })
  } else chosen = pickTranscriptTiers(tiers)
  const cues = chosen.flatMap((t) =>
    t.cues.map((c) => (chosen.length > 1 && !c.speaker ? { ...c, speaker: t.id } : c)),
  )
  return cues.sort((a, b) => a.start - b.start || a.end - b.end)
}
