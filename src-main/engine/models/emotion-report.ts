/** The summary of an emotion classification report that manifests record and `fws eval emotion --json` prints. */
import type { ClassificationReport } from './metrics/classification'

/** The JSON shape `fws eval emotion --json` prints. */
export function reportSummary(r: ClassificationReport) {
  return {
    n: r.n,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    weightedF1: r.weightedF1,
    perClass: Object.fromEntries(Object.entries(r.perClass).map(([k, v]) => [k, v.f1])),
    perClassDetail: r.perClass,
    labels: r.labels,
    confusion: r.confusion,
  }
}
