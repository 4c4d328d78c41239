/** `fws doctor [--json]`: what the engine will run on, and why. */
import type { Command } from 'commander'
import { doctor } from '../../engine/doctor'
import type { DoctorReport } from '../../contract/contract'
import { printJson } from '../output'

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'report ffmpeg/ffprobe, the tfjs backend chosen (and why the others were not), the NVIDIA driver and CUDA libraries found, default models and the device (GPU/CPU) each runs on and why',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await doctor()
      if (opts.json) printJson(report)
      else process.stdout.write(formatDoctor(report))
      const broken = 'error' in report.ffmpeg || 'error' in report.ffprobe || 'error' in report.backend
      if (broken) process.exitCode = 1
    })
}

export function formatDoctor(r: DoctorReport): string {
  const lines: string[] = [`node ${r.node} on ${r.platform}`]
  for (const name of ['ffmpeg', 'ffprobe'] as const) {
    const t = r[name]
    lines.push(
      'error' in t
        ? `${name}: NOT FOUND — ${t.error}`
        : `${name}: ${t.path} (version ${t.version}, from ${t.source})`,
    )
  }
  const b = r.backend
  if ('error' in b) lines.push(`tfjs backend: FAILED — ${b.error}`)
  else {
    lines.push(
      `tfjs backend: ${b.name}${b.gpu ? ' (GPU)' : ' (CPU)'}${b.forced ? ' [forced by FWS_BACKEND]' : ''}`,
    )
    for (const a of b.attempts) lines.push(`  ${a.used ? '✔' : '✘'} ${a.name.padEnd(15)} ${a.reason}`)
    if (b.warning) lines.push(`warning: ${b.warning}`)
  }
  lines.push(`GPU: ${r.gpu.summary}`)
  lines.push(`models (${r.models.length}):`)
  if (!r.models.length) lines.push('  none found in resources/models')
  for (const m of r.models)
    lines.push(
      `  ${m.present ? '✔' : '✘'} ${m.name} — ${m.task}, fusion ${m.fusion}, version ${m.version}${m.problem ? ` (${m.problem})` : ''}`,
    )
  lines.push('devices:')
  for (const d of r.devices)
    lines.push(
      `  ${d.model.padEnd(18)} ${d.device ? d.device.toUpperCase() : 'CANNOT RUN'} (${d.runtime}${d.via ? ` ${d.via}` : ''}) — ${d.reason}`,
    )
  return lines.join('\n') + '\n'
}
