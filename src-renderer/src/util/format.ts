/** Small display helpers shared by components (times, durations, percentages). Pure. */

/** 83.456 → "1:23.456"; 3723.5 → "1:02:03.500". */
export function formatTime(sec: number, decimals = 3): string {
  if (!Number.isFinite(sec)) return '–'
  const neg = sec < 0
  let s = Math.abs(sec)
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const ss = s.toFixed(decimals).padStart(decimals ? 3 + decimals : 2, '0')
  const body = h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
  return neg ? `-${body}` : body
}

/** Seconds → "2 min 05 s" / "42 s" for ETAs and elapsed times. */
export function formatDuration(sec: number | null | undefined): string {
  if (sec == null || !Number.isFinite(sec)) return '–'
  const s = Math.max(0, Math.round(sec))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

export function formatPercent(x: number, decimals = 0): string {
  return `${(x * 100).toFixed(decimals)}%`
}

/** Folder that holds a project (its path may be the database file itself). */
export function projectFolder(projectPath: string): string {
  const isFile = /\.[A-Za-z0-9]{1,8}$/.test(projectPath.split(/[\\/]/).pop() ?? '')
  if (!isFile) return projectPath.replace(/[\\/]+$/, '')
  const cut = Math.max(projectPath.lastIndexOf('/'), projectPath.lastIndexOf('\\'))
  return cut > 0 ? projectPath.slice(0, cut) : projectPath
}

/** Paths from a drop: file:// URIs (text/uri-list, what Linux file managers give) or plain absolute paths. */
export function pathsFromDropText(text: string): string[] {
  const out: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    if (line.startsWith('file://')) {
      try {
        out.push(decodeURIComponent(new URL(line).pathname))
      } catch {
        /* not a URI */
      }
    } else if (line.startsWith('/') || /^[A-Za-z]:\\/.test(line)) out.push(line)
  }
  return out
}
