/**
 * Child process of the crash test: opens the project, applies operations (corrections of every
 * kind, undo, redo) as fast as it can, and prints "pending <kind>" before each and
 * "ack <kind> <historyId> <digest>" after its commit (digest: crash-ops.ts stateDigest). The
 * parent kills it with SIGKILL at a random moment.
 */
import { writeSync } from 'node:fs'
import { ProjectStore } from '../../../src-main/engine/project/store'
import { applyOp, pickOp, stateDigest } from './crash-ops'

const [file, trial] = process.argv.slice(2)
const store = ProjectStore.open(file, { annotator: `child-${trial}` })
let seed = Number(trial) * 7919 + 1
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
writeSync(1, `ready ${stateDigest(store)}\n`)
for (let i = 0; ; i++) {
  const op = pickOp(store.listUtterances(), random, `t${trial}-${i}`)
  const kind = op.kind === 'edit' ? op.edit.kind : op.kind
  writeSync(1, `pending ${kind}\n`)
  const hid = applyOp(store, op)
  // Printed only after the operation returned, i.e. after its commit.
  writeSync(1, `ack ${kind} ${hid ?? '-'} ${stateDigest(store)}\n`)
}
