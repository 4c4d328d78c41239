/** A model folder as the registry lists it (for `fws doctor` and the app's status). */

export interface ModelInfo {
  name: string
  dir: string
  task: 'emotion' | 'translation'
  fusion: string
  version: string
  present: boolean
  /** Why a model folder is present but unusable (bad manifest), or null. */
  problem: string | null
}
