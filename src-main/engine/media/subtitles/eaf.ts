/**
 * ELAN annotation files (.eaf) → tiers and cues, pure over a string, in linear time. Owns the EAF
 * schema subset we read (TIME_ORDER, TIER, ALIGNABLE_ANNOTATION, REF_ANNOTATION) on top of the
 * engine XML library (core/xml.ts), the interpolation of unaligned time slots, the resolution of
 * reference chains, and the choice of the transcript tier when the caller names none. A document
 * that is not well-formed, or refers to time slots / annotations that do not exist, is a
 * BAD_SUBTITLE error naming the line, never an empty success.
 */
import { badSubtitle, normalizeNewlines, stripTags, tooManyCues, type Cue, type ParseOptions } from './cue'
import { readXml, XmlSyntaxError } from '../../core/xml'

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

interface PendingRef {
  tier: EafTier
  ref: string
  text: string
  line: number
  id?: string
}

/** A TIME_SLOT's time in seconds, or null when it has no TIME_VALUE (an unaligned slot). */
function slotTime(a: Record<string, string>, line: number, file: string | undefined): number | null {
  if (a.TIME_VALUE === undefined) return null
  const t = Number(a.TIME_VALUE)
  if (a.TIME_VALUE.trim() === '' || !Number.isFinite(t) || t < 0)
    throw badSubtitle(file, line, `time slot ${a.TIME_SLOT_ID} has an invalid TIME_VALUE "${a.TIME_VALUE}"`)
  return t / 1000
}

/** Unaligned slots (null) get times spread evenly between their aligned neighbours, in place. */
function interpolateSlots(slotTimes: (number | null)[]): void {
  for (let i = 0; i < slotTimes.length; i++) {
    if (slotTimes[i] !== null) continue
    let j = i
    while (j < slotTimes.length && slotTimes[j] === null) j++
    const before = i > 0 ? slotTimes[i - 1]! : 0
    const after = j < slotTimes.length ? slotTimes[j]! : before
    for (let k = i; k < j; k++) slotTimes[k] = before + ((after - before) * (k - i + 1)) / (j - i + 1)
    i = j
  }
}

/**
 * Symbolic (REF) annotations take the times of the annotation they refer to, through chains; each
 * becomes a cue of its tier. `byAnnotation` holds the aligned annotations' times and gains the refs'.
 */
function resolveRefs(
  pendingRefs: readonly PendingRef[],
  byAnnotation: Map<string, { start: number; end: number }>,
  file: string | undefined,
): void {
  const refById = new Map<string, PendingRef>()
  for (const p of pendingRefs) if (p.id) refById.set(p.id, p)
  const timesOf = (p: PendingRef): { start: number; end: number } => {
    const chain: PendingRef[] = []
    let cur = p
    let times: { start: number; end: number } | undefined
    for (;;) {
      times = byAnnotation.get(cur.ref)
      if (times) break
      const next = refById.get(cur.ref)
      if (!next)
        throw badSubtitle(
          file,
          cur.line,
          `annotation refers to annotation "${cur.ref}", which does not exist`,
        )
      chain.push(cur)
      if (chain.length > refById.size)
        throw badSubtitle(
          file,
          p.line,
          `annotation ${p.id ?? '?'} is part of a reference cycle ("${p.ref}" → … → itself)`,
        )
      cur = next
    }
    for (const c of chain) if (c.id) byAnnotation.set(c.id, times)
    return times
  }
  for (const p of pendingRefs) {
    const { start, end } = timesOf(p)
    const cue: Cue = { start, end, text: p.text }
    if (p.tier.participant) cue.speaker = p.tier.participant
    p.tier.cues.push(cue)
    if (p.id) byAnnotation.set(p.id, { start, end })
  }
}

