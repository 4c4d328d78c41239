/**
 * Child process of the concurrent-writes test: an editor in its own process and connection,
 * committing one correction every `intervalMs` (a human in the app, sped up) until killed, and
 * printing "ack <historyId>" after each commit, or "error <code> <message>" when one fails.
 */
import { writeSync } from 'node:fs'
import { ProjectStore } from '../../../src-main/engine/project/store'

const [file, intervalMs] = process.argv.slice(2)
const store = ProjectStore.open(file, { annotator: 'editor-child' })
const ids = store.listUtterances().map((u) => u.id)
writeSync(1, 'ready\n')
let i = 0
setInterval(() => {
  const id = ids[i % ids.length]
  try {
    const r = store.applyEdit({ kind: 'transcript', utteranceId: id, text: `edit ${i}` })
    writeSync(1, `ack ${r.historyId}\n`)
  } catch (err) {
    const e = err as Error & { code?: string }
    writeSync(1, `error ${e.code ?? '-'} ${e.message}\n`)
  }
  i++
}, Number(intervalMs))
