/**
 * Entry of the engine's utilityProcess (started by main.ts): the engine service, answering the
 * main process over Electron's parentPort (see engine-rpc.ts). Nothing here touches the window.
 */
import { createEngineService } from '../engine/service'
import { serveEngine } from './engine-rpc'

const parent = process.parentPort
if (!parent) throw new Error('engine-process.ts must run in an Electron utilityProcess')
serveEngine(createEngineService(), {
  postMessage: (m) => parent.postMessage(m),
  onMessage: (l) => parent.on('message', (e) => l(e.data)),
})