/** Every tier of an EAF document with its cues (times in seconds). */
export function parseEafTiers(text: string, opts: ParseOptions = {}): EafTier[] {
  const src = normalizeNewlines(text)
  const file = opts.file
  // Time slots, in document order; unaligned ones (no TIME_VALUE) are interpolated below.
  const slotIds: string[] = []
  const slotTimes: (number | null)[] = []
  const tiers: EafTier[] = []
  /** Alignable annotations, resolved against the time slots once all are known. */
  const aligned: { cue: Cue; ref1: string; ref2: string; id?: string; line: number }[] = []
  const pendingRefs: PendingRef[] = []
  let root: string | null = null
  let tier: EafTier | null = null
  let annotation: { attrs: Record<string, string>; line: number; value: string[] } | null = null
  let inValue = false
  let count = 0
  /** Reference annotations of the tier being read. */
  let tierRefs = 0
  try {
    readXml(src, {
      open(name, a, line) {
        if (root === null) {
          root = name
          if (name !== 'ANNOTATION_DOCUMENT')
            throw badSubtitle(
              file,
              line,
              `not an ELAN file (the root element is <${name}>, not <ANNOTATION_DOCUMENT>)`,
            )
        }
        if (name === 'TIME_SLOT') {
          if (!a.TIME_SLOT_ID) throw badSubtitle(file, line, 'a TIME_SLOT has no TIME_SLOT_ID')
          slotIds.push(a.TIME_SLOT_ID)
          slotTimes.push(slotTime(a, line, file))
        } else if (name === 'TIER') {
          if (!a.TIER_ID) throw badSubtitle(file, line, 'a TIER has no TIER_ID')
          tier = {
            id: a.TIER_ID,
            participant: a.PARTICIPANT || null,
            linguisticType: a.LINGUISTIC_TYPE_REF || null,
            parent: a.PARENT_REF || null,
            alignable: true,
            cues: [],
          }
          tiers.push(tier)
          tierRefs = 0
        } else if (name === 'ALIGNABLE_ANNOTATION' || name === 'REF_ANNOTATION') {
          if (!tier) throw badSubtitle(file, line, `<${name}> outside a <TIER>`)
          if (opts.maxCues !== undefined && ++count > opts.maxCues)
            throw tooManyCues(file, opts.maxCues, opts.limitReason)
          annotation = { attrs: a, line, value: [] }
        } else if (name === 'ANNOTATION_VALUE') inValue = annotation !== null
      },
      text(value) {
        if (inValue) annotation!.value.push(value)
      },
      close(name) {
        if (name === 'ANNOTATION_VALUE') inValue = false
        else if (name === 'TIER') {
          const t = tier!
          if (t.cues.length === 0 && tierRefs > 0) t.alignable = false
          tier = null
        } else if ((name === 'ALIGNABLE_ANNOTATION' || name === 'REF_ANNOTATION') && annotation) {
          const { attrs: aa, line } = annotation
          const raw = annotation.value.join('')
          const value = opts.keepTags ? raw.trim() : stripTags(raw)
          const t = tier!
          if (name === 'ALIGNABLE_ANNOTATION') {
            const cue: Cue = { start: NaN, end: NaN, text: value }
            if (t.participant) cue.speaker = t.participant
            t.cues.push(cue)
            aligned.push({
              cue,
              ref1: aa.TIME_SLOT_REF1 ?? '',
              ref2: aa.TIME_SLOT_REF2 ?? '',
              id: aa.ANNOTATION_ID,
              line,
            })
          } else {
            if (!aa.ANNOTATION_REF)
              throw badSubtitle(
                file,
                line,
                `reference annotation ${aa.ANNOTATION_ID ?? '?'} has no ANNOTATION_REF`,
              )
            tierRefs++
            pendingRefs.push({ tier: t, ref: aa.ANNOTATION_REF, text: value, line, id: aa.ANNOTATION_ID })
          }
          annotation = null
        }
      },
    })
  } catch (err) {
    throw err instanceof XmlSyntaxError ? badSubtitle(file, err.line, err.what) : err
  }
  if (root === null) throw badSubtitle(file, 1, 'not an ELAN file (no <ANNOTATION_DOCUMENT> element)')

  interpolateSlots(slotTimes)
  const slot = new Map(slotIds.map((id, i) => [id, slotTimes[i]!]))
  const byAnnotation = new Map<string, { start: number; end: number }>()
  for (const a of aligned) {
    const s = slot.get(a.ref1)
    const e = slot.get(a.ref2)
    if (s === undefined || e === undefined)
      throw badSubtitle(
        file,
        a.line,
        `annotation ${a.id ?? '?'} refers to a time slot that does not exist (${s === undefined ? a.ref1 || 'none given' : a.ref2 || 'none given'})`,
      )
    a.cue.start = s
    a.cue.end = e
    if (a.id) byAnnotation.set(a.id, { start: s, end: e })
  }
  resolveRefs(pendingRefs, byAnnotation, file)
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
  return eafCues(parseEafTiers(text, opts), opts)
}

/** The cues of the chosen tier(s) of parsed tiers (see parseEaf). */
export function eafCues(tiers: EafTier[], opts: Pick<EafParseOptions, 'tier' | 'file'> = {}): Cue[] {
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
