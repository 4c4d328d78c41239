/**
 * POST /api/<request>: the body is checked against the contract and handed to the engine service,
 * exactly as src-main/app/main.ts does for IPC; the answer is {result} or {error} with the status
 * the error's class calls for (errors.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isRequestName, validateRequest } from '../contract/contract'
import type { EngineService } from '../engine/service'
import { MAX_BODY, readBody, refuseBody } from './body'
import { httpStatusFor } from './errors'
import { sendJson } from './reply'

export async function handleApi(
  service: EngineService,
  log: (line: string) => void,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST for API requests' })
  if (!isRequestName(name)) return sendJson(res, 404, { error: `unknown request "${name}"` })
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY) return refuseBody(req, res)
  const body = await readBody(req)
  if (body === null) return refuseBody(req, res)
  let payload: unknown
  try {
    // An empty body means "no payload" (requests whose schema is z.undefined()).
    payload = body.trim() === '' ? undefined : JSON.parse(body)
  } catch {
    return sendJson(res, 400, { error: 'request body is not valid JSON' })
  }
  try {
    const valid = validateRequest(name, payload)
    const result = await (service.handlers[name] as (p: unknown) => Promise<unknown>)(valid)
    sendJson(res, 200, { result: result === undefined ? null : result })
  } catch (err) {
    const status = httpStatusFor(err)
    if (status >= 500) log(`${name} failed: ${(err as Error)?.stack ?? String(err)}`)
    sendJson(res, status, { error: (err as Error)?.message ?? String(err) })
  }
}
