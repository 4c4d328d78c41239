/** The renderer's Content-Security-Policy: own scripts only, no eval, media from the fws-media protocol. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' fws-media: blob:",
  // The waveform fetches the media's audio through the fws-media protocol.
  "connect-src 'self' fws-media:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
