/**
 * The permission policy for web content (Electron's permission request and check handlers): deny
 * by default. The renderer is a local annotation tool; it needs no camera, microphone, location,
 * notifications, MIDI, HID/serial/USB or clipboard reading. Allowed, and only for the app's own
 * origin: fullscreen (the video player) and writing to the clipboard (copy of a transcript).
 */
import { originOf } from './renderer-origin'

const ALLOWED = new Set(['fullscreen', 'clipboard-sanitized-write'])

export function isPermissionAllowed(
  permission: string,
  requestingUrl: string | null | undefined,
  allowedOrigin: string,
): boolean {
  if (!ALLOWED.has(permission) || !requestingUrl) return false
  return originOf(requestingUrl) === allowedOrigin
}
