/**
 * The emotion classifier: per-modality encoders → a fusion module (any method of fusion/) →
 * classification head (Linear → ReLU → dropout → Linear over the label set). Owns the model
 * configuration (what a checkpoint's model.json records), turning examples (text, dialogue
 * context, extracted features) into batch arrays, and the forward pass / loss.
 *
 * Branches for every configured modality always exist, so a text-only-trained model can be
 * fine-tuned with audio/visual features (the fusion then learns them); a modality missing from an
 * example is masked and replaced by its learned "absent" vector. Loaded for prediction
 * (loadEmotionModel), a branch the manifest marks untrained is always given "absent".
 */
import type * as TF from '@tensorflow/tfjs'
import type { UtteranceFeatures, ModalitySequence } from '../features/types'
import { createFusion } from '../fusion'
import { dropout, Linear, ParamStore, tfm } from '../fusion/nn'
import type { FusionInputs, FusionMethod, FusionModule, MethodFusionOptions, Modality } from '../fusion/types'
import {
  DialogueContext,
  dialogueBatch,
  dialogueGroups,
  modalityDropout,
  SequenceEncoder,
  type DialogueBatch,
  type DialogueContextConfig,
  TextEncoder,
  withAbsent,
  type SeqBatch,
  type SequenceEncoderConfig,
  type TextBatch,
  type TextEncoderConfig,
} from './encoders'
import { softmaxCrossEntropy } from '../core/tf-ops'
import { padIds, SEP, tokenizeWords, WordVocab } from './word-vocab'

type Tensor = TF.Tensor

export interface EmotionModelConfig {
  kind: 'fws-emotion'
  labels: string[]
  /** The branches the model has (canonical order). */
  modalities: Modality[]
  fusion: FusionMethod
  fusionOptions: MethodFusionOptions
  latentDim: number
  fusedDim: number
  headHidden: number
  dropout: number
  modalityDropout: number
  text: TextEncoderConfig | null
  audio: SequenceEncoderConfig | null
  visual: SequenceEncoderConfig | null
  /**
   * Dialogue context over the text latents (a BiGRU across the utterances of a dialogue that
   * are predicted together); absent in models without it.
   */
  dialogue?: DialogueContextConfig | null
  seed: number
  /**
   * Auxiliary classification tasks trained alongside (multi-task), e.g. MELD's sentiment
   * (positive / negative / neutral): a second head on the same hidden layer, loss × weight.
   * Used only in training; predictions come from the main head.
   */
  auxTasks?: { name: string; labels: string[]; weight: number }[]
}

/** One utterance to classify (or learn from). */
export interface EmotionExample {
  text: string
  /** Previous turns of the same dialogue, oldest first (used when the model has contextTurns > 0). */
  context?: string[]
  /**
   * The dialogue (conversation) the utterance belongs to, and its position in it. A model with
   * dialogue context reads the other utterances of the same dialogue in the same batch, so
   * training and prediction keep dialogues together.
   */
  dialogue?: string | null
  turn?: number
  features?: UtteranceFeatures | null
  label?: string | null
  /** Labels of auxiliary tasks by task name (missing = no loss for that row). */
  aux?: Record<string, string | null | undefined>
}

export interface EmotionBatch {
  size: number
  text: TextBatch | null
  audio: SeqBatch | null
  visual: SeqBatch | null
  dialogue: DialogueBatch | null
  /** Presence per configured modality [B]. */
  present: Partial<Record<Modality, Float32Array>>
  labels: Int32Array | null
  /** Per-row loss weights (class weighting), or null. */
  weights: Float32Array | null
  /** Per auxiliary task: label index per row and a 0/1 mask (0 = no label). */
  aux: { labels: Int32Array; mask: Float32Array }[]
}

export class EmotionModel {
  readonly store: ParamStore
  readonly fusion: FusionModule
  private readonly textEnc: TextEncoder | null
  private readonly seqEnc: Partial<Record<'audio' | 'visual', SequenceEncoder>> = {}
  private readonly dialogueCtx: DialogueContext | null
  private readonly absent: Partial<Record<Modality, TF.Variable>> = {}
  private readonly head1: Linear
  private readonly head2: Linear
  private readonly auxHeads: Linear[]
  readonly labelIndex: Map<string, number>

