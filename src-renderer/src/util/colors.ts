/** One colour per emotion label, shared by the table chips, the timeline regions and the charts. */
export const EMOTION_COLORS: Record<string, string> = {
  neutral: '#8a94a6',
  joy: '#f2c14e',
  surprise: '#5ec8d8',
  anger: '#e5534b',
  sadness: '#5b8def',
  disgust: '#8fbf5a',
  fear: '#b07ce8',
}

export function emotionColor(label: string | null | undefined): string {
  return (label && EMOTION_COLORS[label]) || '#6b7280'
}
