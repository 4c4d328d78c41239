/**
 * CSV writing (RFC 4180) with spreadsheet-formula neutralisation. Owns: quoting, and the rule
 * that a text cell beginning with = + - @ (or tab / CR, which some spreadsheets strip before
 * evaluating) is prefixed with an apostrophe so opening the export never executes a formula.
 * A cell that already begins with apostrophes before such a character gets one more, so reading
 * back (unneutralise: drop one apostrophe) is exact for every text: "'=x" → "''=x" → "'=x".
 */

/** Cells `neutralise` prefixes: optional apostrophes, then a formula-starting character. */
const NEEDS_PREFIX = /^'*[=+\-@\t\r]/
/** Cells `neutralise` produced: at least one apostrophe, then a formula-starting character. */
const PREFIXED = /^'+[=+\-@\t\r]/

/** Neutralises a text cell against formula injection (CWE-1236). */
export function neutralise(cell: string): string {
  return NEEDS_PREFIX.test(cell) ? `'${cell}` : cell
}

/** Undoes `neutralise` on a cell read back from one of our own CSV exports (exact inverse). */
export function unneutralise(cell: string): string {
  return PREFIXED.test(cell) ? cell.slice(1) : cell
}

export type CsvCell = string | number | boolean | null | undefined

function quote(cell: CsvCell): string {
  if (cell == null) return ''
  // Numbers and booleans are ours (times, counts): written as is; only text is neutralised.
  const s = typeof cell === 'string' ? neutralise(cell) : String(cell)
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** One CSV document: header row then rows, CRLF line ends (RFC 4180), with a UTF-8 BOM for spreadsheets. */
export function toCsv(header: string[], rows: CsvCell[][]): string {
  const lines = [header.map(quote).join(','), ...rows.map((r) => r.map(quote).join(','))]
  return '\ufeff' + lines.join('\r\n') + '\r\n'
}
