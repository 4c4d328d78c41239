/**
 * The synthetic ambiguity corpus (the fusion benchmark's data): short videos whose label needs two
 * modalities. Text valence (a positive or negative sentence, shown as .srt subtitles) × speech
 * arousal (espeak-ng; high: speed ≥ 190 wpm, pitch ≥ 70, amplitude ≥ 150; low: speed ≤ 130,
 * pitch ≤ 35, amplitude ≤ 80; voices and words vary) → happy (+, high), calm (+, low),
 * angry (−, high), sad (−, low). The video carries a weaker cue: its brightness agrees with the
 * valence 75% of the time. Any single modality is capped near 50%; text + audio determine the label.
 *
 * Written in the labelled-corpus format (manifest.json + utterances.jsonl, media alongside): each
 * media file holds `perFile` utterances separated by short silences, with its .srt beside it.
 *
 * Conflicting cues: `--visual-agree SHARE` sets exactly how many utterances' brightness agrees with
 * the valence. Missing, corrupted and shifted modalities are corpus conditions applied to the
 * extracted features of any corpus (engine/models/corpus-conditions.ts; `--condition` of `fws train
 * emotion` / `fws eval emotion`, `--conditions` of `npm run bench:fusion`).
 *
 *   npm run corpus:synthetic -- --out DIR --n N --seed S [--visual-agree SHARE]
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { pathToFileURL } from 'node:url'
import { ffmpegTools } from '../src-main/engine/media/ffmpeg-locate'
import { parseWav16, wav16Bytes } from '../src-main/engine/media/wav'
import { Rng } from '../src-main/engine/fusion/nn'
import { writeCorpus, type CorpusUtterance } from '../src-main/engine/models/corpus'

const run = promisify(execFile)

export const SYNTHETIC_LABELS = ['happy', 'calm', 'angry', 'sad'] as const

const SUBJECTS = [
  'this garden',
  'the new job',
  'our trip',
  'the movie',
  'your idea',
  'the dinner',
  'this song',
  'the weather',
  'my neighbour',
  'the party',
  'the book',
  'this city',
]
const POSITIVE = [
  'I really love {s}',
  '{S} is wonderful',
  'what a lovely day with {s}',
  'I am so glad about {s}',
  '{S} makes me smile',
  'everything about {s} is great',
  'I enjoyed {s} so much',
  '{S} is a real delight',
]
const NEGATIVE = [
  'I really hate {s}',
  '{S} is terrible',
  'what an awful day with {s}',
  'I am so upset about {s}',
  '{S} makes me miserable',
  'everything about {s} is horrible',
  'I regret {s} so much',
  '{S} is a total disaster',
]
const VOICES = [
  'en-us',
  'en-gb',
  'en-gb-scotland',
  'en-029',
  'en-us+f2',
  'en-gb+m3',
  'en-us+f4',
  'en-gb-x-rp',
]

export interface SyntheticOptions {
  out: string
  n: number
  seed: number
  /** Utterances per media file (default 10). */
  perFile?: number
  /**
   * Conflicting cues: the share of utterances whose video brightness agrees with the text valence.
   * Unset: each utterance agrees with probability 0.75 (the benchmark's corpus). Set: exactly
   * round(share × n) utterances agree (e.g. 0.5: the visual cue carries no information; below 0.5
   * it points the wrong way more often than not).
   */
  visualAgree?: number
  onProgress?: (fraction: number) => void
  signal?: AbortSignal
}

interface Item {
  id: string
  text: string
  valence: boolean
  arousal: boolean
  bright: boolean
  label: string
}

function sentence(rng: Rng, positive: boolean): string {
  const t = (positive ? POSITIVE : NEGATIVE)[rng.int(8)]!
  const s = SUBJECTS[rng.int(SUBJECTS.length)]!
  return t.replace('{s}', s).replace('{S}', s[0]!.toUpperCase() + s.slice(1))
}

