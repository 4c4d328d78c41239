/** Worker-thread entry of the fine-tune job: one finetuneFromCorpus run per task, cancellable. */
import { finetuneFromCorpus, type FinetuneSummary } from '../finetune'
import type { FinetuneProgress, FinetuneTask } from '../finetune-job'
import { serveTasks } from '../../core/worker-host'

serveTasks<FinetuneTask, FinetuneSummary, FinetuneProgress>((task, ctx) =>
  finetuneFromCorpus({
    ...task,
    signal: ctx.signal,
    onProgress: (fraction, stage) => ctx.progress({ fraction, stage }),
  }),
)