  constructor(
    readonly config: EmotionModelConfig,
    readonly vocab: WordVocab | null,
    pretrainedEmbedding?: Float32Array,
  ) {
    const c = config
    if (c.labels.length < 2) throw new Error('emotion model: need at least 2 labels')
    this.labelIndex = new Map(c.labels.map((l, i) => [l, i]))
    this.store = new ParamStore(c.seed)
    const root = this.store.scope('')
    if (c.modalities.includes('text')) {
      if (!c.text || !vocab)
        throw new Error('emotion model: text branch needs a text config and a vocabulary')
      if (vocab.size !== c.text.vocabSize)
        throw new Error(`emotion model: vocabulary has ${vocab.size} words, config says ${c.text.vocabSize}`)
      this.textEnc = new TextEncoder(root.sub('enc_text'), c.text, c.latentDim, pretrainedEmbedding)
    } else this.textEnc = null
    for (const m of ['audio', 'visual'] as const)
      if (c.modalities.includes(m)) {
        const sc = c[m]
        if (!sc) throw new Error(`emotion model: ${m} branch needs its encoder config`)
        this.seqEnc[m] = new SequenceEncoder(root.sub(`enc_${m}`), sc, c.latentDim)
      }
    this.dialogueCtx =
      c.dialogue && this.textEnc ? new DialogueContext(root.sub('dialogue'), c.dialogue, c.latentDim) : null
    for (const m of c.modalities)
      this.absent[m] = root.add(`absent_${m}`, this.store.normalInit([c.latentDim], 0.1))
    this.fusion = createFusion(c.fusion, {
      ...c.fusionOptions,
      modalities: c.modalities,
      latentDim: c.latentDim,
      outputDim: c.fusedDim,
      scope: root.sub('fusion'),
    })
    this.head1 = new Linear(root.sub('head1'), c.fusedDim, c.headHidden)
    this.head2 = new Linear(root.sub('head2'), c.headHidden, c.labels.length)
    this.auxHeads = (c.auxTasks ?? []).map(
      (t) => new Linear(root.sub(`aux_${t.name}`), c.headHidden, t.labels.length),
    )
  }

  // ---------------------------------------------------------------- batches

