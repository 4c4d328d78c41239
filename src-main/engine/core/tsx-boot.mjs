// Worker-thread bootstrap used only when the engine runs from its TypeScript source: registers tsx
// in this thread (Node 20 workers do not inherit the parent's loader hooks), then loads the real entry.
import { workerData } from 'node:worker_threads'

const { register } = await import('tsx/esm/api')
register()
await import(workerData.__fwsEntry)
