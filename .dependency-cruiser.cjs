/**
 * The layering of the source, written down once and enforced by `npm run lint`.
 *
 * Arrows point down: renderer → contract/contract ← app, preload, serve, cli → engine. Inside the
 * engine each folder may import only the folders listed for it below (and itself); anything not
 * listed is not allowed. `engine/core/` and the top-level engine modules (backend, paths, datasets,
 * gpu-probe, onnx-device) are the engine's core: every folder may use them, they use no folder.
 * `service.ts`, `session.ts`, `media-access.ts` and `doctor.ts` are the engine's faces for app/serve/cli: they
 * implement the contract and may use any folder.
 */
const ENGINE = '^src-main/engine/'
const CORE = `${ENGINE}(core/|(backend|paths|datasets|gpu-probe|onnx-device)\\.ts$)`
/** The engine's faces for app, serve and cli: they implement the contract and may use any folder. */
const FACES = `${ENGINE}(service|session|media-access|doctor)\\.ts$`

/** For each engine folder, the engine folders it may import besides itself and the core. */
const ALLOWED = {
  core: [],
  media: ['core'],
  fusion: ['core'],
  features: ['media'],
  segment: ['media'],
  models: ['fusion', 'features', 'media'],
  project: ['segment', 'media'],
  exchange: ['project', 'models', 'features', 'segment', 'media'],
  pipeline: ['models', 'features', 'segment', 'project', 'media', 'fusion'],
  review: ['project', 'features', 'media'],
  queue: ['pipeline', 'models', 'features', 'segment', 'media', 'fusion', 'jobs'],
  jobs: ['pipeline', 'exchange', 'project', 'models', 'features', 'segment', 'media', 'fusion'],
}
const FOLDERS = Object.keys(ALLOWED).filter((f) => f !== 'core')

const layerRules = FOLDERS.map((folder) => {
  const allowed = new Set([folder, ...ALLOWED[folder]])
  const forbidden = FOLDERS.filter((f) => !allowed.has(f))
  return {
    name: `engine-${folder}-layer`,
    comment: `engine/${folder} may import only: ${[...allowed].join(', ')} (and the core)`,
    severity: 'error',
    from: { path: `${ENGINE}${folder}/` },
    to: { path: `${ENGINE}(${forbidden.join('|')})/|${FACES}` },
  }
})

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'engine-core-is-the-bottom',
      comment:
        'the engine core modules (backend, paths, datasets, gpu-probe, onnx-device) import no engine folder',
      severity: 'error',
      from: { path: CORE },
      to: { path: `${ENGINE}(?!core/)[^/]+/|${FACES}` },
    },
    {
      name: 'engine-imports-no-face',
      comment:
        'the engine imports nothing from cli, serve, app, preload, the renderer or the IPC contract (only its faces implement the contract)',
      severity: 'error',
      from: { path: ENGINE, pathNot: FACES },
      to: { path: '^src-main/(cli|serve|app|preload|shared)/|^src-renderer/' },
    },
    {
      name: 'engine-without-electron',
      comment: 'the engine, the CLI and the contract run without Electron',
      severity: 'error',
      from: { path: '^src-main/(engine|cli|shared|serve)/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
    {
      name: 'renderer-only-the-contract',
      comment: 'the renderer reaches src-main only through the contract',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { path: '^src-main/', pathNot: '^src-main/contract/' },
    },
    {
      name: 'contract-imports-no-face',
      comment: 'the contract is imported by every face; it imports none of them',
      severity: 'error',
      from: { path: '^src-main/contract/' },
      to: { path: '^src-main/(cli|serve|app|preload)/|^src-renderer/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'no import cycles',
      severity: 'error',
      from: { path: '^src-(main|renderer)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(out|node_modules)/' },
    tsPreCompilationDeps: true,
    // The renderer's @shared alias (the contract) resolves through the web tsconfig's paths.
    tsConfig: { fileName: `${__dirname}/tsconfig.web.json` },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
}