  /** Turns examples into batch arrays (token ids, frames, masks, labels). Unknown labels are an error. */
  makeBatch(examples: EmotionExample[], classWeights?: number[] | null): EmotionBatch {
    const c = this.config
    const B = examples.length
    const present: Partial<Record<Modality, Float32Array>> = {}
    let text: TextBatch | null = null
    if (this.textEnc && this.vocab && c.text) {
      const utt = examples.map((e) => this.vocab!.encode(tokenizeWords(e.text)))
      const p = padIds(utt, Math.max(1, Math.min(c.text.maxLen, Math.max(...utt.map((u) => u.length)))))
      present.text = Float32Array.from(utt, (u) => (u.length > 0 ? 1 : 0))
      let ctx: ReturnType<typeof padIds> | null = null
      if (c.text.contextTurns > 0) {
        const sep = this.vocab.id(SEP)
        const ctxIds = examples.map((e) => {
          const turns = (e.context ?? []).slice(-c.text!.contextTurns)
          const ids: number[] = []
          for (const t of turns) {
            if (ids.length) ids.push(sep)
            ids.push(...this.vocab!.encode(tokenizeWords(t)))
          }
          return ids
        })
        ctx = padIds(
          ctxIds,
          Math.max(1, Math.min(c.text.contextMaxLen, Math.max(...ctxIds.map((u) => u.length)))),
          true,
        )
      }
      text = {
        ids: p.ids,
        mask: p.mask,
        len: p.maxLen,
        ctxIds: ctx?.ids ?? null,
        ctxMask: ctx?.mask ?? null,
        ctxLen: ctx?.maxLen ?? 0,
      }
    }
    const seq = (m: 'audio' | 'visual'): SeqBatch | null => {
      const enc = this.seqEnc[m]
      if (!enc) return null
      const cfg = enc.cfg
      const seqs = examples.map((e) => {
        const s: ModalitySequence | undefined = e.features?.[m]
        if (!s || !s.present || s.frames === 0) return null
        if (s.dims !== cfg.dim)
          throw new Error(`emotion model: ${m} features have ${s.dims} columns, the model expects ${cfg.dim}`)
        return s
      })
      present[m] = Float32Array.from(seqs, (s) => (s ? 1 : 0))
      const T = Math.max(1, ...seqs.map((s) => (s ? Math.min(s.frames, cfg.maxFrames) : 0)))
      const frames = new Float32Array(B * T * cfg.dim)
      const mask = new Float32Array(B * T)
      seqs.forEach((s, i) => {
        if (!s) return
        const n = Math.min(s.frames, cfg.maxFrames)
        for (let t = 0; t < n; t++) {
          // Even subsampling when the utterance has more frames than maxFrames.
          const src = n === s.frames ? t : Math.floor((t * s.frames) / n)
          frames.set(s.seq.subarray(src * cfg.dim, (src + 1) * cfg.dim), (i * T + t) * cfg.dim)
          mask[i * T + t] = 1
        }
      })
      return { frames, mask, len: T }
    }
    let labels: Int32Array | null = null
    let weights: Float32Array | null = null
    if (examples.every((e) => e.label != null)) {
      labels = Int32Array.from(examples, (e) => {
        const k = this.labelIndex.get(e.label!)
        if (k === undefined)
          throw new Error(`label '${e.label}' is not in the model's label set (${c.labels.join(', ')})`)
        return k
      })
      if (classWeights) weights = Float32Array.from(labels, (k) => classWeights[k]!)
    }
    const aux = (c.auxTasks ?? []).map((t) => {
      const idx = new Map(t.labels.map((l, i) => [l, i]))
      const lab = new Int32Array(B)
      const mask = new Float32Array(B)
      examples.forEach((e, i) => {
        const k = idx.get(e.aux?.[t.name] ?? '')
        if (k !== undefined) {
          lab[i] = k
          mask[i] = 1
        }
      })
      return { labels: lab, mask }
    })
    const dialogue = this.dialogueCtx
      ? dialogueBatch(
          examples.map((e) => e.dialogue),
          examples.map((e) => e.turn),
        )
      : null
    return {
      size: B,
      text,
      audio: seq('audio'),
      visual: seq('visual'),
      dialogue,
      present,
      labels,
      weights,
      aux,
    }
  }

  // ---------------------------------------------------------------- forward

  /** Encoders + absent vectors (+ modality dropout when training) → fusion inputs. */
  encode(b: EmotionBatch, training: boolean): FusionInputs {
    const tf = tfm()
    const rng = this.store.rng
    const B = b.size
    const present = training ? modalityDropout(b.present, this.config.modalityDropout, rng) : b.present
    const latents: FusionInputs['latents'] = {}
    const masks: FusionInputs['masks'] = {}
    for (const m of this.config.modalities) {
      const pm = present[m] ?? new Float32Array(B)
      const mask = tf.tensor1d(pm)
      const any = pm.some((v) => v > 0)
      let z: Tensor | null = null
      if (any) {
        if (m === 'text') {
          z = this.textEnc!.apply(b.text!, B, rng, training)
          if (this.dialogueCtx && b.dialogue)
            z = this.dialogueCtx.apply(z, b.dialogue, pm, rng, training, this.config.dropout)
        } else z = this.seqEnc[m]!.apply(b[m]!, B, rng, training, this.config.dropout)
      }
      latents[m] = withAbsent(z, this.absent[m]!, mask, B)
      masks[m] = mask as TF.Tensor1D
    }
    return { latents, masks }
  }

