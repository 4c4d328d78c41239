/** `fws probe <video> [--json]`: what is inside a media file (container, duration, streams). */
import type { Command } from 'commander'
import { isMediaError } from '../../engine/media/errors'
import { probe, type MediaProbe } from '../../engine/media/probe'
import { CliError, printJson } from '../output'

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('show container, duration and the audio / video / subtitle streams of a media file')
    .argument('<video>', 'media file')
    .option('--json', 'print the probe as JSON')
    .action(async (video: string, opts: { json?: boolean }) => {
      let info: MediaProbe
      try {
        info = await probe(video)
      } catch (err) {
        if (isMediaError(err)) throw new CliError(err.message, 2)
        throw err
      }
      if (opts.json) printJson(info)
      else process.stdout.write(formatProbe(info))
    })
}

function clock(sec: number): string {
  const s = Math.max(0, sec)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const r = (s % 60).toFixed(2).padStart(5, '0')
  return `${h ? `${h}:` : ''}${String(m).padStart(h ? 2 : 1, '0')}:${r}`
}

export function formatProbe(p: MediaProbe): string {
  const mb = (p.sizeBytes / 1e6).toFixed(1)
  const lines = [
    `${p.file}`,
    `  container: ${p.container}, duration ${clock(p.durationSec)} (${p.durationSec.toFixed(3)} s), ${mb} MB`,
  ]
  lines.push(
    p.video
      ? `  video: #${p.video.index} ${p.video.codec} ${p.video.width}×${p.video.height} @ ${+p.video.fps.toFixed(3)} fps${p.video.rotation ? `, rotated ${p.video.rotation}°` : ''}`
      : '  video: none (audio only)',
  )
  lines.push(
    p.audio
      ? `  audio: #${p.audio.index} ${p.audio.codec} ${p.audio.sampleRate} Hz, ${p.audio.channels} channel(s)`
      : '  audio: none',
  )
  if (!p.subtitles.length) lines.push('  subtitles: none')
  for (const s of p.subtitles)
    lines.push(
      `  subtitles: #${s.index} ${s.codec}${s.language ? ` [${s.language}]` : ''}${s.title ? ` "${s.title}"` : ''}${s.text ? '' : ' (picture-based, no text)'}`,
    )
  return lines.join('\n') + '\n'
}
