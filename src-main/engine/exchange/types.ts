/**
 * The export formats and what an export returns. Zod-free and free of Node and DOM: the preload
 * and the renderer read the format list through the contract's names module.
 */

export const EXPORT_FORMATS = ['jsonl', 'csv', 'eaf', 'vtt', 'srt', 'corpus'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface ExportResult {
  files: string[]
  records: number
}