  /** Fusion + head on given inputs → logits [B, K], auxiliary-task logits and the fusion's auxiliary loss. */
  head(
    inputs: FusionInputs,
    training: boolean,
  ): { logits: Tensor; auxLogits: Tensor[]; auxLoss: TF.Scalar | null } {
    const tf = tfm()
    const { fused, auxLoss } = this.fusion.apply(inputs, { training })
    const h = dropout(tf.relu(this.head1.apply(fused)), this.config.dropout, this.store.rng, training)
    return {
      logits: this.head2.apply(h),
      auxLogits: training ? this.auxHeads.map((a) => a.apply(h)) : [],
      auxLoss,
    }
  }

  forward(
    b: EmotionBatch,
    training: boolean,
  ): { logits: Tensor; auxLogits: Tensor[]; auxLoss: TF.Scalar | null } {
    return this.head(this.encode(b, training), training)
  }

  /** Task loss (weighted cross-entropy) + auxiliary-task losses + the fusion's auxiliary loss. */
  loss(b: EmotionBatch, training: boolean): TF.Scalar {
    if (!b.labels) throw new Error('emotion model: loss needs labelled examples')
    const tf = tfm()
    const { logits, auxLogits, auxLoss } = this.forward(b, training)
    const labels = tf.tensor1d(b.labels, 'int32')
    const mask = b.weights ? tf.tensor1d(b.weights) : null
    let total = softmaxCrossEntropy(logits, labels, { mask }) as TF.Scalar
    auxLogits.forEach((l, i) => {
      const a = b.aux[i]!
      if (!a.mask.some((v) => v > 0)) return
      const w = this.config.auxTasks![i]!.weight
      const ce = softmaxCrossEntropy(l, tf.tensor1d(a.labels, 'int32'), { mask: tf.tensor1d(a.mask) })
      total = total.add(ce.mul(w))
    })
    return auxLoss ? total.add(auxLoss) : total
  }

  /**
   * Class probabilities [n·K] row-major (input order), no tensors left behind. Batches hold
   * whole dialogues for a dialogue-context model (a dialogue longer than a batch is read in
   * consecutive windows of `batchSize` turns); otherwise examples of similar length go together,
   * so the recurrent encoder runs over little padding.
   */
  predictProbs(examples: EmotionExample[], batchSize = 64): Float32Array {
    const tf = tfm()
    const K = this.config.labels.length
    const out = new Float32Array(examples.length * K)
    const batches = this.dialogueCtx
      ? packDialogues(examples, batchSize)
      : chunk(
          [...examples.keys()].sort((a, b) => examples[a]!.text.length - examples[b]!.text.length),
          batchSize,
        )
    for (const idx of batches) {
      const batch = this.makeBatch(idx.map((j) => ({ ...examples[j]!, label: null })))
      const p = tf.tidy(() => tf.softmax(this.forward(batch, false).logits).dataSync())
      idx.forEach((j, r) => out.set(p.subarray(r * K, (r + 1) * K), j * K))
    }
    return out
  }

  parameterCount(): number {
    return this.store.count()
  }

  dispose(): void {
    for (const e of Object.values(this.seqEnc)) e.dispose()
    this.store.dispose()
  }
}

/** `xs` cut into consecutive pieces of `n` (the last may be shorter). */
export function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/**
 * Example indices in batches of whole dialogues (in the given dialogue order, or shuffled by
 * `shuffle`), filled up to `batchSize` rows; a dialogue longer than that is cut into windows
 * of `batchSize` consecutive turns. Examples without a dialogue are dialogues of one.
 */
export function packDialogues(
  examples: EmotionExample[],
  batchSize: number,
  shuffle?: <T>(xs: T[]) => T[],
): number[][] {
  let dialogues = dialogueGroups(
    examples.map((e) => e.dialogue),
    examples.map((e) => e.turn),
  ).flatMap((l) => chunk(l, batchSize))
  if (shuffle) dialogues = shuffle(dialogues)
  const batches: number[][] = []
  let cur: number[] = []
  for (const d of dialogues) {
    if (cur.length && cur.length + d.length > batchSize) {
      batches.push(cur)
      cur = []
    }
    cur.push(...d)
  }
  if (cur.length) batches.push(cur)
  return batches
}
