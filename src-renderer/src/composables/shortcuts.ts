/**
 * The keyboard review loop: one table of shortcuts that both drives the key handler and is shown
 * on screen, so what is displayed is exactly what works. Keys are ignored while typing in a field
 * (the field handles Enter/Escape itself).
 */

export type ShortcutAction =
  | 'next'
  | 'prev'
  | 'accept'
  | 'accept-translation'
  | 'relabel'
  | 'edit-transcript'
  | 'edit-translation'
  | 'play'
  | 'loop'
  | 'autoplay'
  | 'padding'
  | 'split'
  | 'merge'
  | 'nudge-start-left'
  | 'nudge-start-right'
  | 'nudge-end-left'
  | 'nudge-end-right'
  | 'undo'
  | 'redo'
  | 'queue'
  | 'filter'
  | 'zoom-in'
  | 'zoom-out'
  | 'help'

export interface Shortcut {
  action: ShortcutAction
  /** How the keys are shown. */
  keys: string
  label: string
  group: 'Navigate' | 'Label' | 'Edit' | 'Play' | 'View'
}

export const SHORTCUTS: Shortcut[] = [
  { action: 'next', keys: '↓ / J', label: 'next utterance', group: 'Navigate' },
  { action: 'prev', keys: '↑ / K', label: 'previous utterance', group: 'Navigate' },
  { action: 'queue', keys: 'Q', label: 'least-confident queue', group: 'Navigate' },
  { action: 'filter', keys: '/', label: 'filter', group: 'Navigate' },
  { action: 'accept', keys: 'Enter / A', label: 'accept emotion', group: 'Label' },
  { action: 'accept-translation', keys: 'Shift+Enter', label: 'accept translation', group: 'Label' },
  { action: 'relabel', keys: '1–9', label: 'set emotion', group: 'Label' },
  { action: 'edit-transcript', keys: 'E', label: 'edit transcript', group: 'Edit' },
  { action: 'edit-translation', keys: 'T', label: 'edit translation', group: 'Edit' },
  { action: 'split', keys: 'S', label: 'split at playhead', group: 'Edit' },
  { action: 'merge', keys: 'M', label: 'merge with next', group: 'Edit' },
  { action: 'nudge-start-left', keys: '[ / ]', label: 'nudge start ∓0.1 s', group: 'Edit' },
  { action: 'nudge-end-left', keys: '{ / }', label: 'nudge end ∓0.1 s', group: 'Edit' },
  { action: 'undo', keys: 'Ctrl+Z', label: 'undo', group: 'Edit' },
  { action: 'redo', keys: 'Ctrl+Shift+Z / Ctrl+Y', label: 'redo', group: 'Edit' },
  { action: 'play', keys: 'Space', label: 'play utterance', group: 'Play' },
  { action: 'loop', keys: 'L', label: 'loop', group: 'Play' },
  { action: 'autoplay', keys: 'P', label: 'auto-play on navigate', group: 'Play' },
  { action: 'padding', keys: 'O', label: '± padding', group: 'Play' },
  { action: 'zoom-in', keys: '+ / −', label: 'zoom timeline', group: 'View' },
  { action: 'help', keys: '?', label: 'all shortcuts', group: 'View' },
]

export interface KeyCommand {
  action: ShortcutAction
  /** For 'relabel': index into the label set (0-based). */
  index?: number
}

/** Maps a keydown to a command, or null when the key is not a shortcut. Pure (tested). */
export function commandForKey(e: {
  key: string
  ctrlKey?: boolean
  metaKey?: boolean
  shiftKey?: boolean
  altKey?: boolean
}): KeyCommand | null {
  const mod = !!(e.ctrlKey || e.metaKey)
  const k = e.key
  if (mod) {
    if (k.toLowerCase() === 'z') return { action: e.shiftKey ? 'redo' : 'undo' }
    if (k.toLowerCase() === 'y') return { action: 'redo' }
    return null
  }
  if (e.altKey) return null
  if (/^[1-9]$/.test(k)) return { action: 'relabel', index: Number(k) - 1 }
  switch (k) {
    case 'ArrowDown':
    case 'j':
    case 'J':
      return { action: 'next' }
    case 'ArrowUp':
    case 'k':
    case 'K':
      return { action: 'prev' }
    case 'Enter':
      // Each field is accepted on its own: Enter never confirms the machine translation.
      return { action: e.shiftKey ? 'accept-translation' : 'accept' }
    case 'a':
    case 'A':
      return { action: 'accept' }
    case 'e':
    case 'E':
      return { action: 'edit-transcript' }
    case 't':
    case 'T':
      return { action: 'edit-translation' }
    case ' ':
      return { action: 'play' }
    case 'l':
    case 'L':
      return { action: 'loop' }
    case 'p':
    case 'P':
      return { action: 'autoplay' }
    case 'o':
    case 'O':
      return { action: 'padding' }
    case 's':
    case 'S':
      return { action: 'split' }
    case 'm':
    case 'M':
      return { action: 'merge' }
    case '[':
      return { action: 'nudge-start-left' }
    case ']':
      return { action: 'nudge-start-right' }
    case '{':
      return { action: 'nudge-end-left' }
    case '}':
      return { action: 'nudge-end-right' }
    case 'q':
    case 'Q':
      return { action: 'queue' }
    case '/':
      return { action: 'filter' }
    case '+':
    case '=':
      return { action: 'zoom-in' }
    case '-':
    case '_':
      return { action: 'zoom-out' }
    case '?':
      return { action: 'help' }
  }
  return null
}

/** True when the key event comes from a place where the user types text. */
export function isTypingTarget(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null
  if (!el || !el.tagName) return false
  const tag = el.tagName.toLowerCase()
  return tag === 'input' || tag === 'textarea' || tag === 'select' || el.isContentEditable
}
