/**
 * The /events WebSocket: every engine event is pushed, as {event, payload} JSON, to every page
 * connected. The socket is push-only; anything a page sends is ignored. Upgrades reach it only
 * after the gate (server.ts).
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { EVENT_NAMES } from '../contract/contract'
import type { EngineService } from '../engine/service'

export interface EventHub {
  /** Takes over an upgrade request that passed the gate. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Stops forwarding events and closes every socket. */
  close(): void
}

export function startEventHub(service: EngineService): EventHub {
  const sockets = new Set<WebSocket>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })
  const unsubscribers = EVENT_NAMES.map((event) =>
    service.on(event, (payload) => {
      const msg = JSON.stringify({ event, payload })
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg)
    }),
  )
  return {
    accept(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws)
        ws.on('close', () => sockets.delete(ws))
        ws.on('error', () => sockets.delete(ws))
        // The socket is push-only; anything the page sends is ignored.
      })
    },
    close() {
      for (const u of unsubscribers) u()
      for (const ws of sockets) ws.terminate()
      wss.close()
    },
  }
}