function srtTime(t: number): string {
  const ms = Math.round(t * 1000)
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = Math.floor((ms % 60_000) / 1000)
  const pad = (x: number, w = 2) => String(x).padStart(w, '0')
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms % 1000, 3)}`
}

export async function generateSyntheticCorpus(
  o: SyntheticOptions,
): Promise<{ utterances: number; files: number }> {
  if (!(o.n >= 4)) throw new Error(`--n must be at least 4, got ${o.n}`)
  if (o.visualAgree !== undefined && !(o.visualAgree >= 0 && o.visualAgree <= 1))
    throw new Error(`--visual-agree must be a share in 0..1, got ${o.visualAgree}`)
  const perFile = o.perFile ?? 10
  const rng = new Rng(o.seed)
  const ffmpeg = ffmpegTools().ffmpeg.path
  const mediaDir = path.join(o.out, 'media')
  mkdirSync(mediaDir, { recursive: true })
  const tmp = path.join(os.tmpdir(), `fws-synth-${process.pid}-${o.seed}`)
  mkdirSync(tmp, { recursive: true })
  // Balanced labels: each (valence, arousal) cell n/4 times, shuffled.
  const items: Item[] = []
  for (let i = 0; i < o.n; i++) {
    const valence = i % 2 === 0
    const arousal = Math.floor(i / 2) % 2 === 0
    const bright = rng.next() < 0.75 ? valence : !valence
    const label = valence ? (arousal ? 'happy' : 'calm') : arousal ? 'angry' : 'sad'
    items.push({ id: '', text: sentence(rng, valence), valence, arousal, bright, label })
  }
  if (o.visualAgree !== undefined) {
    const agree = new Set(rng.shuffle(items.map((_, i) => i)).slice(0, Math.round(o.visualAgree * o.n)))
    items.forEach((it, i) => (it.bright = agree.has(i) ? it.valence : !it.valence))
  }
  rng.shuffle(items)
  items.forEach((it, i) => (it.id = `syn${String(i).padStart(5, '0')}`))
  const utterances: CorpusUtterance[] = []
  const files = Math.ceil(items.length / perFile)
  try {
    for (let f = 0; f < files; f++) {
      if (o.signal?.aborted) throw new Error('cancelled')
      const group = items.slice(f * perFile, (f + 1) * perFile)
      const name = `clip${String(f).padStart(4, '0')}`
      const chunks: Int16Array[] = []
      let rate = 22050
      let t = 0.3
      const segs: { start: number; end: number; bright: boolean }[] = []
      const gap = () => new Int16Array(Math.round(rate * 0.3))
      for (const it of group) {
        // Arousal ranges from the issue text; within them, voice, speed, pitch and amplitude vary.
        const speed = it.arousal ? 190 + rng.int(40) : 100 + rng.int(31)
        const pitch = it.arousal ? 70 + rng.int(25) : 10 + rng.int(26)
        const amp = it.arousal ? 150 + rng.int(40) : 50 + rng.int(31)
        const voice = VOICES[rng.int(VOICES.length)]!
        const wav = path.join(tmp, `${it.id}.wav`)
        await run('espeak-ng', [
          '-v',
          voice,
          '-s',
          String(speed),
          '-p',
          String(pitch),
          '-a',
          String(amp),
          '-w',
          wav,
          it.text,
        ])
        const w = parseWav16(readFileSync(wav))
        rate = w.rate
        // Each utterance is a window of 4.6–5.4 s whatever its speech rate, with the speech at a
        // random offset inside: otherwise the utterance's duration (and so its number of video
        // frames) would reveal the arousal to the visual modality.
        const speech = w.pcm.length / rate
        const win = Math.max(speech + 0.4, 4.6 + rng.next() * 0.8)
        const lead = 0.2 + rng.next() * (win - speech - 0.4)
        if (!chunks.length) chunks.push(new Int16Array(Math.round(rate * 0.3)))
        const start = t
        const end = t + win
        chunks.push(new Int16Array(Math.round(rate * lead)), w.pcm)
        chunks.push(
          new Int16Array(
            Math.max(0, Math.round(rate * (end - start)) - Math.round(rate * lead) - w.pcm.length),
          ),
        )
        chunks.push(gap())
        t = end + 0.3
        segs.push({ start, end, bright: it.bright })
        utterances.push({
          id: it.id,
          media: `media/${name}.mp4`,
          start: Number(start.toFixed(3)),
          end: Number(end.toFixed(3)),
          text: it.text,
          labels: { emotion: it.label },
          provenance: {
            source: `synthetic seed ${o.seed}`,
            voice,
            speed,
            pitch,
            amplitude: amp,
            bright: it.bright,
          } as never,
        })
      }
      const total = chunks.reduce((s, c) => s + c.length, 0)
      const pcm = new Int16Array(total)
      let off = 0
      for (const c of chunks) {
        pcm.set(c, off)
        off += c.length
      }
      const wavAll = path.join(tmp, `${name}.wav`)
      writeFileSync(wavAll, wav16Bytes(rate, pcm))
      const duration = total / rate
      // Video: one colour clip per stretch (utterance or gap); utterance brightness = bright/dark
      // with jitter and a random hue, gaps mid-grey.
      const pieces: { d: number; color: string }[] = []
      let cur = 0
      for (const s of segs) {
        if (s.start > cur) pieces.push({ d: s.start - cur, color: '0x808080' })
        const level = s.bright ? 0.62 + rng.next() * 0.3 : 0.08 + rng.next() * 0.3
        const hue = [rng.next(), rng.next(), rng.next()].map((h) =>
          Math.round(255 * Math.min(1, Math.max(0, level + (h - 0.5) * 0.2))),
        )
        pieces.push({
          d: s.end - s.start,
          color: '0x' + hue.map((x) => x.toString(16).padStart(2, '0')).join(''),
        })
        cur = s.end
      }
      if (duration > cur) pieces.push({ d: duration - cur, color: '0x808080' })
      const args = ['-hide_banner', '-loglevel', 'error', '-y']
      for (const p of pieces)
        args.push('-f', 'lavfi', '-i', `color=c=${p.color}:s=96x64:r=10:d=${p.d.toFixed(3)}`)
      args.push('-i', wavAll)
      const concat = pieces.map((_, i) => `[${i}:v]`).join('') + `concat=n=${pieces.length}:v=1:a=0[v]`
      args.push(
        '-filter_complex',
        concat,
        '-map',
        '[v]',
        '-map',
        `${pieces.length}:a`,
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '64k',
        '-shortest',
        path.join(mediaDir, `${name}.mp4`),
      )
      await run(ffmpeg, args, { maxBuffer: 16 * 1024 * 1024 })
      const srt = group
        .map((it, i) => `${i + 1}\n${srtTime(segs[i]!.start)} --> ${srtTime(segs[i]!.end)}\n${it.text}\n`)
        .join('\n')
      writeFileSync(path.join(mediaDir, `${name}.srt`), srt)
      o.onProgress?.((f + 1) / files)
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  writeCorpus(
    o.out,
    {
      name: `synthetic-ambiguity-${o.seed}`,
      labelSets: { emotion: [...SYNTHETIC_LABELS] },
      description: `Synthetic ambiguity corpus: label = text valence × speech arousal; video brightness agrees with valence ${o.visualAgree === undefined ? '75% of the time (drawn per utterance)' : `in ${Math.round(o.visualAgree * o.n)} of ${o.n} utterances`}.`,
      license: 'generated (no third-party content)',
      seed: o.seed,
    },
    utterances,
  )
  return { utterances: utterances.length, files }
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2)
  const out = arg(argv, '--out')
  if (!out) {
    process.stderr.write(
      'usage: npm run corpus:synthetic -- --out DIR [--n 400] [--seed 1] [--visual-agree SHARE]\n' +
        '  (missing, corrupted and shifted modalities: apply --condition to any corpus at training/evaluation\n' +
        '   time, `fws train emotion --condition missing-audio:0.3`, or `npm run bench:fusion -- --conditions ...`)\n',
    )
    process.exit(2)
  }
  const t0 = Date.now()
  generateSyntheticCorpus({
    out,
    n: Number(arg(argv, '--n') ?? 400),
    seed: Number(arg(argv, '--seed') ?? 1),
    visualAgree: arg(argv, '--visual-agree') === undefined ? undefined : Number(arg(argv, '--visual-agree')),
    onProgress: (f) => process.stderr.write(`\r${Math.round(f * 100)}%`),
  }).then(
    (r) =>
      process.stderr.write(
        `\nwrote ${r.utterances} utterances in ${r.files} files to ${out} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
      ),
    (err) => {
      process.stderr.write(`\ncorpus:synthetic: ${(err as Error).message}\n`)
      process.exit(1)
    },
  )
}
