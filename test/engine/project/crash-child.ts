/**
 * Child process of the crash test: opens the project, applies corrections as fast as it can and
 * prints "ack <historyId> <utteranceId> <text>" after each one has been committed. The parent
 * kills it with SIGKILL at a random moment.
 */
import { writeSync } from 'node:fs'
import { ProjectStore } from '../../../src-main/engine/project/store'

const [file, trial] = process.argv.slice(2)
const store = ProjectStore.open(file, { annotator: `child-${trial}` })
const ids = store.listUtterances().map((u) => u.id)
writeSync(1, 'ready\n')
const labels = ['joy', 'anger', 'sadness', 'fear']
for (let i = 0; ; i++) {
  const id = ids[i % ids.length]
  if (i % 3 === 2) {
    // Always a different label than now, so every label edit is a real change with its own history id.
    const current = store.getUtterance(id)?.emotion
    const label = labels.filter((l) => l !== current)[i % 3]
    const r = store.applyEdit({ kind: 'label', utteranceId: id, emotion: label })
    writeSync(1, `ack ${r.historyId} ${id} label:${label}\n`)
  } else {
    const text = `t${trial}-${i} “ü”, "q"`
    const r = store.applyEdit({ kind: 'transcript', utteranceId: id, text })
    // The write happens only after applyEdit returned, i.e. after the commit.
    writeSync(1, `ack ${r.historyId} ${id} text:${text}\n`)
  }
}
